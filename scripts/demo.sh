#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The main job: `sudo make demo`. Builds nothing itself (make did), sets up
# a switchboard namespace and three client namespaces joined by veth
# ports, starts pawd with an embedded SQLite data server, enrols the
# clients, has them register and call over IPv6 to MainBackend, and shows
# with real traffic: alice<->bob switched in the kernel, alice->carol
# dropped for want of a call, a posted message fetched, and the counters.
# Leaves nothing behind; `make demo-clean` clears an interrupted run.
PAW_TAG=demo
# shellcheck source=../tests/e2e/lib.sh
. "$(dirname "$0")/../tests/e2e/lib.sh"

B=$'\e[1m' N=$'\e[0m'
[ -t 1 ] || B= N=
say() { printf '\n%s== %s%s\n' "$B" "$*" "$N"; }
run() {	# CLIENT CMD...: show it as typed in the client's namespace, run it there
	local c=$1
	shift
	printf '%s[%s]$ %s%s\n' "$B" "$c" "$*" "$N"
	in_ns "$c" "$@"
}
as() {	# CLIENT pawctl postbox ... shown short
	local c=$1
	shift
	printf '%s[%s]$ pawctl postbox name %s secret-file %s.key %s%s\n' "$B" "$c" "$c" "$c" "$*" "$N"
	postbox "$c" "$@"
}
admin() {
	printf '%s[switchboard]$ pawctl %s%s\n' "$B" "$*" "$N"
	pawctl "$@"
}

start=$(date +%s)
say "Topology: a switchboard namespace, clients alice, bob and carol on veth ports"
topology_up alice bob carol
for c in alice bob carol; do
	printf '  %-6s %-10s eth0 %s  <-> port %s\n' "$c" "$(ns_of "$c")" "${CLIENT_IP[$c]}" "$(port_of "$c")"
done
printf '  MainBackend.abc = [%s]:53 (UDP and TCP), %s XDP on the ports\n' "$MAINBACKEND" "$XDP_MODE"

say "Starting pawd, the Operator (data server: SQLite in $T)"
pawd_config pass
pawd_start
admin status | sed 's/^/  /'

say "The admin enrols the clients (each gets a secret, written 0600)"
for c in alice bob carol; do
	admin client add "$c" ipv4 "${CLIENT_IP[$c]}" port "$(port_of "$c")" secret-file "$T/$c.key"
done

say "Each client registers its pawPrint with MainBackend over IPv6"
as alice register ipv4 10.77.0.1
as bob register ipv4 10.77.0.2 allow alice
as carol tcp register ipv4 10.77.0.3
admin client list

say "Without a call, nothing crosses: alice pings bob"
run alice ping -c 2 -i 0.2 -W 1 10.77.0.2 || true

say "alice calls bob (bob's Soil_options allow alice); carol tries bob too"
as alice call bob
as carol call bob || true
admin call list

say "alice <-> bob is switched in the kernel: one hop (TTL 63), no host routing"
run alice ping -c 3 -i 0.2 10.77.0.2

say "A UDP stream, alice -> bob, with iperf3"
in_ns bob iperf3 -s -1 -B 10.77.0.2 >/dev/null 2>&1 &
wait_for 5 in_ns bob sh -c 'ss -ltn | grep -q :5201' || fail "iperf3 server did not start"
run alice iperf3 -c 10.77.0.2 -u -b 50M -l 1000 -t 2 | grep -E 'receiver|sender' || true

say "alice -> carol has no call: dropped in the kernel and counted (live from the monitor)"
pawctl monitor drops count 3 > "$T/monitor.txt" 2>&1 &
mon=$!
sleep 0.5
run alice ping -c 3 -i 0.2 -W 1 10.77.0.3 || true
wait_for 5 sh -c "! kill -0 $mon 2>/dev/null" || kill "$mon" 2>/dev/null
sed 's/^/  monitor: /' "$T/monitor.txt"

say "The Postbox: alice posts to bob, bob fetches"
as alice post bob "hello bob, it is alice"
as bob fetch ack

say "Counters: per reason (pawctl -s stats) and per call"
admin -s stats
admin -s call list

say "Done in $(( $(date +%s) - start )) s. Cleaning up: namespaces, pins, data server."
