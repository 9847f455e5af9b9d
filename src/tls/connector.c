/* SPDX-License-Identifier: MIT */
/* ps_tls_connector: ps_connector, then ps_tls_wrap with the host as the
 * server name; the loop drives the handshake that follows. */
#include <stdlib.h>
#include <string.h>

#include "common.h"

struct ps_tls_connector {
    ps_connector *c;
    ps_tls_config *cfg; /* one reference, until ps_tls_connector_free */
    char *host;         /* the server name for ps_tls_wrap */
};

int ps_tls_connector_start(ps_tls_connector **out, const char *host,
                           const char *port, const ps_tls_config *cfg,
                           int timeout_ms)
{
    if (!out)
        return PS_EINVAL;
    *out = NULL;
    if (!host || !port || !cfg || cfg->role != PS_TLS_CLIENT)
        return PS_EINVAL;
    ps_tls_connector *tc = calloc(1, sizeof *tc);
    size_t len = strlen(host) + 1;
    if (!tc || !(tc->host = malloc(len))) {
        free(tc);
        return PS_ENOMEM;
    }
    memcpy(tc->host, host, len);
    int r = ps_connector_start(&tc->c, host, port, timeout_ms);
    if (r != 0) {
        free(tc->host);
        free(tc);
        return r;
    }
    tc->cfg = (ps_tls_config *)cfg;
    ps__tls_config_hold(tc->cfg);
    *out = tc;
    return 0;
}

int ps_tls_connector_item(const ps_tls_connector *tc, ps_pollitem *item)
{
    return ps_connector_item(tc ? tc->c : NULL, item);
}

int ps_tls_connector_finish(ps_tls_connector *tc, ps_tls **out)
{
    if (!out)
        return PS_EINVAL;
    *out = NULL;
    if (!tc)
        return PS_EINVAL;
    ps_socket_t s;
    int r = ps_connector_finish(tc->c, &s);
    if (r != 0)
        return r;
    /* The socket is the ps_tls's from here, closed if the wrap fails. */
    return ps_tls_wrap(out, s, tc->cfg, tc->host);
}

void ps_tls_connector_free(ps_tls_connector *tc)
{
    if (!tc)
        return;
    ps_connector_free(tc->c);
    ps__tls_config_release(tc->cfg);
    free(tc->host);
    free(tc);
}
