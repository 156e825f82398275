#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Soil_options decide, end to end: who may call and post (allow lists),
# how many calls (max-calls), how many waiting messages (postbox-max);
# unregistered clients cannot call; refusals say why and exit 1.
. "$(dirname "$0")/lib.sh"

topology_up alice bob carol
CLIENT_IP[dave]=10.77.0.4
pawd_config pass
pawd_start
for c in alice bob carol; do
	enrol "$c"
done
pawctl client add dave ipv4 10.77.0.4 port p-dave secret-file "$T/dave.key" >/dev/null ||
	fail "cannot enrol dave"
postbox alice register ipv4 10.77.0.1 max-calls 1 >/dev/null || fail "alice register"
postbox bob register ipv4 10.77.0.2 allow alice postbox-max 2 >/dev/null || fail "bob register"
register carol

expect_refused() {	# WHAT STATUS CMD...
	local what=$1 st=$2 out
	shift 2
	out=$("$@" 2>&1) && fail "$what was accepted: $out"
	echo "$out" | grep -q "$st" || fail "$what: expected '$st' in: $out"
}

step "bob allows only alice"
expect_refused "carol calling bob" denied postbox carol call bob
expect_refused "carol posting to bob" denied postbox carol post bob "hi"
postbox alice call bob >/dev/null || fail "alice cannot call bob"

step "alice has max-calls 1"
expect_refused "alice's second call" limit postbox alice call carol
expect_refused "carol calling alice (alice is full)" limit postbox carol call alice
postbox alice hangup bob >/dev/null || fail "hangup"
postbox alice call carol >/dev/null || fail "alice cannot call carol after hanging up"

step "bob's postbox holds 2"
postbox alice post bob "one" >/dev/null || fail "post 1"
postbox alice post bob "two" >/dev/null || fail "post 2"
expect_refused "a third post" limit postbox alice post bob "three"
postbox bob fetch ack >/dev/null || fail "fetch ack"
postbox alice post bob "three" >/dev/null || fail "post after the postbox emptied"

step "the IPv4 is the enrolled one; unknown peers; unregistered clients"
expect_refused "calling dave (not registered)" unavailable postbox carol call dave
expect_refused "registering another address" conflict postbox carol register ipv4 10.77.0.9
expect_refused "calling nobody" not-found postbox carol call nobody
expect_refused "calling oneself" denied postbox carol call carol
bob_opts=$(pawctl -j client show bob | jq -c '.options')
expect_eq "$bob_opts" '{"allow":["alice"],"max_calls":8,"postbox_max":2,"retention_s":604800}' \
	"bob's Soil_options"

step "options change with set"
postbox bob set allow-all >/dev/null || fail "set allow-all"
postbox carol post bob "now allowed" >/dev/null || fail "post after allow-all"
log "ok"
