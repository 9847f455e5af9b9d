/* SPDX-License-Identifier: MIT */
/* TLS connections: wrapping a socket, ps_tls_connect under one deadline,
 * the handshake, close_notify, closing, inspection. */
#include <stdlib.h>
#include <string.h>

#include "common.h"

static void tls_free(ps_tls *t)
{
    ps__tls_be_free(t);
    if (t->cfg)
        ps__tls_config_release(t->cfg);
    free(t->server_name);
    free(t->scratch);
    free(t);
}

int ps_tls_wrap(ps_tls **out, ps_socket_t sock, const ps_tls_config *cfg,
                const char *server_name)
{
    int r = PS_EINVAL;
    ps_tls *t = NULL;
    ps__tls_set_reason(NULL, "");
    if (out)
        *out = NULL;
    if (!out || !cfg)
        goto fail;
    /* A client that is to check the host name must have one. */
    if (cfg->role == PS_TLS_CLIENT && !server_name &&
        cfg->verify == PS_TLS_VERIFY_PEER_AND_HOST) {
        ps__tls_set_reason(NULL, "no server name to verify");
        goto fail;
    }
    if (server_name && (server_name[0] == '\0' || strlen(server_name) > 255))
        goto fail;
    r = PS_ENOMEM;
    if (!(t = calloc(1, sizeof *t)))
        goto fail;
    t->sock = sock;
    t->role = cfg->role;
    t->verify = cfg->verify;
    if (server_name && cfg->role == PS_TLS_CLIENT) {
        size_t len = strlen(server_name) + 1;
        if (!(t->server_name = malloc(len)))
            goto fail;
        memcpy(t->server_name, server_name, len);
    }
    /* From here the configuration is in use: its setters fail. */
    t->cfg = (ps_tls_config *)cfg;
    ps__tls_config_hold(t->cfg);
    if ((r = ps__tls_be_new(t, cfg->be)) != 0) {
        ps__tls_set_reason(NULL, t->reason);
        goto fail;
    }
    *out = t;
    return 0;
fail:
    /* The socket was handed over: it is closed on every failure. */
    if (t)
        tls_free(t);
    ps_close(sock);
    return r;
}

int ps_tls_connect(ps_tls **out, const char *host, const char *port,
                   const ps_tls_config *cfg, int timeout_ms)
{
    ps__tls_deadline d;
    ps_socket_t s;
    if (!out)
        return PS_EINVAL;
    *out = NULL;
    if (!host || !port || !cfg || cfg->role != PS_TLS_CLIENT)
        return PS_EINVAL;
    ps__tls_set_reason(NULL, "");
    ps__tls_deadline_start(&d, timeout_ms);
    int r = ps_connect(&s, host, port, timeout_ms);
    if (r != 0)
        return r;
    ps_tls *t;
    if ((r = ps_tls_wrap(&t, s, cfg, host)) != 0)
        return r;
    /* The connect's leftover time, not a fresh timeout: one deadline. */
    if ((r = ps__tls_handshake_within(t, &d)) != 0) {
        ps__tls_set_reason(NULL, t->reason);
        tls_free(t);
        ps_close(s);
        return r;
    }
    *out = t;
    return 0;
}

int ps_tls_handshake(ps_tls *t, int timeout_ms)
{
    ps__tls_deadline d;
    if (!t)
        return PS_EINVAL;
    ps__tls_deadline_start(&d, timeout_ms);
    return ps__tls_handshake_within(t, &d);
}

int ps_tls_shutdown(ps_tls *t, int timeout_ms)
{
    ps__tls_deadline d;
    if (!t)
        return PS_EINVAL;
    ps__tls_deadline_start(&d, timeout_ms);
    /* close_notify follows a completed handshake only. */
    int r = ps__tls_handshake_within(t, &d);
    while (r == 0) {
        t->deadline = &d;
        r = ps__tls_be_shutdown(t);
        t->deadline = NULL;
        if (r == 0) {
            t->wants = 0;
            break;
        }
        if (r != PS_EWOULDBLOCK)
            break;
        r = ps__tls_wait(t, &d);
    }
    return r;
}

int ps_tls_close(ps_tls *t)
{
    if (!t)
        return 0;
    ps_socket_t s = t->sock;
    tls_free(t);
    return ps_close(s);
}

unsigned ps_tls_wants(const ps_tls *t)
{
    return t ? t->wants : 0;
}

size_t ps_tls_pending(const ps_tls *t)
{
    return t ? ps__tls_be_pending(t) : 0;
}

ps_socket_t ps_tls_socket(const ps_tls *t)
{
    return t ? t->sock : PS_INVALID_SOCKET;
}

int ps_tls_version(const ps_tls *t)
{
    return t && t->handshake_done ? ps__tls_be_version(t) : 0;
}

const char *ps_tls_alpn(const ps_tls *t)
{
    return t && t->handshake_done ? ps__tls_be_alpn(t) : "";
}

int ps_tls_peer_subject(const ps_tls *t, char *buf, size_t cap)
{
    if (!t || !buf || cap == 0)
        return PS_EINVAL;
    buf[0] = '\0';
    if (!t->handshake_done)
        return PS_ENOTCONN;
    return ps__tls_be_peer_subject(t, buf, cap);
}

const char *ps_tls_server_name(const ps_tls *t)
{
    if (!t)
        return "";
    if (t->role == PS_TLS_CLIENT)
        return t->server_name ? t->server_name : "";
    return t->handshake_done ? ps__tls_be_sni(t) : "";
}
