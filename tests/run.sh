#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Runs every test tier and prints one closing line:
#   N passed, N failed, N skipped
# Tiers: unit (cmocka), datapath (cmocka, BPF_PROG_TEST_RUN and a
# real-traffic smoke test), e2e (shell, network namespaces).
#
# Usage: tests/run.sh [-k] [TIER|PATTERN ...]
#   -k        keep going is the default; -x stops at the first failure
#   PATTERN   runs only tests whose file name contains it
# Environment: BUILD (default build), PAW_TEST_VALGRIND=1 runs the
# userspace-only unit binaries under valgrind.
# A shell test exits 0 (pass), 77 (skip) or anything else (fail); every
# skip is listed with its reason at the end, never silent.

set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
LOGDIR=${LOGDIR:-$BUILD/test-logs}
if ! mkdir -p "$LOGDIR" 2>/dev/null || [ ! -w "$LOGDIR" ]; then
	LOGDIR=$(mktemp -d /tmp/paw-test-logs.XXXXXX)
fi
rm -f "$LOGDIR"/*.log
stop_first=0
filters=()
for a in "$@"; do
	case "$a" in
	-x) stop_first=1 ;;
	-k) ;;
	*) filters+=("$a") ;;
	esac
done

passed=0 failed=0 skipped=0
failures=() skips=()

selected() {
	local name=$1 tier=$2
	[ ${#filters[@]} -eq 0 ] && return 0
	for f in "${filters[@]}"; do
		[ "$f" = "$tier" ] && return 0
		case "$name" in *"$f"*) return 0 ;; esac
	done
	return 1
}

# Leftovers of an interrupted earlier run would clash with this one. Test
# namespaces end in the pid of the process that made them; remove only
# those whose process is gone (another run may be going on beside us).
cleanup_stale() {
	local ns pid
	for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -E '^paw-' || true); do
		pid=${ns##*-}
		case "$pid" in ''|*[!0-9]*) continue ;; esac
		[ -d "/proc/$pid" ] || ip netns del "$ns" 2>/dev/null || true
	done
}

run_cmocka() {
	local bin=$1 tier=$2 name log rc p f s
	name=$(basename "$bin")
	selected "$name" "$tier" || return 0
	log="$LOGDIR/$name.log"
	printf '== %s: %s\n' "$tier" "$name"
	local runner=()
	if [ "${PAW_TEST_VALGRIND:-0}" = 1 ] && [ "$tier" = unit ]; then
		runner=(valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite
			--suppressions=tests/valgrind.supp)
	fi
	CMOCKA_MESSAGE_OUTPUT=TAP "${runner[@]}" "$bin" > "$log" 2>&1
	rc=$?
	p=$(grep -cE '^ok [0-9]+' "$log")
	s=$(grep -cE '^not ok [0-9]+ # SKIP' "$log")
	f=$(grep -E '^not ok [0-9]+' "$log" | grep -vc '# SKIP')
	passed=$((passed + p)) skipped=$((skipped + s)) failed=$((failed + f))
	while IFS= read -r line; do
		skips+=("$name: ${line#*# SKIP }")
	done < <(grep -E '^not ok [0-9]+ # SKIP' "$log")
	grep -E '^not ok [0-9]+' "$log" | grep -v '# SKIP' | sed "s|^|   FAIL $name: |"
	if [ "$f" -gt 0 ]; then
		failures+=("$name")
		grep -vE '^(ok|not ok|1\.\.)' "$log" | sed 's/^/   | /' | tail -40
	elif [ "$rc" -ne 0 ]; then
		# A crash or a failing group fixture reports no "not ok" line.
		failed=$((failed + 1))
		failures+=("$name (exit $rc)")
		sed 's/^/   | /' "$log" | tail -40
	fi
	grep -h '^SKIP:' "$log" | sort -u | sed 's/^/   /'
	printf '   %d passed, %d failed, %d skipped\n' "$p" "$f" "$s"
	[ "$stop_first" = 1 ] && [ ${#failures[@]} -gt 0 ] && finish
}

run_shell() {
	local t=$1 tier=$2 name log rc start
	name=$(basename "$t" .sh)
	selected "$name" "$tier" || return 0
	log="$LOGDIR/$name.log"
	start=$(date +%s)
	BUILD=$BUILD bash "$t" > "$log" 2>&1
	rc=$?
	case $rc in
	0) passed=$((passed + 1)); printf '== %s: %-40s ok (%ds)\n' "$tier" "$name" $(($(date +%s) - start)) ;;
	77) skipped=$((skipped + 1))
	    skips+=("$name: $(grep -m1 '^SKIP' "$log" || echo 'no reason given')")
	    printf '== %s: %-40s SKIPPED: %s\n' "$tier" "$name" "$(grep -m1 '^SKIP' "$log")" ;;
	*) failed=$((failed + 1)); failures+=("$name")
	   printf '== %s: %-40s FAILED (exit %d)\n' "$tier" "$name" "$rc"
	   sed 's/^/   | /' "$log" | tail -60 ;;
	esac
	[ "$stop_first" = 1 ] && [ ${#failures[@]} -gt 0 ] && finish
}

finish() {
	echo
	if [ ${#skips[@]} -gt 0 ]; then
		echo "SKIPPED (${#skips[@]}): these did not run and prove nothing:"
		printf '  %s\n' "${skips[@]}" | sort | uniq -c | sed 's/^ *1 /  /' | head -40
	fi
	if [ ${#failures[@]} -gt 0 ]; then
		echo "FAILED: ${failures[*]}  (logs in $LOGDIR/)"
	fi
	echo "$passed passed, $failed failed, $skipped skipped"
	[ "$failed" -eq 0 ] || exit 1
	exit 0
}

if [ "$(id -u)" -ne 0 ]; then
	echo "WARNING: not root: datapath and end-to-end tests will be SKIPPED" >&2
elif [ -d /sys/fs/bpf ] && ! mountpoint -q /sys/fs/bpf; then
	mount -t bpf bpf /sys/fs/bpf || echo "WARNING: cannot mount bpffs at /sys/fs/bpf" >&2
fi
cleanup_stale

for bin in "$BUILD"/tests/test_unit_*; do
	[ -x "$bin" ] && run_cmocka "$bin" unit
done
for bin in "$BUILD"/tests/test_datapath "$BUILD"/tests/test_smoke; do
	[ -x "$bin" ] && run_cmocka "$bin" datapath
done
for t in tests/e2e/test_*.sh; do
	[ -f "$t" ] && run_shell "$t" e2e
done
cleanup_stale
finish
