#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A call hung up mid-stream stops the traffic within one frame: ping at
# 100 per second, hang up, and count the replies alice received after the
# hangup was acknowledged (ping -D stamps each one). At most one may be a
# frame already on its way.
. "$(dirname "$0")/lib.sh"

topology_up alice bob
pawd_config pass
pawd_start
clients_ready alice bob
postbox alice call bob >/dev/null || fail "call refused"
ping_ok alice 10.77.0.2 2 || fail "no traffic on the call"

in_ns alice ping -D -n -i 0.01 -c 300 -W 1 10.77.0.2 > "$T/ping.txt" 2>&1 &
pp=$!
sleep 1
postbox bob hangup alice >/dev/null || fail "hangup refused"
t_done=$(date +%s.%N)
wait "$pp"
before=$(awk -v t="$t_done" -F'[][]' '/bytes from/ { if ($2 + 0 <= t) n++ } END { print n + 0 }' "$T/ping.txt")
after=$(awk -v t="$t_done" -F'[][]' '/bytes from/ { if ($2 + 0 > t) n++ } END { print n + 0 }' "$T/ping.txt")
log "replies before the hangup: $before, after it: $after"
expect_ge "$before" 20 "replies while the call was up"
[ "$after" -le 1 ] || fail "$after replies arrived after the hangup was acknowledged"
log "ok"
