#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# pawctl as a user drives it: every admin command against a running pawd,
# in text and JSON (parsed back), exit codes 0/1/2, and the hints when
# pawd is not there.
. "$(dirname "$0")/lib.sh"

topology_up alice bob carol
pawd_config pass
pawd_start

step "status, ports"
pawctl status | grep -q "MainBackend.abc" || fail "status does not name MainBackend"
pawctl -j status | jq -e '.ear.port == 53 and .counts.ports == 3' >/dev/null || fail "status -j"
pawctl -j -p status | jq -e . >/dev/null || fail "pretty JSON does not parse"
pawctl port list | grep -q p-bob || fail "port list"
pawctl -j port list | jq -e 'map(select(.attached)) | length == 3' >/dev/null || fail "ports attached"

step "clients: add (secret shown once, or to a file), list, show, del"
out=$(pawctl client add alice ipv4 10.77.0.1 port p-alice) || fail "client add"
secret=$(echo "$out" | grep -Eo '[0-9a-f]{64}') || fail "no secret printed: $out"
echo "$secret" > "$T/alice.key"
chmod 600 "$T/alice.key"
enrol bob mac
enrol carol
[ "$(stat -c %a "$T/bob.key")" = 600 ] || fail "secret file is not mode 0600"
pawctl client add bob ipv4 10.77.0.9 port p-bob 2>/dev/null; expect_eq $? 1 "adding bob twice"
pawctl client add eve ipv4 10.77.0.2 port p-bob 2>/dev/null; expect_eq $? 1 "taking bob's address"
pawctl client add eve ipv4 nonsense port p-bob 2>/dev/null; expect_eq $? 2 "a bad address"
pawctl client add 2>/dev/null; expect_eq $? 2 "a missing name"
pawctl client list | grep -q carol || fail "client list"
pawctl -j client list | jq -e 'length == 3' >/dev/null || fail "client list -j"
pawctl -j client show bob | jq -e '.mac == "02:00:00:00:0b:01" and .online' >/dev/null ||
	fail "client show bob"
pawctl client show nobody 2>/dev/null; expect_eq $? 1 "showing nobody"
for c in alice bob carol; do register "$c"; done

step "calls placed by the admin, their counters, stats in every form"
pawctl call add alice carol || fail "call add"
pawctl call add alice carol 2>/dev/null; expect_eq $? 1 "calling twice"
ping_ok alice 10.77.0.3 3 || fail "no traffic on an admin call"
pawctl -s call list | grep -q carol || fail "call list -s"
pawctl -s -j call list | jq -e '.[0].by_admin and .[0].a_to_b.packets >= 3' >/dev/null ||
	fail "call list counters"
pawctl -j stats | jq -e '.reasons.forward.packets >= 6' >/dev/null || fail "stats"
pawctl -s stats | grep -q forward || fail "stats -s"
pawctl -j stats port p-alice | jq -e '.forwarded_in.packets >= 3' >/dev/null || fail "stats port"
pawctl -j stats client alice | jq -e '.sent.packets >= 3' >/dev/null || fail "stats client"
pawctl -j stats call alice carol | jq -e '.b_to_a.packets >= 3' >/dev/null || fail "stats call"

step "monitor: drops and calls as they happen"
pawctl -j monitor all count 3 > "$T/mon.json" &
mon=$!
sleep 0.5
ping_none bob 10.77.0.3 2 || fail "bob reached carol without a call"
pawctl call del alice carol || fail "call del"
wait_for 5 sh -c "! kill -0 $mon 2>/dev/null" || fail "monitor did not stop after 3 events"
jq -e -s 'length == 3 and (map(.event) | index("drop") != null)' "$T/mon.json" >/dev/null ||
	fail "monitor events: $(cat "$T/mon.json")"

step "deleting a client hangs up its calls"
pawctl call add bob carol || fail "call add bob carol"
pawctl client del carol || fail "client del"
pawctl -j call list | jq -e 'length == 0' >/dev/null || fail "carol's call survived her"
ping_none bob 10.77.0.3 2 || fail "traffic to a deleted client"

step "usage errors exit 2, refusals 1, an absent pawd 1 with a hint"
pawctl frobnicate 2>/dev/null; expect_eq $? 2 "unknown object"
pawctl call 2>/dev/null >/dev/null; rc=$?; [ "$rc" -eq 0 ] || expect_eq "$rc" 2 "call without verb"
pawctl call add alice 2>/dev/null; expect_eq $? 2 "call add with one name"
pawctl port add nosuchdev 2>/dev/null; expect_eq $? 1 "adding a missing device"
pawd_stop TERM
out=$(pawctl status 2>&1); expect_eq $? 1 "status without pawd"
echo "$out" | grep -q "is pawd running" || fail "no hint without pawd: $out"
log "ok"
