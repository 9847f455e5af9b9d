/* SPDX-License-Identifier: MIT */
/* The CPU time of other processes, for the load generators (Linux: /proc). */
#ifndef PS_BENCH_PROC_CPU_H
#define PS_BENCH_PROC_CPU_H

/* The CPU time in seconds of a comma-separated list of process ids (a
 * server, and under Wine its wineserver), all their threads; -1 when one
 * cannot be read. */
double proc_cpu_s(const char *pids);

#endif
