# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# End-to-end harness, sourced by tests/e2e/test_*.sh and the demo.
#
# Topology, all in namespaces this script creates and deletes:
#
#   [alice] eth0 ──veth── p-alice ┐
#   [bob]   eth0 ──veth── p-bob   ├─ [switchboard]: pawd, the Switchboard on p-*
#   [carol] eth0 ──veth── p-carol ┘
#
# Clients share 10.77.0.0/24 (the ports answer ARP for each other by proxy)
# and reach MainBackend (fd70:a3::1) on-link from their IPv6 link-local
# address; /etc/netns/<ns>/hosts names it MainBackend.abc inside each
# client namespace (ip netns exec mounts it over /etc/hosts).
#
# A test exits 0 (pass), 77 (skip: says why on a line starting SKIP) or
# anything else (fail). Every wait is bounded.

set -u
set -o pipefail

PAW_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-build}
case "$BUILD" in /*) ;; *) BUILD=$PAW_ROOT/$BUILD ;; esac
SKIP=77
ID=${PAW_ID:-$$}
TAG=${PAW_TAG:-e2e}
NS_SW=paw-$TAG-sw-$ID
MAINBACKEND=fd70:a3::1
OTHER6=fd70:a3::99
PIN=/sys/fs/bpf/paw-$TAG-$ID
XDP_MODE=${PAW_XDP_MODE:-native}
T=$(mktemp -d "/tmp/paw-$TAG.XXXXXX")
CLIENTS=()
PAWD_PID=
declare -A PORT_EXTRA=()	# port -> extra lines for its [port] section

declare -A CLIENT_IP=([alice]=10.77.0.1 [bob]=10.77.0.2 [carol]=10.77.0.3 [dave]=10.77.0.4)
declare -A CLIENT_MAC=([alice]=02:00:00:00:0a:01 [bob]=02:00:00:00:0b:01
		       [carol]=02:00:00:00:0c:01 [dave]=02:00:00:00:0d:01)

ns_of() { echo "paw-$TAG-$1-$ID"; }
port_of() { echo "p-$1"; }

log() { printf '%s\n' "$*"; }
step() { printf -- '-- %s\n' "$*"; }
fail() {
	printf 'FAIL: %s\n' "$*"
	if [ -f "$T/pawd.log" ]; then
		echo "--- pawd log (last 40 lines):"
		tail -n 40 "$T/pawd.log"
	fi
	exit 1
}
skip() { printf 'SKIP: %s\n' "$*"; exit $SKIP; }

expect_eq() {	# ACTUAL EXPECTED WHAT
	[ "$1" = "$2" ] || fail "$3: got '$1', expected '$2'"
}

expect_ge() {	# ACTUAL MIN WHAT
	[ "$1" -ge "$2" ] 2>/dev/null || fail "$3: got '$1', expected at least $2"
}

require_root() {
	[ "$(id -u)" -eq 0 ] || skip "needs root (network namespaces, BPF)"
}

require_tools() {
	local t
	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 || skip "needs '$t' (scripts/install-deps.sh test)"
	done
}

require_build() {
	[ -x "$BUILD/pawd" ] && [ -x "$BUILD/pawctl" ] || fail "build pawd and pawctl first (make)"
}

# ---- cleanup ----

cleanup() {
	local rc=$?
	set +e
	if [ -n "$PAWD_PID" ] && kill -0 "$PAWD_PID" 2>/dev/null; then
		kill -KILL "$PAWD_PID" 2>/dev/null
		wait "$PAWD_PID" 2>/dev/null
	fi
	# Background jobs, and what a backgrounded function started under them.
	for j in $(jobs -p); do
		pkill -P "$j" 2>/dev/null
		kill "$j" 2>/dev/null
	done
	wait 2>/dev/null
	if [ -d "$PIN" ] && [ -x "$BUILD/pawd" ] && [ -f "$T/pawd.conf" ]; then
		in_sw_net "$BUILD/pawd" -c "$T/pawd.conf" --unpin >/dev/null 2>&1
	fi
	rm -rf "$PIN"
	for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -E "^paw-$TAG-.*-$ID\$"); do
		ip netns del "$ns" 2>/dev/null
		rm -rf "/etc/netns/$ns"
	done
	if [ "$rc" -ne 0 ] && [ "$rc" -ne "$SKIP" ] && [ -n "${PAW_KEEP_LOGS:-}" ]; then
		echo "logs kept in $T"
	else
		rm -rf "$T"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- topology ----

in_sw() { ip netns exec "$NS_SW" "$@"; }
# pawd enters only the network namespace: `ip netns exec` also remounts
# /sys, hiding the host's bpffs, and pins made in a private mount
# namespace would vanish with it (and the datapath with them).
in_sw_net() { nsenter --net="/var/run/netns/$NS_SW" "$@"; }
in_ns() { local c=$1; shift; ip netns exec "$(ns_of "$c")" "$@"; }

ns_quiet() {	# no DAD, no router solicitations: only what a test sends
	ip netns exec "$1" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
		net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.all.accept_ra=0 \
		net.ipv6.conf.default.accept_ra=0 net.ipv6.conf.default.router_solicitations=0 \
		net.ipv6.conf.all.router_solicitations=0 >/dev/null
}

switchboard_up() {
	ip netns add "$NS_SW" || fail "cannot create namespace $NS_SW"
	ns_quiet "$NS_SW"
	ip -n "$NS_SW" link set lo up
}

# client_up NAME: its namespace, a veth to the switchboard (port p-NAME),
# its IPv4, an on-link route to MainBackend and a hosts file naming it.
client_up() {
	local c=$1 ns port
	ns=$(ns_of "$c")
	port=$(port_of "$c")
	ip netns add "$ns" || fail "cannot create namespace $ns"
	ns_quiet "$ns"
	ip -n "$NS_SW" link add "$port" type veth peer name eth0 netns "$ns" \
		address "${CLIENT_MAC[$c]}" || fail "cannot create port $port"
	ip -n "$ns" link set lo up
	ip -n "$ns" link set eth0 up
	ip -n "$ns" addr add "${CLIENT_IP[$c]}/24" dev eth0
	ip -n "$ns" -6 route add "$MAINBACKEND/128" dev eth0
	mkdir -p "/etc/netns/$ns"
	printf '127.0.0.1 localhost\n::1 localhost\n%s MainBackend.abc\n' "$MAINBACKEND" \
		> "/etc/netns/$ns/hosts"
	if [ "$XDP_MODE" = native ]; then
		# Native redirect into a veth delivers only to a peer running XDP,
		# and loses CHECKSUM_PARTIAL: the client computes its checksums.
		ip -n "$ns" link set dev eth0 xdpdrv obj "$BUILD/pass.bpf.o" sec xdp ||
			fail "cannot attach the pass program to $c's eth0"
		ip netns exec "$ns" ethtool -K eth0 tx off >/dev/null ||
			fail "cannot turn off $c's TX checksum offload"
	fi
	CLIENTS+=("$c")
}

topology_up() {	# CLIENT...
	switchboard_up
	for c in "$@"; do
		client_up "$c"
	done
}

# ---- pawd ----

# pawd_config [POLICY] [EXTRA INI LINES...]
pawd_config() {
	local policy=${1:-pass} c
	shift || true
	{
		echo "# written by tests/e2e/lib.sh"
		echo "[ear]"
		echo "address = $MAINBACKEND"
		echo "name = MainBackend.abc"
		echo "port = 53"
		echo "idle_timeout = 10"
		echo "[policy]"
		echo "default = $policy"
		echo "[datapath]"
		echo "pin_dir = $PIN"
		echo "max_clients = 1024"
		echo "max_calls = 4096"
		echo "[store]"
		echo "path = $T/paw.db"
		echo "[control]"
		echo "socket = $T/pawd.sock"
		[ -n "${CTL_GROUP:-}" ] && echo "group = $CTL_GROUP"
		echo "[log]"
		echo "level = info"
		echo "[daemon]"
		echo "pidfile = $T/pawd.pid"
		for c in "${CLIENTS[@]}"; do
			echo "[port $(port_of "$c")]"
			echo "xdp_mode = $XDP_MODE"
			echo "proxy_arp = yes"
			[ -n "${PORT_EXTRA[$(port_of "$c")]:-}" ] && echo "${PORT_EXTRA[$(port_of "$c")]}"
		done
		for line in "$@"; do
			echo "$line"
		done
	} > "$T/pawd.conf"
}

pawctl() { in_sw "$BUILD/pawctl" -S "$T/pawd.sock" "$@"; }

# pawd_start: in the foreground (logs to $T/pawd.log), ready when its
# control socket answers (at most 10 s).
pawd_start() {
	# Not through a shell function: $! must be pawd itself.
	# PAWD_WRAP: e.g. "valgrind --leak-check=full" to run pawd under it.
	# shellcheck disable=SC2086
	nsenter --net="/var/run/netns/$NS_SW" ${PAWD_WRAP:-} "$BUILD/pawd" -f -c "$T/pawd.conf" "$@" \
		>> "$T/pawd.log" 2>&1 &
	PAWD_PID=$!
	for _ in $(seq "${PAWD_START_TICKS:-100}"); do
		if pawctl status >/dev/null 2>&1; then
			return 0
		fi
		kill -0 "$PAWD_PID" 2>/dev/null || fail "pawd exited while starting"
		sleep 0.1
	done
	fail "pawd did not become ready in 10 s"
}

# pawd_stop [SIGNAL]: stop it and wait (at most 10 s).
pawd_stop() {
	local sig=${1:-TERM}
	[ -n "$PAWD_PID" ] || return 0
	kill "-$sig" "$PAWD_PID" 2>/dev/null
	for _ in $(seq 100); do
		kill -0 "$PAWD_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$PAWD_PID" 2>/dev/null && fail "pawd did not stop on SIG$sig"
	wait "$PAWD_PID" 2>/dev/null
	PAWD_PID=
}

# ---- clients ----

enrol() {	# NAME [mac]: the admin enrols; the secret lands in $T/NAME.key
	local c=$1 extra=()
	[ "${2:-}" = mac ] && extra=(mac "${CLIENT_MAC[$c]}")
	pawctl client add "$c" ipv4 "${CLIENT_IP[$c]}" port "$(port_of "$c")" "${extra[@]}" \
		secret-file "$T/$c.key" >/dev/null || fail "cannot enrol $c"
}

# postbox NAME [udp|tcp] VERB ...: the client talks to MainBackend itself.
postbox() {
	local c=$1 proto=udp
	shift
	case "${1:-}" in udp|tcp) proto=$1; shift ;; esac
	in_ns "$c" "$BUILD/pawctl" postbox "$proto" name "$c" secret-file "$T/$c.key" "$@"
}

register() {	# NAME [udp|tcp]
	postbox "$1" "${2:-udp}" register ipv4 "${CLIENT_IP[$1]}" >/dev/null ||
		fail "$1 cannot register"
}

# ---- measuring ----

# reason_count REASON: packets counted under a Switchboard reason.
reason_count() {
	pawctl -j stats | jq -r --arg r "$1" '.reasons[$r].packets'
}

# ping_ok FROM TO_IP [COUNT]: all answered?
ping_ok() {
	in_ns "$1" ping -q -c "${3:-3}" -i 0.2 -W 1 "$2" >/dev/null 2>&1
}

ping_none() {	# FROM TO_IP [COUNT]: none answered?
	local out
	out=$(in_ns "$1" ping -q -c "${3:-3}" -i 0.2 -W 1 "$2" 2>&1)
	echo "$out" | grep -q ' 0 received'
}

wait_for() {	# SECONDS CMD...: until CMD succeeds
	local t=$1
	shift
	for _ in $(seq $((t * 10))); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

require_root
require_tools ip jq socat ping ethtool
require_build

# client_online NAME / client_offline NAME: in the fast path or not.
client_online() { pawctl -j client show "$1" | jq -e '.online == true' >/dev/null; }
client_offline() { pawctl -j client show "$1" | jq -e '.online == false' >/dev/null; }

# udp_loss_report CLIENT: where datagrams were lost on the way to CLIENT:
# its socket buffers (UdpRcvbufErrors) or before them.
udp_loss_report() {
	in_ns "$1" nstat -az 2>/dev/null | awk '/UdpRcvbufErrors|UdpInErrors|UdpInDatagrams/ { printf "%s=%s ", $1, $2 }'
	in_ns "$1" ethtool -S eth0 2>/dev/null | awk '/drops|xdp_redirect_err|peer_tq_xdp_xmit_err/ && $2 != 0 { printf "%s%s ", $1, $2 }'
}

# clients_ready NAME...: enrolled by the admin and registered by themselves.
clients_ready() {
	local c
	for c in "$@"; do
		enrol "$c"
		register "$c"
	done
}
