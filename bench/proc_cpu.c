/* SPDX-License-Identifier: MIT */
#include "proc_cpu.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The server's CPU time in seconds, all its threads: the sum of
 * /proc/PID/task/TID/schedstat (nanoseconds), or where that is missing
 * /proc/PID/stat's utime + stime (fields 14 and 15, in clock ticks: coarse).
 * -1 when unreadable. */
static double proc_cpu_one(long pid)
{
    char path[96], buf[1024];
    snprintf(path, sizeof path, "/proc/%ld/task", pid);
    DIR *d = opendir(path);
    double total = 0;
    int found = 0;
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "/proc/%ld/task/%.20s/schedstat", pid,
                 e->d_name);
        FILE *f = fopen(path, "r");
        unsigned long long ns;
        if (f && fscanf(f, "%llu", &ns) == 1) {
            total += (double)ns / 1e9;
            found = 1;
        }
        if (f)
            fclose(f);
    }
    if (d)
        closedir(d);
    if (found)
        return total;
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* The command name (field 2) may hold spaces: start after its ')'. */
    char *p = strrchr(buf, ')');
    unsigned long ut, st;
    if (!p ||
        sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
               &ut, &st) != 2)
        return -1;
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* The CPU time of a comma-separated list of processes (a server, and
 * under Wine its wineserver). */
double proc_cpu_s(const char *pids)
{
    double total = 0;
    const char *p = pids;
    while (*p) {
        char *end;
        long pid = strtol(p, &end, 10);
        double t = end != p && pid > 0 ? proc_cpu_one(pid) : -1;
        if (t < 0)
            return -1;
        total += t;
        p = *end == ',' ? end + 1 : end;
        if (*end != ',' && *end != '\0')
            return -1;
    }
    return total;
}
