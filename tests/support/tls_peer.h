/* SPDX-License-Identifier: MIT */
/* A portsock TLS server on a thread for the TLS tests: it accepts one
 * connection, runs the handshake, keeps what the handshake saw, then runs
 * the test's job on the connection. */
#ifndef PS_TEST_TLS_PEER_H
#define PS_TEST_TLS_PEER_H

#include "portsock.h"
#include "portsock_tls.h"
#include "support.h"

typedef struct pst_tls_server pst_tls_server;
struct pst_tls_server {
    ps_socket_t listener;
    char port[8];
    ps_tls_config *cfg;
    void (*job)(pst_tls_server *srv, ps_tls *t);
    int handshake_rc;
    char sni[256];
    char alpn[64];
    char reason[256];
    pst_thread *thread;
};

/* Listens on host (NULL: the wildcard) at an ephemeral port and starts the
 * thread; the server owns cfg. job (may be NULL) runs after a handshake
 * that succeeded. */
void pst_tls_server_start(pst_tls_server *srv, const char *host,
                          ps_tls_config *cfg,
                          void (*job)(pst_tls_server *, ps_tls *));

/* Waits for the thread, then closes the listener and frees cfg. */
void pst_tls_server_join(pst_tls_server *srv);

/* A client configuration that trusts the CA file ca of the tls_certs
 * fixture. */
ps_tls_config *pst_tls_client_config(const char *ca);

#endif
