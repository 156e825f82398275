#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# "Anything else" follows the default policy, and only that: IPv4 from a
# client to the switchboard host, IPv6 to another address, ICMPv6 echo to
# MainBackend pass under `pass` and are dropped (and counted) under
# `drop`; the Postbox to MainBackend's ear, ARP and neighbour discovery
# pass under both. The policy changes with a reload (SIGHUP).
. "$(dirname "$0")/lib.sh"

topology_up alice bob
PORT_EXTRA[p-alice]=$'address = 10.77.0.254/24\naddress = '"$OTHER6/128"
pawd_config pass
pawd_start
clients_ready alice bob
in_ns alice ip -6 route add "$OTHER6/128" dev eth0

step "policy pass: the host answers alice (IPv4, IPv6 elsewhere, echo to MainBackend)"
before=$(reason_count other-pass)
ping_ok alice 10.77.0.254 2 || fail "IPv4 to the host was not passed"
ping_ok alice "$OTHER6" 2 || fail "IPv6 to another address was not passed"
ping_ok alice "$MAINBACKEND" 2 || fail "ICMPv6 echo to MainBackend was not passed"
expect_ge "$(( $(reason_count other-pass) - before ))" 6 "frames counted as other-pass"

step "reload with policy drop"
sed -i 's/^default = pass/default = drop/' "$T/pawd.conf"
kill -HUP "$PAWD_PID"
wait_for 5 sh -c "grep -q 'configuration reloaded' '$T/pawd.log'" || fail "no reload"
pawctl -j status | jq -e '.policy == "drop"' >/dev/null || fail "policy is not drop"

before=$(reason_count other-drop)
ping_none alice 10.77.0.254 2 || fail "IPv4 to the host passed under drop"
ping_none alice "$OTHER6" 2 || fail "IPv6 to another address passed under drop"
ping_none alice "$MAINBACKEND" 2 || fail "ICMPv6 echo to MainBackend passed under drop"
expect_ge "$(( $(reason_count other-drop) - before ))" 6 "frames counted as other-drop"

step "under drop, the Postbox, ARP and neighbour discovery still work"
before=$(reason_count operator)
postbox alice status >/dev/null || fail "UDP Postbox refused under drop"
postbox alice tcp status >/dev/null || fail "TCP Postbox refused under drop"
expect_ge "$(( $(reason_count operator) - before ))" 2 "frames passed to the Operator"
in_ns alice ip neigh flush dev eth0
in_ns alice ip -6 neigh flush dev eth0
postbox alice call bob >/dev/null || fail "call refused"
ping_ok alice 10.77.0.2 2 || fail "no call traffic under drop"
expect_ge "$(reason_count neigh)" 1 "ARP/ND passed"

step "a broken config on reload keeps the running one"
echo "bogus_key = 1" >> "$T/pawd.conf"
kill -HUP "$PAWD_PID"
wait_for 5 sh -c "grep -q 'reload failed' '$T/pawd.log'" || fail "bad reload not reported"
grep 'reload failed' "$T/pawd.log" | grep -q 'pawd.conf:[0-9]*: bogus_key' ||
	fail "reload error does not name file, line and key: $(grep 'reload failed' "$T/pawd.log")"
pawctl -j status | jq -e '.policy == "drop"' >/dev/null || fail "policy changed by a bad reload"
ping_ok alice 10.77.0.2 2 || fail "traffic hurt by a bad reload"
log "ok"
