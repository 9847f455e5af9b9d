/* SPDX-License-Identifier: MIT */
/* ps_tls_config: argument checks, immutability once used, ALPN's wire
 * form; the backend keeps the context. */
#include <stdlib.h>
#include <string.h>

#include "common.h"

int ps_tls_config_new(ps_tls_config **out, int role)
{
    char reason[PS__TLS_REASON] = "";
    if (!out)
        return PS_EINVAL;
    *out = NULL;
    if (role != PS_TLS_CLIENT && role != PS_TLS_SERVER)
        return PS_EINVAL;
    ps_tls_config *c = calloc(1, sizeof *c);
    if (!c)
        return PS_ENOMEM;
    c->role = role;
    c->verify = PS_TLS_VERIFY_PEER_AND_HOST;
    atomic_init(&c->used, 0);
    atomic_init(&c->refs, 1);
    int r = ps__tls_be_config_new(&c->be, role, reason);
    if (r != 0) {
        ps__tls_set_reason(NULL, reason);
        free(c);
        return r;
    }
    *out = c;
    return 0;
}

void ps_tls_config_free(ps_tls_config *cfg)
{
    if (cfg)
        ps__tls_config_release(cfg);
}

/* A connection (or a TLS connector) holds the configuration from the
 * moment it is made: the setters fail from then on. */
void ps__tls_config_hold(ps_tls_config *cfg)
{
    atomic_store(&cfg->used, 1);
    atomic_fetch_add(&cfg->refs, 1);
}

/* Connections made from a configuration keep it until they close. */
void ps__tls_config_release(ps_tls_config *cfg)
{
    if (atomic_fetch_sub(&cfg->refs, 1) != 1)
        return;
    ps__tls_be_config_free(cfg->be);
    free(cfg);
}

/* A setter may run only before the first connection took the config. */
static int settable(const ps_tls_config *cfg)
{
    return cfg && !atomic_load(&cfg->used);
}

int ps_tls_config_set_ca(ps_tls_config *cfg, const char *pem_path)
{
    char reason[PS__TLS_REASON] = "";
    if (!settable(cfg))
        return PS_EINVAL;
    int r = ps__tls_be_config_set_ca(cfg->be, pem_path, reason);
    if (r != 0)
        ps__tls_set_reason(NULL, reason);
    return r;
}

int ps_tls_config_set_cert(ps_tls_config *cfg, const char *cert_pem,
                           const char *key_pem)
{
    char reason[PS__TLS_REASON] = "";
    if (!settable(cfg) || !cert_pem || !key_pem)
        return PS_EINVAL;
    int r = ps__tls_be_config_set_cert(cfg->be, cert_pem, key_pem, reason);
    if (r != 0)
        ps__tls_set_reason(NULL, reason);
    return r;
}

int ps_tls_config_set_verify(ps_tls_config *cfg, int mode)
{
    if (!settable(cfg))
        return PS_EINVAL;
    if (mode != PS_TLS_VERIFY_PEER_AND_HOST && mode != PS_TLS_VERIFY_PEER &&
        mode != PS_TLS_VERIFY_NONE_INSECURE)
        return PS_EINVAL;
    cfg->verify = mode;
    return 0;
}

int ps_tls_config_set_alpn(ps_tls_config *cfg, const char *const *protos,
                           size_t n)
{
    size_t total = 0;
    if (!settable(cfg) || (!protos && n > 0))
        return PS_EINVAL;
    for (size_t i = 0; i < n; i++) {
        size_t len = protos[i] ? strlen(protos[i]) : 0;
        if (len == 0 || len > 255)
            return PS_EINVAL;
        total += 1 + len;
        /* The whole list travels in one extension of at most 65535 bytes. */
        if (total > 65535)
            return PS_EINVAL;
    }
    unsigned char *wire = malloc(total ? total : 1);
    if (!wire)
        return PS_ENOMEM;
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(protos[i]);
        wire[at++] = (unsigned char)len;
        memcpy(wire + at, protos[i], len);
        at += len;
    }
    int r = ps__tls_be_config_set_alpn(cfg->be, wire, total);
    free(wire);
    return r;
}

int ps_tls_config_set_min_version(ps_tls_config *cfg, int version)
{
    if (!settable(cfg) || (version != PS_TLS_1_2 && version != PS_TLS_1_3))
        return PS_EINVAL;
    return ps__tls_be_config_set_min_version(cfg->be, version);
}
