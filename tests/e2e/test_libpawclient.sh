#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# libpawclient's cmocka tests against a real pawd, from inside a client's
# namespace: every call over UDP and TCP, and its refusals.
. "$(dirname "$0")/lib.sh"
[ -x "$BUILD/tests/pawclient_live" ] || fail "build tests/e2e/pawclient_live.c first (make)"

topology_up alice bob
pawd_config pass
pawd_start
enrol alice
enrol bob
register bob
out=$(in_ns alice env PAW_A=alice PAW_A_KEY="$T/alice.key" PAW_A_IPV4=10.77.0.1 \
	PAW_B=bob PAW_B_KEY="$T/bob.key" "$BUILD/tests/pawclient_live" 2>&1)
rc=$?
echo "$out"
[ "$rc" -eq 0 ] || fail "libpawclient live tests failed"
log "ok"
