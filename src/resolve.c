/* SPDX-License-Identifier: MIT */
/* Name resolution within a deadline. Numeric hosts, the wildcard (host
 * NULL), "unix:" paths and lookups without a deadline resolve on the
 * caller's thread. A name with a deadline is looked up on a helper thread
 * (src/helpers.c): the system resolver cannot be interrupted, so a caller
 * whose deadline passes walks away and the helper cleans up when it
 * finishes. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

/* One lookup, shared by the caller and the helper. Each holds one of the
 * latch's two references; whoever drops the last frees the job. */
struct ps__lookup {
    ps__latch *done; /* set once result, native, addrs and count are final */
    char *host;
    char *port; /* NULL stays NULL */
    int passive;
    int type;
    int result;
    int native; /* ps_native_error() of a failed lookup */
    ps_addr *addrs;
    size_t count;
};
typedef struct ps__lookup lookup;

static char *copy_text(const char *s)
{
    size_t n = strlen(s) + 1;
    char *c = malloc(n);
    if (c)
        memcpy(c, s, n);
    return c;
}

int ps__copy_name(const char *host, const char *port, char **h, char **p)
{
    *h = copy_text(host);
    *p = port ? copy_text(port) : NULL;
    return !*h || (port && !*p) ? PS_ENOMEM : 0;
}

static void lookup_free(lookup *job)
{
    if (job->addrs)
        ps__free_addrs(job->addrs);
    free(job->host);
    free(job->port);
    free(job);
}

static void lookup_run(void *arg)
{
    lookup *job = arg;
    job->result = ps__resolve(job->host, job->port,
                              job->passive ? PS__RESOLVE_PASSIVE : 0, job->type,
                              &job->addrs, &job->count);
    /* The native error is per thread: carry it over to the caller's. */
    job->native = job->result != 0 ? ps_native_error() : 0;
    ps__latch_set(job->done);
    if (ps__latch_release(job->done))
        lookup_free(job);
    /* Taken by the caller before the thread started (see lookup_start). */
    ps__platform_cleanup();
}

static lookup *lookup_new(const char *host, const char *port, int passive,
                          int type)
{
    lookup *job = calloc(1, sizeof *job);
    if (!job)
        return NULL;
    job->passive = passive;
    job->type = type;
    if (ps__copy_name(host, port, &job->host, &job->port) != 0 ||
        ps__latch_new(&job->done) != 0) {
        lookup_free(job);
        return NULL;
    }
    return job;
}

static int lookup_start(const char *host, const char *port, int passive,
                        int type, ps__lookup **out)
{
    lookup *job = lookup_new(host, port, passive, type);
    if (!job)
        return PS_ENOMEM;
    /* The helper's own network-stack reference, so ps_cleanup while it is
     * still resolving cannot pull the stack from under it (Windows). */
    int r = ps__platform_init();
    if (r == 0) {
        r = ps__helper_run(lookup_run, job);
        if (r != 0)
            ps__platform_cleanup();
    }
    if (r != 0) {
        ps__latch_release(job->done);
        ps__latch_release(job->done);
        lookup_free(job);
        return r;
    }
    *out = job;
    return 0;
}

void ps__lookup_abandon(ps__lookup *job)
{
    if (ps__latch_release(job->done))
        lookup_free(job);
}

int ps__lookup_finish(ps__lookup *job, const ps__deadline *d, ps_addr **out,
                      size_t *count)
{
    int r, done;
    do {
        done = ps__latch_wait(job->done, ps__deadline_remaining_ms(d));
    } while (!done && ps__deadline_remaining_ms(d) > 0);
    if (done) {
        r = job->result;
        if (r != 0)
            ps__set_native_error(job->native);
        *out = job->addrs;
        *count = job->count;
        job->addrs = NULL;
    } else {
        r = PS_ETIMEDOUT;
    }
    /* Last out frees: here if the helper has finished by now (addrs not
     * taken are freed with the job), else in the helper. */
    ps__lookup_abandon(job);
    return r;
}

static int unix_only(const char *path, ps_addr **out, size_t *count)
{
    ps_addr *a = calloc(1, sizeof *a);
    if (!a)
        return PS_ENOMEM;
    int r = ps__unix_addr(a, path);
    if (r != 0) {
        free(a);
        return r;
    }
    *out = a;
    *count = 1;
    return 0;
}

int ps__port_number(const char *port, uint16_t *num)
{
    uint32_t v = 0;
    const char *p = port;
    if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'))
        return PS_ENAME;
    /* Digits only: the system resolvers read " 80", "+80" and "-1" with
     * strtoul, and wrap "99999" or "4294967376" around to another port. */
    do {
        if (*p < '0' || *p > '9')
            return PS_EINVAL;
        v = v * 10 + (uint32_t)(*p - '0');
        if (v > 65535)
            return PS_EINVAL;
    } while (*++p);
    *num = (uint16_t)v;
    return 0;
}

int ps__resolve_begin(const char *host, const char *port, int passive, int type,
                      const ps__deadline *d, int never_block, ps_addr **out,
                      size_t *count, ps__lookup **lookup)
{
    *out = NULL;
    *count = 0;
    *lookup = NULL;
    const char *path = ps__unix_path(host);
    if (path)
        return unix_only(path, out, count);
    uint16_t num;
    if (port && ps__port_number(port, &num) == PS_EINVAL)
        return PS_EINVAL;
    int flags = passive ? PS__RESOLVE_PASSIVE : 0;
    int forever = !d || d->forever;
    if (!host || (forever && !never_block))
        return ps__resolve(host, port, flags, type, out, count);
    /* Numeric hosts in every form the resolver takes ("127.1", zones as in
     * "fe80::1%eth0") never block: resolved here, at no cost in time. */
    int native = ps_native_error();
    int r = ps__resolve(host, port, flags | PS__RESOLVE_NUMERIC, type, out,
                        count);
    if (r != PS_ENAME)
        return r;
    ps__set_native_error(native); /* "not numeric" is no failure */
    /* A name and no time left to look it up: no lookup at all. */
    if (!forever && ps__deadline_remaining_ms(d) == 0)
        return PS_ETIMEDOUT;
    return lookup_start(host, port, passive, type, lookup);
}

int ps__resolve_within(const char *host, const char *port, int passive,
                       int type, const ps__deadline *d, ps_addr **out,
                       size_t *count)
{
    ps__lookup *lookup;
    int r = ps__resolve_begin(host, port, passive, type, d, 0, out, count,
                              &lookup);
    if (r != 0 || !lookup)
        return r;
    return ps__lookup_finish(lookup, d, out, count);
}

int ps_resolve(const char *host, const char *port, int type, ps_addr *out,
               size_t cap, size_t *count, int timeout_ms)
{
    ps_addr *addrs;
    size_t n;
    ps__deadline d;
    ps__deadline_start(&d, timeout_ms);
    if (count)
        *count = 0;
    if ((!out && cap > 0) || (!port && !ps__unix_path(host)) ||
        (type != PS_SOCK_STREAM && type != PS_SOCK_DGRAM))
        return PS_EINVAL;
    int r = ps__ensure_init();
    if (r == 0)
        r = ps__resolve_within(host, port, host == NULL, type, &d, &addrs, &n);
    if (r == PS_ETIMEDOUT)
        return ps__deadline_expired_error(&d);
    if (r != 0)
        return r;
    for (size_t i = 0; i < n && i < cap; i++)
        out[i] = addrs[i];
    ps__free_addrs(addrs);
    if (count)
        *count = n;
    return n > 0 ? 0 : PS_ENAME;
}
