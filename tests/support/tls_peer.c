/* SPDX-License-Identifier: MIT */
/* The TLS tests' server thread and client configuration: see tls_peer.h. */
#include "tls_peer.h"

#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>

#include "tls_certs.h"

#include "rc_assert.h"

static void server_run(void *arg)
{
    pst_tls_server *srv = arg;
    ps_socket_t s;
    ps_tls *t;
    srv->handshake_rc = ps_accept(srv->listener, &s, NULL, 10000);
    if (srv->handshake_rc != 0)
        return;
    srv->handshake_rc = ps_tls_wrap(&t, s, srv->cfg, NULL);
    if (srv->handshake_rc != 0)
        return;
    srv->handshake_rc = ps_tls_handshake(t, 10000);
    snprintf(srv->sni, sizeof srv->sni, "%s", ps_tls_server_name(t));
    snprintf(srv->alpn, sizeof srv->alpn, "%s", ps_tls_alpn(t));
    snprintf(srv->reason, sizeof srv->reason, "%s", ps_tls_reason(t));
    if (srv->handshake_rc == 0 && srv->job)
        srv->job(srv, t);
    ps_tls_close(t);
}

void pst_tls_server_start(pst_tls_server *srv, const char *host,
                          ps_tls_config *cfg,
                          void (*job)(pst_tls_server *, ps_tls *))
{
    memset(srv, 0, sizeof *srv);
    srv->cfg = cfg;
    srv->job = job;
    OK(ps_listen(&srv->listener, host, "0", 8));
    snprintf(srv->port, sizeof srv->port, "%d", pst_local_port(srv->listener));
    srv->thread = pst_thread_start(server_run, srv);
    cr_assert_not_null(srv->thread);
}

void pst_tls_server_join(pst_tls_server *srv)
{
    pst_thread_join(srv->thread);
    ps_close(srv->listener);
    ps_tls_config_free(srv->cfg);
}

ps_tls_config *pst_tls_client_config(const char *ca)
{
    ps_tls_config *c;
    OK(ps_tls_config_new(&c, PS_TLS_CLIENT));
    OK(ps_tls_config_set_ca(c, pst_cert(ca)));
    return c;
}
