#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The main story with real traffic: clients enrol, register and call over
# IPv6 to MainBackend; alice<->bob is switched in the kernel (TTL shows a
# hop), alice->carol is dropped because there is no call, and the
# counters say so. Hanging up stops the traffic.
. "$(dirname "$0")/lib.sh"
require_tools iperf3

topology_up alice bob carol
pawd_config pass
pawd_start
clients_ready alice bob carol

step "no call yet: alice cannot reach bob, each ping a counted no-call drop"
before=$(reason_count no-call)
ping_none alice 10.77.0.2 3 || fail "alice reached bob without a call"
expect_ge "$(( $(reason_count no-call) - before ))" 3 "no-call drops"

step "alice calls bob over IPv6 (UDP ear)"
postbox alice call bob | grep -q "connected alice and bob" || fail "call refused"
pawctl -j call list | jq -e '.[] | select(.a=="alice" and .b=="bob" and .live)' >/dev/null ||
	fail "call list does not show a live alice-bob call"

step "alice <-> bob: ping crosses one hop (TTL 63)"
out=$(in_ns alice ping -c 3 -i 0.2 -W 1 10.77.0.2) || fail "alice cannot ping bob: $out"
echo "$out" | grep -q 'ttl=63' || fail "replies did not cross the Switchboard: $out"

step "UDP stream with iperf3: nothing lost"
in_ns bob iperf3 -s -1 -B 10.77.0.2 -p 5201 >/dev/null 2>&1 &
wait_for 5 in_ns bob sh -c 'ss -ltn | grep -q :5201' || fail "iperf3 server did not start"
res=$(in_ns alice iperf3 -c 10.77.0.2 -p 5201 -u -b 8M -l 1000 -t 2 -J) ||
	fail "iperf3 failed: $res"
[ "$(echo "$res" | jq -r '.error // empty')" = "" ] || fail "iperf3: $(echo "$res" | jq -r .error)"
lost=$(echo "$res" | jq '.end.sum.lost_packets')
sent=$(echo "$res" | jq '.end.sum.packets')
expect_ge "$sent" 100 "datagrams sent"
[ "$lost" = 0 ] || fail "$lost datagrams lost on a call; at bob: $(udp_loss_report bob)"
fwd=$(pawctl -j stats call alice bob | jq '.a_to_b.packets')
expect_ge "$fwd" "$sent" "frames counted on the call"

step "alice -> carol: no call, dropped and counted"
before=$(reason_count no-call)
ping_none alice 10.77.0.3 3 || fail "alice reached carol without a call"
expect_ge "$(( $(reason_count no-call) - before ))" 3 "no-call drops"

step "bob hangs up: traffic stops"
postbox bob hangup alice >/dev/null || fail "hangup refused"
ping_none alice 10.77.0.2 3 || fail "alice still reaches bob after the hangup"
pawctl -j call list | jq -e 'length == 0' >/dev/null || fail "call still listed"
log "ok"
