#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# pawd under valgrind through real work: enrolment, registration and calls
# over UDP and TCP, posts, a monitor, a reload, a client deleted, garbage
# on the ear, a clean stop. No memory error, no leak. bpf(2) parameter
# checks valgrind cannot model are suppressed (tests/valgrind.supp).
. "$(dirname "$0")/lib.sh"
require_tools valgrind
if ldd "$BUILD/pawd" 2>/dev/null | grep -q libasan; then
	skip "pawd in $BUILD is built with AddressSanitizer, which valgrind cannot run"
fi

PAWD_START_TICKS=600	# valgrind starts slowly
PAWD_WRAP="valgrind --leak-check=full --show-leak-kinds=definite,indirect \
--errors-for-leak-kinds=definite,indirect --error-exitcode=99 \
--suppressions=$PAW_ROOT/tests/valgrind.supp --log-file=$T/vg.log"
topology_up alice bob
pawd_config pass
pawd_start
clients_ready alice bob
postbox alice call bob >/dev/null || fail "call"
postbox alice tcp post bob "hi" >/dev/null || fail "post"
postbox bob fetch ack >/dev/null || fail "fetch"
pawctl -j monitor all count 1 >/dev/null &
mon=$!
ping_none alice 10.77.0.9 1
postbox bob tcp hangup alice >/dev/null || fail "hangup"
wait "$mon"
pawctl -s -j stats >/dev/null || fail "stats"
pawctl client del bob || fail "client del"
kill -HUP "$PAWD_PID"
wait_for 20 grep -q 'configuration reloaded' "$T/pawd.log" || fail "no reload"
head -c 300 /dev/urandom | in_ns alice socat -u - "UDP6-SENDTO:[$MAINBACKEND]:53"
postbox alice status >/dev/null || fail "status after garbage"
pid=$PAWD_PID
kill -TERM "$pid"
wait "$pid"
rc=$?
PAWD_PID=
grep -E "ERROR SUMMARY|in use at exit" "$T/vg.log" | sed 's/^==[0-9]*== /valgrind: /'
[ "$rc" -eq 0 ] || { sed 's/^/  | /' "$T/vg.log" | head -80; fail "valgrind found errors (exit $rc)"; }
grep -q "ERROR SUMMARY: 0 errors" "$T/vg.log" || fail "valgrind reported errors"
log "ok"
