#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Ports at runtime: a port added with pawctl carries its client's calls,
# removing it takes them out of the fast path and adding it back restores
# them; a port deleted under traffic takes its client offline without
# hurting pawd, and a port recreated under the same name comes back by
# itself; a port set down and up likewise.
. "$(dirname "$0")/lib.sh"

topology_up alice bob carol
CLIENTS=(alice bob)		# carol's port is not in the config
pawd_config pass
pawd_start
for c in alice bob carol; do
	enrol "$c"
done
register alice
register bob
pawctl -j port list | jq -e 'length == 2' >/dev/null || fail "expected two ports"

step "carol's port is added at runtime; she registers and alice calls her"
pawctl port add p-carol mode "$XDP_MODE" || fail "port add refused"
pawctl -j port list | jq -e '.[] | select(.name=="p-carol" and .attached and (.configured|not))' \
	>/dev/null || fail "p-carol not attached as a runtime port"
wait_for 5 register carol || fail "carol cannot register through her new port"
postbox alice call carol >/dev/null || fail "alice cannot call carol"
ping_ok alice 10.77.0.3 3 || fail "no traffic to carol"
pawctl port add p-carol 2>/dev/null && fail "adding a port twice succeeded"

step "port del: carol leaves the fast path, her call stays in the data server"
pawctl port del p-carol || fail "port del refused"
ping_none alice 10.77.0.3 2 || fail "alice still reaches carol without her port"
pawctl -j call list | jq -e '.[] | select(.b=="carol" and (.live|not))' >/dev/null ||
	fail "carol's call should be listed, not live"
client_offline carol || fail "carol still online"
pawctl port add p-carol mode "$XDP_MODE" || fail "port add (again) refused"
wait_for 5 ping_ok alice 10.77.0.3 2 || fail "carol's call did not come back with her port"

step "bob's port is deleted under traffic"
postbox alice call bob >/dev/null || fail "alice cannot call bob"
ping_ok alice 10.77.0.2 2 || fail "no traffic to bob"
in_ns alice ping -q -i 0.05 -c 40 -W 1 10.77.0.2 >/dev/null 2>&1 &
pp=$!
sleep 0.5
ip -n "$NS_SW" link del p-bob
wait "$pp"
pawctl status >/dev/null || fail "pawd died when a port vanished"
wait_for 5 client_offline bob || fail "bob still in the fast path after his port vanished"
pawctl -j port list | jq -e '.[] | select(.name=="p-bob" and (.attached|not))' >/dev/null ||
	fail "p-bob should be listed, detached"
ping_ok alice 10.77.0.3 2 || fail "carol's traffic suffered from bob's port"

step "bob's port is recreated under its name: pawd takes it back"
ip -n "$NS_SW" link add p-bob type veth peer name eth0 netns "$(ns_of bob)" \
	address "${CLIENT_MAC[bob]}" || fail "cannot recreate p-bob"
ip -n "$(ns_of bob)" link set eth0 up
ip -n "$(ns_of bob)" addr add 10.77.0.2/24 dev eth0
ip -n "$(ns_of bob)" -6 route add "$MAINBACKEND/128" dev eth0
if [ "$XDP_MODE" = native ]; then
	ip -n "$(ns_of bob)" link set dev eth0 xdpdrv obj "$BUILD/pass.bpf.o" sec xdp
	in_ns bob ethtool -K eth0 tx off >/dev/null
fi
wait_for 5 ping_ok alice 10.77.0.2 2 || fail "bob's call did not come back with his port"

step "alice's port down and up"
ip -n "$NS_SW" link set p-alice down
wait_for 5 ping_none alice 10.77.0.2 1 || fail "traffic crossed a port that is down"
ip -n "$NS_SW" link set p-alice up
wait_for 5 ping_ok alice 10.77.0.2 2 || fail "alice's calls did not come back with her port"
pawctl status >/dev/null || fail "pawd is gone"
log "ok"
