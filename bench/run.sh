#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Runs the benchmarks (issue 7) and, for a full run, writes the plots and
# docs/benchmarks.md from bench/benchmarks.md.in.
#
# Usage: bench/run.sh [--smoke] [PART ...]
#   PART     one of: fwd fwd2 cost maps postbox setup scale (default: all)
#   --smoke  about a second of each tool, nothing written under docs/;
#            exits non-zero only when a tool is broken
#   --report write the plots and docs/benchmarks.md from the last full
#            run's results again, running nothing
# Environment: BUILD (default build), BENCH_OUT (default $BUILD/bench/results
# or $BUILD/bench/smoke), BENCH_REPS (fwd repetitions, default 7),
# BENCH_SCALE_T (time bound of paw-bench-scale's CALL phase, default 90 s).
#
# A part is a function part_NAME below that runs one tool and leaves
# $OUT/NAME.md (its section of docs/benchmarks.md) behind; a new
# benchmark is one more function and one more name in PARTS.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
B=$BUILD/bench
PARTS="fwd fwd2 cost maps postbox setup scale"
smoke=0
report=0
want=()
for a in "$@"; do
	case "$a" in
	--smoke) smoke=1 ;;
	--report) report=1 ;;
	-h|--help) sed -n '3,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*)
		case " $PARTS " in
		*" $a "*) want+=("$a") ;;
		*) echo "bench: unknown part '$a' (parts: $PARTS)" >&2; exit 2 ;;
		esac ;;
	esac
