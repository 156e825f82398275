#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Fail-secure restarts: pawd stopped with SIGTERM and killed with SIGKILL
# while a UDP stream flows on a call. The pinned Switchboard keeps
# forwarding: iperf3 must count zero lost datagrams. After each restart
# the state is the same (the call is live, counters went on), and every
# acknowledged post is still in the data server.
. "$(dirname "$0")/lib.sh"
require_tools iperf3

topology_up alice bob
pawd_config pass
pawd_start
clients_ready alice bob
postbox alice call bob >/dev/null || fail "call refused"
ping_ok alice 10.77.0.2 2 || fail "no traffic on the call"

step "20 posts acknowledged, then SIGKILL right after the last"
for i in $(seq 20); do
	postbox alice post bob "message $i" >/dev/null || fail "post $i refused"
done
pawd_stop KILL
pawd_start
out=$(postbox bob tcp fetch max 32) || fail "fetch failed: $out"
for i in $(seq 20); do
	echo "$out" | grep -q "message $i\$" || fail "acknowledged post $i lost: $out"
done

step "UDP stream alice -> bob while pawd is stopped (TERM) and killed (KILL)"
in_ns bob iperf3 -s -1 -B 10.77.0.2 -p 5201 >/dev/null 2>&1 &
wait_for 5 in_ns bob sh -c 'ss -ltn | grep -q :5201' || fail "iperf3 server did not start"
in_ns alice iperf3 -c 10.77.0.2 -p 5201 -u -b 4M -l 1000 -t 6 -J > "$T/iperf.json" 2>&1 &
ipf=$!
sleep 1
pawd_stop TERM
sleep 0.5
pawctl status >/dev/null 2>&1 && fail "pawd still answers after SIGTERM"
pawd_start
pawctl -j call list | jq -e '.[0].live' >/dev/null || fail "call not live after restart"
sleep 1
pawd_stop KILL
sleep 0.5
pawd_start
wait "$ipf" || fail "iperf3 failed: $(cat "$T/iperf.json")"
[ "$(jq -r '.error // empty' "$T/iperf.json")" = "" ] || fail "iperf3: $(jq -r .error "$T/iperf.json")"
sent=$(jq '.end.sum.packets' "$T/iperf.json")
lost=$(jq '.end.sum.lost_packets' "$T/iperf.json")
log "iperf3: $sent datagrams sent, $lost lost across two restarts"
expect_ge "$sent" 2000 "datagrams sent"
[ "$lost" = 0 ] || fail "$lost datagrams lost across the restarts; at bob: $(udp_loss_report bob)"

step "after the restarts: same call, counters went on, reused pins"
pawctl -j status | jq -e '.datapath.reused' >/dev/null || fail "pins were not reused"
pkts=$(pawctl -j stats call alice bob | jq '.a_to_b.packets')
expect_ge "$pkts" "$sent" "the call's counter kept counting through the restarts"
pawctl -j call list | jq -e 'length == 1 and .[0].live' >/dev/null || fail "call list changed"
log "ok"
