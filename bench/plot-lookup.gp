# SPDX-License-Identifier: GPL-2.0-or-later
# gnuplot -e "dat='cost.dat'; out='docs/bench-lookup.svg'" bench/plot-lookup.gp
# cost.dat (paw-bench-cost --dat): entries, then hot and spread ns for the
# XDP_PASS floor, the redirect floor, one lookup, two lookups, Paw.
set terminal svg size 900,520 dynamic enhanced font "sans,11" background rgb "white"
set output out
set datafile separator "\t"
set title "Forward path, ns per frame against entries in the table (BPF\\_PROG\\_TEST\\_RUN)"
set logscale x
set xrange [500:2e6]
set format x "10^{%T}"
set xlabel "entries in paw\\_calls (and in the reference forwarders' tables)"
set ylabel "ns per frame"
set yrange [0:*]
set grid
set key top left
plot dat using 1:11 with linespoints lw 2 pt 7 lc rgb "#d73027" title "Paw, spread", \
     '' using 1:9 with linespoints lw 2 pt 5 lc rgb "#4575b4" title "one lookup, spread", \
     '' using 1:10 with linespoints lw 2 pt 9 lc rgb "#91bfdb" title "two lookups + atomics, spread", \
     '' using 1:6 with linespoints lw 1 dt 2 pt 6 lc rgb "#d73027" title "Paw, hot", \
     '' using 1:4 with linespoints lw 1 dt 2 pt 4 lc rgb "#4575b4" title "one lookup, hot", \
     '' using 1:8 with lines lw 1 dt 3 lc rgb "#555555" title "redirect floor, spread", \
     '' using 1:7 with lines lw 1 dt 4 lc rgb "#999999" title "XDP\\_PASS floor, spread"
