#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A broken config is one clear error naming file, line and key; pawd exits
# non-zero and touches nothing: no pins, no data server, no sockets, no
# port changes. --check-config says the same without starting.
. "$(dirname "$0")/lib.sh"

topology_up alice
pawd_config pass
in_sw_net "$BUILD/pawd" -c "$T/pawd.conf" --check-config >/dev/null || fail "--check-config on a good file"

try_bad() {	# DESCRIPTION SED-EXPR EXPECTED-KEY
	local what=$1 expr=$2 key=$3 out rc
	sed "$expr" "$T/pawd.conf" > "$T/bad.conf"
	out=$(in_sw_net "$BUILD/pawd" -f -c "$T/bad.conf" 2>&1)
	rc=$?
	[ "$rc" -ne 0 ] || fail "$what: pawd started"
	echo "$out" | grep -Eq "bad\.conf:[0-9]+: $key:" ||
		fail "$what: error does not name file, line and key '$key': $out"
	[ ! -e "$PIN" ] || fail "$what: pins were created"
	[ ! -e "$T/paw.db" ] || fail "$what: the data server was created"
	[ ! -e "$T/pawd.sock" ] || fail "$what: the control socket was created"
	ip -n "$NS_SW" link show p-alice | grep -q 'state DOWN' || fail "$what: the port was touched"
	log "  $what -> $(echo "$out" | head -1)"
}

step "bad values, keys and sections"
try_bad "port out of range" 's/^port = 53/port = 70000/' port
try_bad "unknown key" 's/^idle_timeout = 10/idle_tiemout = 10/' idle_tiemout
try_bad "bad policy" 's/^default = pass/default = maybe/' default
try_bad "IPv4 as MainBackend" "s/^address = $MAINBACKEND/address = 10.0.0.1/" address
try_bad "bad xdp mode" 's/^xdp_mode = .*/xdp_mode = turbo/' xdp_mode
try_bad "bad boolean" 's/^proxy_arp = yes/proxy_arp = perhaps/' proxy_arp
try_bad "bad map size" 's/^max_calls = 4096/max_calls = -1/' max_calls

step "missing required key, missing file"
sed '/^address = /d' "$T/pawd.conf" > "$T/bad.conf"
out=$(in_sw_net "$BUILD/pawd" -f -c "$T/bad.conf" 2>&1) && fail "pawd started without an ear address"
echo "$out" | grep -q "bad.conf: ear: address" || fail "missing address not named: $out"
out=$(in_sw_net "$BUILD/pawd" -f -c "$T/none.conf" 2>&1) && fail "pawd started without a config"
echo "$out" | grep -q "none.conf" || fail "missing file not named: $out"
out=$(in_sw_net "$BUILD/pawd" -c "$T/bad.conf" --check-config 2>&1) && fail "--check-config passed a bad file"
[ ! -e "$PIN" ] || fail "pins were created"
log "ok"
