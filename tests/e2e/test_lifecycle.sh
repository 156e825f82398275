#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# pawd's lifecycle: daemon mode returns once ready and leaves a pidfile;
# sd_notify READY/RELOADING/STOPPING; only root or the control group may
# use the control socket; --detach and --unpin take the Switchboard off
# every port; a veth port pawd creates itself carries a client; on start
# pawd removes from the fast path what the data server no longer has.
. "$(dirname "$0")/lib.sh"
require_tools sqlite3 setpriv bpftool

topology_up alice bob
switchboard_ns_dave=$(ns_of dave)
ip netns add "$switchboard_ns_dave" || fail "cannot create dave's namespace"
ns_quiet "$switchboard_ns_dave"
CTL_GROUP=users
pawd_config pass "[port p-dave]" "create = veth" "peer = eth0" \
	"peer_netns = $switchboard_ns_dave"

step "daemon mode: returns when ready, pidfile names the daemon"
in_sw_net "$BUILD/pawd" -c "$T/pawd.conf" || fail "pawd (daemon mode) failed to start"
pawctl status >/dev/null || fail "not ready when the launcher returned"
PAWD_PID=$(cat "$T/pawd.pid") || fail "no pidfile"
kill -0 "$PAWD_PID" || fail "pidfile names no live process"

step "pawd created dave's veth port and moved its peer into dave's namespace"
ip -n "$NS_SW" link show p-dave >/dev/null 2>&1 || fail "p-dave not created"
ip -n "$switchboard_ns_dave" link show eth0 >/dev/null 2>&1 || fail "dave's eth0 not there"
ip -n "$switchboard_ns_dave" link set lo up
ip -n "$switchboard_ns_dave" link set eth0 address "${CLIENT_MAC[dave]}" up
ip -n "$switchboard_ns_dave" addr add 10.77.0.4/24 dev eth0
ip -n "$switchboard_ns_dave" -6 route add "$MAINBACKEND/128" dev eth0
mkdir -p "/etc/netns/$switchboard_ns_dave"
cp "/etc/netns/$(ns_of alice)/hosts" "/etc/netns/$switchboard_ns_dave/hosts"
for c in alice bob dave; do
	enrol "$c"
done
register alice
register bob
wait_for 5 register dave || fail "dave cannot register through a port pawd made"
postbox dave call alice >/dev/null || fail "dave cannot call alice"
ping_ok dave 10.77.0.1 2 || fail "no traffic on dave's port"

step "the control socket: root yes, others no, the control group yes"
chmod 755 "$T"
[ "$(stat -c '%a %G' "$T/pawd.sock")" = "660 users" ] || fail "socket mode/group: $(stat -c '%a %G' "$T/pawd.sock")"
out=$(setpriv --reuid=nobody --regid=nogroup --clear-groups \
	"$BUILD/pawctl" -S "$T/pawd.sock" status 2>&1) &&
	fail "nobody used the control socket"
echo "$out" | grep -qi "permission denied" || fail "no permission message: $out"
setpriv --reuid=nobody --regid=nogroup --groups=users \
	"$BUILD/pawctl" -S "$T/pawd.sock" status >/dev/null || fail "the control group was refused"

step "stale fast-path state goes on restart (the data server is the truth)"
postbox alice call bob >/dev/null || fail "alice cannot call bob"
kill -TERM "$PAWD_PID"
wait_for 10 sh -c "! kill -0 $PAWD_PID 2>/dev/null" || fail "pawd did not stop"
ping_ok alice 10.77.0.2 2 || fail "the call stopped with pawd"
sqlite3 "$T/paw.db" "DELETE FROM calls WHERE id = (SELECT max(id) FROM calls)" ||
	fail "cannot edit the data server"
PAWD_PID=
pawd_start
ping_none alice 10.77.0.2 2 || fail "a call the data server lost still forwards"
ping_ok dave 10.77.0.1 2 || fail "dave's call suffered from the reconcile"
pawctl -j call list | jq -e 'length == 1' >/dev/null || fail "call list after reconcile"

step "sd_notify: READY, RELOADING, STOPPING"
pawd_stop TERM
# A UNIX socket path needs no network namespace.
socat -u "UNIX-RECVFROM:$T/notify,fork" "OPEN:$T/notify.log,creat,append" &
wait_for 5 test -S "$T/notify" || fail "no notify socket"
NOTIFY_SOCKET=$T/notify pawd_start
kill -HUP "$PAWD_PID"
wait_for 5 grep -q RELOADING=1 "$T/notify.log" || fail "no RELOADING=1"
pawd_stop TERM
grep -q READY=1 "$T/notify.log" || fail "no READY=1: $(cat "$T/notify.log")"
grep -q STOPPING=1 "$T/notify.log" || fail "no STOPPING=1"

step "--unpin after a normal stop; --detach on stop"
ip -n "$NS_SW" link show p-alice | grep -q 'prog/xdp' || fail "stopping detached the ports"
in_sw_net "$BUILD/pawd" -c "$T/pawd.conf" --unpin || fail "--unpin failed"
ip -n "$NS_SW" link show p-alice | grep -q 'prog/xdp' && fail "--unpin left XDP on p-alice"
[ -e "$PIN" ] && fail "--unpin left pins"
pawd_start --detach
pawd_stop TERM
ip -n "$NS_SW" link show p-bob | grep -q 'prog/xdp' && fail "--detach left XDP on p-bob"
[ -e "$PIN" ] && fail "--detach left pins"
log "ok"
