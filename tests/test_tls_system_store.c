/* SPDX-License-Identifier: MIT */
/* ps_tls_config_set_ca(cfg, NULL) and a client's default: the system trust
 * store. On POSIX that is OpenSSL's default paths; on Windows, for the
 * OpenSSL backend as for Schannel, the ROOT store, which OpenSSL does not
 * read by itself (src/win32/tls_roots.c loads it). A client with no CA
 * file rejects a self-signed server, and accepts the test server once the
 * test CA is trusted by the system store (tests/support/trust_support_*.c):
 * a store never loaded fails that. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>

#include "portsock.h"
#include "portsock_tls.h"
#include "support.h"
#include "tls_certs.h"
#include "tls_peer.h"
#include "trust_support.h"

#include "rc_assert.h"

/* A handshake of a client whose configuration is cfg against a server
 * with the certificate name (.pem, .key); its result, the reason kept in
 * reason. */
static int handshake_with(ps_tls_config *cfg, const char *name, char *reason,
                          size_t cap)
{
    ps_tls_config *scfg;
    OK(ps_tls_config_new(&scfg, PS_TLS_SERVER));
    char pem[64], key[64];
    snprintf(pem, sizeof pem, "%s.pem", name);
    snprintf(key, sizeof key, "%s.key", name);
    OK(ps_tls_config_set_cert(scfg, pst_cert(pem), pst_cert(key)));
    pst_tls_server srv;
    pst_tls_server_start(&srv, "127.0.0.1", scfg, NULL);
    ps_tls *t = NULL;
    int rc = ps_tls_connect(&t, "127.0.0.1", srv.port, cfg, 10000);
    snprintf(reason, cap, "%s", ps_tls_reason(t));
    if (t)
        ps_tls_close(t);
    pst_tls_server_join(&srv);
    return rc;
}

/* A client configuration: the system store through set_ca(NULL), or the
 * default of a new configuration (how = 0). */
static ps_tls_config *system_client(int how)
{
    ps_tls_config *c;
    OK(ps_tls_config_new(&c, PS_TLS_CLIENT));
    if (how)
        OK(ps_tls_config_set_ca(c, NULL));
    return c;
}

/* Never trusted anywhere: the self-signed server certificate. */
static void expect_rejected(int how)
{
    char reason[256];
    ps_tls_config *c = system_client(how);
    RC_IS(handshake_with(c, "self", reason, sizeof reason), PS_ECERT);
    cr_assert(strstr(reason, "self-signed") || strstr(reason, "self signed"),
              "reason \"%s\"", reason);
    ps_tls_config_free(c);
}

static void expect_accepted(int how)
{
    char reason[256];
    ps_tls_config *c = system_client(how);
    int rc = handshake_with(c, "store_server", reason, sizeof reason);
    cr_assert_eq(rc, 0, "handshake -> %s (%s)", ps_errname(rc), reason);
    ps_tls_config_free(c);
}

Test(tls_system_store, a_certificate_no_root_vouches_for_is_rejected,
     .timeout = 60)
{
    expect_rejected(1);
    expect_rejected(0);
}

Test(tls_system_store, a_root_the_system_trusts_is_accepted, .timeout = 60)
{
    /* A CA of its own: the ROOT store of Wine's prefix keeps it, and no
     * other test may find its certificates trusted by the system. */
    const char *why = pst_system_trust_add(pst_cert("store_ca.pem"));
    if (why) {
        cr_skip_test("%s", why);
        return;
    }
    expect_accepted(1);
    expect_accepted(0);
    /* Cleanup only: Wine 8 keeps a root deleted from the current user's
     * ROOT store (the deletion reports success), so whether the root is
     * gone cannot be asserted; the build tree's prefix keeps it. */
    pst_system_trust_remove(pst_cert("store_ca.pem"));
}

/* A root the ROOT store holds but the Disallowed store distrusts (Windows'
 * way to revoke trust in a root without deleting it) is not trusted: the
 * same server is rejected, and accepted again once the distrust is
 * removed. */
Test(tls_system_store, a_root_the_system_distrusts_is_rejected, .timeout = 60)
{
    char ca[512]; /* pst_cert's buffers are reused by later calls */
    snprintf(ca, sizeof ca, "%s", pst_cert("store_ca.pem"));
    const char *why = pst_system_distrust_add(ca);
    if (why) {
        cr_skip_test("%s", why);
        return;
    }
    why = pst_system_trust_add(ca);
    if (why) {
        pst_system_distrust_remove(ca);
        cr_skip_test("%s", why);
        return;
    }
    char reason[256];
    for (int how = 0; how <= 1; how++) {
        ps_tls_config *c = system_client(how);
        int rc = handshake_with(c, "store_server", reason, sizeof reason);
        ps_tls_config_free(c);
        if (rc != PS_ECERT)
            pst_system_distrust_remove(ca);
        cr_assert_eq(rc, PS_ECERT, "how %d: handshake -> %s (%s)", how,
                     ps_errname(rc), reason);
    }
    /* The distrust is gone again: no other test may meet it. */
    cr_assert_eq(pst_system_distrust_remove(ca), 0);
    expect_accepted(0);
    pst_system_trust_remove(ca);
}
