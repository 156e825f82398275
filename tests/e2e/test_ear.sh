#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The ear over UDP and TCP: every Postbox verb works on both; forged,
# unknown, replayed, oversized and garbage requests are refused and
# counted, nothing they carry is stored, and pawd keeps serving.
. "$(dirname "$0")/lib.sh"
require_tools tcpdump xxd

topology_up alice bob
pawd_config pass
pawd_start
enrol alice
enrol bob
refused() { pawctl -j stats | jq -r --arg s "$1" '.ear.refused[$s]'; }


for proto in udp tcp; do
	step "every verb over $proto"
	postbox alice "$proto" register ipv4 10.77.0.1 >/dev/null || fail "register/$proto"
	postbox bob "$proto" register ipv4 10.77.0.2 allow alice max-calls 4 >/dev/null ||
		fail "register/$proto (bob)"
	postbox bob "$proto" set postbox-max 50 retention 3600 >/dev/null || fail "set/$proto"
	postbox alice "$proto" call bob >/dev/null || fail "call/$proto"
	pawctl -j call list | jq -e 'length == 1' >/dev/null || fail "no call after call/$proto"
	postbox alice "$proto" hangup bob >/dev/null || fail "hangup/$proto"
	pawctl -j call list | jq -e 'length == 0' >/dev/null || fail "call left after hangup/$proto"
	postbox alice "$proto" post bob "over $proto" >/dev/null || fail "post/$proto"
	out=$(postbox bob "$proto" fetch) || fail "fetch/$proto"
	echo "$out" | grep -q "over $proto" || fail "fetch/$proto did not return the post: $out"
	postbox bob "$proto" fetch ack >/dev/null || fail "fetch ack/$proto"
	postbox bob "$proto" fetch | grep -q "over $proto" && fail "ack/$proto did not remove it"
	postbox alice "$proto" status | grep -q alice || fail "status/$proto"
done
accepted=$(pawctl -j stats | jq '.ear.accepted')
expect_ge "$accepted" 20 "accepted requests"

step "a forged request (wrong secret) is refused, counted, not stored"
head -c 32 /dev/urandom | xxd -p -c 64 > "$T/forged.key"
before=$(refused auth)
in_ns alice "$BUILD/pawctl" postbox name bob secret-file "$T/forged.key" set allow-all \
	>/dev/null 2>&1 && fail "a forged SET was accepted"
in_ns alice "$BUILD/pawctl" postbox tcp name bob secret-file "$T/forged.key" call alice \
	>/dev/null 2>&1 && fail "a forged CALL was accepted"
expect_eq "$(( $(refused auth) - before ))" 2 "refused as auth"
pawctl -j client show bob | jq -e '.options.allow == ["alice"]' >/dev/null ||
	fail "a forged request changed bob's options"
in_ns alice "$BUILD/pawctl" postbox name mallory secret-file "$T/forged.key" status \
	>/dev/null 2>&1 && fail "an unknown client was answered"

step "a captured request replayed is refused as a replay"
in_sw timeout 30 tcpdump -Z root -i p-alice -c 1 -w "$T/req.pcap" 'udp dst port 53' \
	> /dev/null 2> "$T/tcpdump.err" &
cap=$!
wait_for 20 grep -q "listening on" "$T/tcpdump.err" || fail "tcpdump did not start: $(cat "$T/tcpdump.err")"
postbox alice status >/dev/null || fail "status refused"
wait "$cap" || fail "nothing captured"
# One packet in a pcap file: a 24-byte file header, a 16-byte record
# header, then the frame: Ethernet (14), IPv6 (40), UDP (8), the request.
tail -c +$(( 24 + 16 + 14 + 40 + 8 + 1 )) "$T/req.pcap" > "$T/req.bin"
[ -s "$T/req.bin" ] || fail "could not extract the request"
before=$(refused replay)
for _ in 1 2 3; do
	in_ns alice socat -u "OPEN:$T/req.bin" "UDP6-SENDTO:[$MAINBACKEND]:53" || fail "socat"
done
replays_from() { [ "$(refused replay)" -ge $(( $1 + 3 )) ]; }
wait_for 3 replays_from "$before" || fail "replays not refused as replays ($(refused replay) - $before)"

step "garbage: not a Postbox datagram, an oversized one, a TCP stream of noise"
for _ in $(seq 50); do
	head -c $((RANDOM % 200 + 1)) /dev/urandom | in_ns alice socat -u - "UDP6-SENDTO:[$MAINBACKEND]:53"
done
head -c 1400 /dev/zero | tr '\0' 'P' | in_ns alice socat -u - "UDP6-SENDTO:[$MAINBACKEND]:53"
head -c 3000 /dev/urandom | in_ns alice timeout 3 socat -u - "TCP6:[$MAINBACKEND]:53" 2>/dev/null
postbox alice status >/dev/null || fail "pawd stopped answering after garbage"
expect_ge "$(refused bad-request)" 1 "garbage counted"
expect_ge "$(refused too-big)" 1 "oversized datagram counted"

step "[ear] rate: a client over its rate is told to slow down, others are not"
sed -i 's/^port = 53$/port = 53\nrate = 2/' "$T/pawd.conf"
kill -HUP "$PAWD_PID"
wait_for 5 grep -q 'configuration reloaded' "$T/pawd.log" || fail "no reload"
before=$(refused busy)
busy=0
for _ in $(seq 8); do
	postbox alice status >/dev/null 2>&1 || busy=$((busy + 1))
done
expect_ge "$busy" 3 "requests refused over the rate"
expect_ge "$(( $(refused busy) - before ))" 3 "refusals counted as busy"
postbox bob status >/dev/null || fail "bob was limited for alice's burst"

step "a silent TCP connection is closed after idle_timeout"
sed -i 's/^idle_timeout = .*/idle_timeout = 1/' "$T/pawd.conf"
kill -HUP "$PAWD_PID"
wait_for 5 sh -c "[ \$(grep -c 'configuration reloaded' '$T/pawd.log') -ge 2 ]" || fail "no reload"
start=$(date +%s)
# socat exits when pawd closes; a hold of 10 s means it never did.
in_ns alice timeout 10 socat -u "TCP6:[$MAINBACKEND]:53" - </dev/null >/dev/null 2>&1
held=$(( $(date +%s) - start ))
[ "$held" -lt 8 ] || fail "an idle TCP connection was held ${held} s (idle_timeout = 1)"
log "idle connection closed after ${held} s"
log "ok"