done
[ ${#want[@]} -eq 0 ] && read -r -a want <<< "$PARTS"
if [ "$smoke" = 1 ]; then
	OUT=${BENCH_OUT:-$B/smoke}
	SMOKE=(--smoke)
else
	OUT=${BENCH_OUT:-$B/results}
	SMOKE=()
fi
REPS=${BENCH_REPS:-7}
mkdir -p "$OUT" || exit 1
if [ "$report" = 0 ]; then
	rm -f "$OUT"/*.md "$OUT"/*.dat "$OUT"/*.tsv "$OUT"/*.log "$OUT"/*.err "$OUT"/run.env
fi

# The tools clean up after themselves, on errors and on SIGINT/SIGTERM.
# Should one be killed outright, its namespaces (paw-bench-ROLE-PID) go
# here; its BPF programs and links die with it, and so does the pawd it
# ran (PR_SET_PDEATHSIG), whose pins (/sys/fs/bpf/paw-bench-PID) and files
# (/tmp/paw-bench-PID) go here too.
child=0
cleanup() {
	local ns
	if [ "$child" -gt 0 ] && kill -0 "$child" 2>/dev/null; then
		kill -TERM "$child" 2>/dev/null
		wait "$child" 2>/dev/null
	fi
	if [ "$child" -gt 0 ]; then
		for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -E "^paw-bench-[a-z]+-$child\$"); do
			ip netns del "$ns" 2>/dev/null
		done
		rm -rf "/sys/fs/bpf/paw-bench-$child" "/tmp/paw-bench-$child"
	fi
	child=0
}
trap 'cleanup; exit 130' INT TERM
trap cleanup EXIT

# run NAME TOOL ARGS...: the tool's table to the terminal and NAME.log.
failed=()
skipped=()
run() {
	local name=$1 rc
	shift
	printf '\n== %s: %s\n' "$name" "$*"
	"$@" > >(tee "$OUT/$name.log") 2> >(tee "$OUT/$name.err" >&2) &
	child=$!
	wait "$child"
	rc=$?
	child=0
	case "$rc" in
	0) ;;
	77) skipped+=("$name"); echo "bench: $name skipped (needs root)" ;;
	*) failed+=("$name"); echo "bench: $name FAILED (exit $rc)" >&2 ;;
	esac
	return 0
}

part_fwd() {
	run fwd "$B/paw-bench-fwd" --placement one -r "$REPS" "${SMOKE[@]}" \
		-o "$OUT/fwd.tsv" --md "$OUT/fwd.md" --dat "$OUT/fwd.dat"
}

part_fwd2() {
	run fwd2 "$B/paw-bench-fwd" --placement two -r "$REPS" -c gen-recv,a,c,e -f 1 \
		"${SMOKE[@]}" -o "$OUT/fwd2.tsv" --md "$OUT/fwd2.md"
}

part_cost() {
	run cost "$B/paw-bench-cost" "${SMOKE[@]}" -o "$OUT/cost.tsv" --md "$OUT/cost.md" \
		--dat "$OUT/cost.dat"
}

part_maps() {
	run maps "$B/paw-bench-maps" "${SMOKE[@]}" -o "$OUT/maps.tsv" --md "$OUT/maps.md"
}

# Issue 7, part 3, the Operator's side: these run pawd from $BUILD.
part_postbox() {
	run postbox "$B/paw-bench-postbox" "${SMOKE[@]}" -o "$OUT/postbox.tsv" \
		--md "$OUT/postbox.md"
}

part_setup() {
	run setup "$B/paw-bench-setup" "${SMOKE[@]}" -o "$OUT/setup.tsv" --md "$OUT/setup.md"
}

part_scale() {
	run scale "$B/paw-bench-scale" "${SMOKE[@]}" -T "${BENCH_SCALE_T:-90}" \
		--md "$OUT/scale.md"
}

if [ "$report" = 1 ]; then
	# shellcheck disable=SC1091
	. "$OUT/run.env" 2>/dev/null || { echo "bench: no full run in $OUT to report" >&2; exit 1; }
else
	start=$(date +%s)
	load=$(cut -d' ' -f1-3 /proc/loadavg)
	when=$(date -u '+%Y-%m-%d %H:%M UTC')
	for p in "${want[@]}"; do
		"part_$p"
	done
	secs=$(( $(date +%s) - start ))
	printf 'load=%q\nwhen=%q\nsecs=%q\nREPS=%q\nparts=%q\n' "$load" "$when" "$secs" \
		"$REPS" "${want[*]}" > "$OUT/run.env"
fi

if [ "$smoke" = 1 ]; then
	printf '\n== summary (%d s): smoke, not for numbers\n' "$secs"
else
	printf '\n== summary (%d s): targets of issue 7 (medians)\n' "$secs"
	for p in "${want[@]}"; do
		[ -f "$OUT/$p.log" ] && sed -n "s/^TARGET /  $p: /p" "$OUT/$p.log"
	done
fi
[ ${#skipped[@]} -gt 0 ] && echo "skipped: ${skipped[*]}"
if [ ${#failed[@]} -gt 0 ]; then
	echo "FAILED: ${failed[*]}" >&2
	exit 1
fi
if [ "$smoke" = 1 ]; then
	[ ${#skipped[@]} -eq 0 ] && echo "bench smoke: every tool ran (${secs} s)"
	exit 0
fi
[ ${#skipped[@]} -gt 0 ] && exit 0

# ---- plots and docs/benchmarks.md, full runs only ----
if command -v gnuplot >/dev/null 2>&1; then
	[ -f "$OUT/fwd.dat" ] && gnuplot -e "dat='$OUT/fwd.dat'; out='docs/bench-pps.svg'" \
		bench/plot-pps.gp && echo "wrote docs/bench-pps.svg"
	[ -f "$OUT/cost.dat" ] && gnuplot -e "dat='$OUT/cost.dat'; out='docs/bench-lookup.svg'" \
		bench/plot-lookup.gp && echo "wrote docs/bench-lookup.svg"
else
	echo "bench: gnuplot missing (scripts/install-deps.sh bench): no plots" >&2
fi

if [ "${parts:-${want[*]}}" != "$PARTS" ]; then
	echo "bench: only some parts ran; docs/benchmarks.md left as it is"
	exit 0
fi
machine=$(printf '%s, %s CPUs, %s GiB, Linux %s, %s; clang %s, libbpf %s' \
	"$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)" "$(nproc)" \
	"$(awk '/MemTotal/ {printf "%.0f", $2 / 1048576}' /proc/meminfo)" "$(uname -r)" \
	"$(. /etc/os-release 2>/dev/null; echo "${PRETTY_NAME:-unknown OS}")" \
	"$(clang --version 2>/dev/null | sed -n 's/.*clang version \([0-9.]*\).*/\1/p' | head -1)" \
	"$(pkg-config --modversion libbpf 2>/dev/null)")
virt="virtual machine: $(systemd-detect-virt --vm 2>/dev/null || echo unknown)"
ct=$(systemd-detect-virt --container 2>/dev/null) && virt="$virt, in a $ct container"
tmp=$(mktemp) || exit 1
awk -v out="$OUT" -v machine="$machine" -v virt="$virt" -v load="$load" \
    -v date="$when" -v secs="$secs" -v reps="$REPS" '
	# @NAME@ alone on a line: $OUT/name.md from a part, or bench/name.md
	# for a hand-written section.
	/^@[A-Z0-9]+@$/ {
		name = tolower(substr($0, 2, length($0) - 2))
		f = out "/" name ".md"
		if ((getline line < f) <= 0) {
			close(f)
			f = "bench/" name ".md"
			if ((getline line < f) <= 0) {
				print "*(no results)*"
				next
			}
		}
		print line
		while ((getline line < f) > 0) print line
		close(f)
		next
	}
	{
		gsub(/@MACHINE@/, machine); gsub(/@VIRT@/, virt); gsub(/@LOAD@/, load)
		gsub(/@DATE@/, date); gsub(/@SECS@/, secs); gsub(/@REPS@/, reps)
		print
	}' bench/benchmarks.md.in > "$tmp" && mv "$tmp" docs/benchmarks.md && chmod 644 docs/benchmarks.md &&
	echo "wrote docs/benchmarks.md"
