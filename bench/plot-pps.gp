# SPDX-License-Identifier: GPL-2.0-or-later
# gnuplot -e "dat='fwd.dat'; out='docs/bench-pps.svg'" bench/plot-pps.gp
# fwd.dat: "configuration", then for 1 flow and for 1000 flows:
# Mpps median, Mpps max, forwarder alone Mpps (paw-bench-fwd --dat).
set terminal svg size 1100,560 dynamic enhanced font "sans,11" background rgb "white"
set output out
set datafile separator "\t"
set multiplot layout 1,2 title "Paw Switchboard, end-to-end forwarding of 64-byte UDP/IPv4 frames over veth (every stage on one CPU)"
set style data histogram
set style fill solid 0.85 border -1
set boxwidth 0.9
set xtics rotate by -35 scale 0 font ",9" nomirror
set ylabel "Mpps"
set yrange [0:*]
set grid ytics
set key top right
set title "Measured: generator + forwarder + receiver (median; bar to the max)"
set style histogram errorbars gap 1 lw 1
plot dat using 2:2:3:xtic(1) title "1 flow" lc rgb "#4575b4", \
     '' using 5:5:6 title "1000 flows" lc rgb "#fdae61"
set title "Forwarder alone: 1000 / (CPU ns it adds per frame)"
set key top left
set style histogram clustered gap 1
plot dat every ::1 using 4:xtic(1) title "1 flow" lc rgb "#4575b4", \
     '' every ::1 using 7 title "1000 flows" lc rgb "#fdae61"
unset multiplot
