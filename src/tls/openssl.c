/* SPDX-License-Identifier: MIT */
/* The OpenSSL 3 backend of the TLS contract (src/tls/backend.h). Records
 * go through a BIO of our own whose read and write are the common code's
 * ps__tls_net_recv / ps__tls_net_send: no socket descriptor reaches
 * OpenSSL, and no ciphertext is copied beyond OpenSSL's own buffers. */
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "system_roots.h"

struct ps__tls_be_config {
    SSL_CTX *ctx;
    /* Ours, not a process-wide one: freed with the context, so nothing
     * stays allocated once the last configuration and connection end. */
    BIO_METHOD *bio_method;
    int role;
    unsigned char *alpn; /* a server's list, wire form (a client's is in ctx) */
    size_t alpn_len;
    /* A client's default system store that could not be loaded: the code
     * for its connections (a CA file set later clears it), else 0. */
    int roots_failed;
    char roots_reason[PS__TLS_REASON];
};

struct ps__tls_be {
    SSL *ssl;
    ps__tls_be_config *config; /* outlives the connection (backend.h) */
    char alpn_text[256];       /* the agreed protocol, terminated */
};

/* ---- the BIO over the common transport ---- */

static int bio_write(BIO *b, const char *buf, size_t len, size_t *written)
{
    ps_tls *t = BIO_get_data(b);
    BIO_clear_retry_flags(b);
    int r = ps__tls_net_send(t, buf, len, written);
    if (r == PS_EWOULDBLOCK)
        BIO_set_retry_write(b);
    return r == 0;
}

static int bio_read(BIO *b, char *buf, size_t cap, size_t *got)
{
    ps_tls *t = BIO_get_data(b);
    BIO_clear_retry_flags(b);
    int r = ps__tls_net_recv(t, buf, cap, got);
    if (r == PS_EWOULDBLOCK)
        BIO_set_retry_read(b);
    return r == 0 && *got > 0;
}

static long bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
    ps_tls *t = BIO_get_data(b);
    (void)num;
    (void)ptr;
    switch (cmd) {
    case BIO_CTRL_FLUSH: /* nothing is buffered here */
        return 1;
    case BIO_CTRL_EOF: /* OpenSSL tells truncation from a failure by it */
        return t && t->eof;
    default:
        return 0;
    }
}

static int bio_create(BIO *b)
{
    BIO_set_init(b, 1);
    return 1;
}

static BIO_METHOD *bio_method_make(void)
{
    BIO_METHOD *m = BIO_meth_new(BIO_TYPE_SOURCE_SINK, "portsock");
    if (m && BIO_meth_set_write_ex(m, bio_write) &&
        BIO_meth_set_read_ex(m, bio_read) && BIO_meth_set_ctrl(m, bio_ctrl) &&
        BIO_meth_set_create(m, bio_create))
        return m;
    BIO_meth_free(m);
    return NULL;
}

/* ---- errors ---- */

/* The first error of OpenSSL's queue as text; "" when it is empty. */
static void queue_reason(char *reason, const char *fallback)
{
    unsigned long e = ERR_peek_last_error();
    const char *text = e ? ERR_reason_error_string(e) : NULL;
    if (!text)
        text = fallback;
    size_t n = strlen(text);
    if (n >= PS__TLS_REASON)
        n = PS__TLS_REASON - 1;
    memcpy(reason, text, n);
    reason[n] = '\0';
    ERR_clear_error();
}

/* Maps a failed SSL_* call's result to the contract's codes. */
static int step_error(ps_tls *t, int ret)
{
    SSL *ssl = t->be->ssl;
    int e = SSL_get_error(ssl, ret);
    switch (e) {
    case SSL_ERROR_WANT_READ:
        t->wants = PS_POLL_READ;
        return PS_EWOULDBLOCK;
    case SSL_ERROR_WANT_WRITE:
        t->wants = PS_POLL_WRITE;
        return PS_EWOULDBLOCK;
    case SSL_ERROR_ZERO_RETURN:
        ps__tls_set_reason(t, "close_notify during the handshake");
        return PS_ETLS;
    case SSL_ERROR_SYSCALL:
        ERR_clear_error();
        if (t->io_error) {
            ps__tls_set_reason(t, ps_strerror(t->io_error));
            return t->io_error;
        }
        ps__tls_set_reason(t, "unexpected eof while reading");
        return PS_ETRUNCATED;
    case SSL_ERROR_SSL:
        break;
    default:
        ERR_clear_error();
        ps__tls_set_reason(t, "unexpected OpenSSL state");
        return PS_ETLS;
    }
    unsigned long err = ERR_peek_last_error();
    long verify = SSL_get_verify_result(ssl);
    if (ERR_GET_LIB(err) == ERR_LIB_SSL &&
        ERR_GET_REASON(err) == SSL_R_CERTIFICATE_VERIFY_FAILED &&
        verify != X509_V_OK) {
        ERR_clear_error();
        ps__tls_set_reason(t, X509_verify_cert_error_string(verify));
        return PS_ECERT;
    }
    if (ERR_GET_LIB(err) == ERR_LIB_SSL &&
        ERR_GET_REASON(err) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
        queue_reason(t->reason, "unexpected eof");
        /* A reset is the transport's error, not a truncation. */
        return t->io_error ? t->io_error : PS_ETRUNCATED;
    }
    if (t->io_error) {
        ERR_clear_error();
        ps__tls_set_reason(t, ps_strerror(t->io_error));
        return t->io_error;
    }
    queue_reason(t->reason, "TLS failure");
    return PS_ETLS;
}

/* Before each step: a clean error queue and transport state. */
static void step_start(ps_tls *t)
{
    /* Clearing frees and zeroes every slot of the queue, which took 40% of
     * portsock_tls's own instructions per 30-byte frame (bench_tls under
     * callgrind); the queue is nearly always empty here. */
    if (ERR_peek_error() != 0)
        ERR_clear_error();
    t->io_error = 0;
    t->wants = 0;
}

/* ---- configuration ---- */

static int alpn_select(SSL *ssl, const unsigned char **out,
                       unsigned char *outlen, const unsigned char *in,
                       unsigned int inlen, void *arg)
{
    const ps__tls_be_config *c = arg;
    unsigned char *chosen;
    (void)ssl;
    if (!c->alpn)
        return SSL_TLSEXT_ERR_NOACK;
    /* The server's own order decides. */
    if (SSL_select_next_proto(&chosen, outlen, c->alpn,
                              (unsigned int)c->alpn_len, in,
                              inlen) != OPENSSL_NPN_NEGOTIATED)
        return SSL_TLSEXT_ERR_NOACK;
    *out = chosen;
    return SSL_TLSEXT_ERR_OK;
}

/* ---- the system trust store ---- */

static int add_root(const unsigned char *der, size_t len, void *arg)
{
    X509_STORE *store = arg;
    const unsigned char *p = der;
    if (len > LONG_MAX)
        return 0;
    X509 *x = d2i_X509(NULL, &p, (long)len);
    /* One root OpenSSL cannot parse must not cost the others. */
    if (!x) {
        ERR_clear_error();
        return 0;
    }
    int ok = X509_STORE_add_cert(store, x);
    X509_free(x);
    return ok == 1 ? 0 : PS_ENOMEM;
}

/* The platform's store where it keeps one apart from files (Windows:
 * ROOT), else OpenSSL's default paths. */
static int load_system_roots(X509_STORE *store, char *reason)
{
    int rc = ps__tls_system_roots(add_root, store);
    if (rc == PS_ENOTSUP)
        rc = X509_STORE_set_default_paths(store) == 1 ? 0 : PS_ETLS;
    if (rc != 0) {
        queue_reason(reason, "cannot load the system trust store");
        return rc == PS_ENOMEM ? PS_ENOMEM : PS_ETLS;
    }
    return 0;
}

int ps__tls_be_config_new(ps__tls_be_config **out, int role, char *reason)
{
    ps__tls_be_config *c = calloc(1, sizeof *c);
    if (!c)
        return PS_ENOMEM;
    c->role = role;
    c->ctx = SSL_CTX_new(role == PS_TLS_CLIENT ? TLS_client_method()
                                               : TLS_server_method());
    c->bio_method = bio_method_make();
    if (!c->ctx || !c->bio_method) {
        queue_reason(reason, "cannot make an SSL_CTX");
        ps__tls_be_config_free(c);
        return PS_ETLS;
    }
    /* Never below TLS 1.2, whatever the system's configuration says. */
    SSL_CTX_set_min_proto_version(c->ctx, TLS1_2_VERSION);
    /* Partial writes: each SSL_write reports the records it completed, so
     * counts are exact; a retry may pass the same bytes from elsewhere. */
    SSL_CTX_set_mode(c->ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
                                 SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    if (role == PS_TLS_SERVER) {
        /* No session resumption is offered, so no tickets to send. */
        SSL_CTX_set_num_tickets(c->ctx, 0);
        SSL_CTX_set_alpn_select_cb(c->ctx, alpn_select, c);
    } else {
        /* The store is the default, not yet a choice: a client that sets
         * a CA file next never uses it, so its failure waits for a
         * connection that would (ps__tls_be_new). */
        c->roots_failed = load_system_roots(SSL_CTX_get_cert_store(c->ctx),
                                            c->roots_reason);
    }
    *out = c;
    return 0;
}

void ps__tls_be_config_free(ps__tls_be_config *c)
{
    if (!c)
        return;
    SSL_CTX_free(c->ctx);
    BIO_meth_free(c->bio_method);
    free(c->alpn);
    free(c);
}

int ps__tls_be_config_set_ca(ps__tls_be_config *c, const char *path,
                             char *reason)
{
    X509_STORE *store = X509_STORE_new();
    if (!store)
        return PS_ENOMEM;
    if (!path) {
        int rc = load_system_roots(store, reason);
        if (rc != 0) {
            X509_STORE_free(store);
            return rc;
        }
    } else if (X509_STORE_load_file(store, path) != 1) {
        queue_reason(reason, "cannot load the CA file");
        X509_STORE_free(store);
        return PS_ETLS;
    }
    /* A new store replaces the old: only what was asked is trusted. */
    SSL_CTX_set_cert_store(c->ctx, store);
    c->roots_failed = 0;
    return 0;
}

int ps__tls_be_config_set_cert(ps__tls_be_config *c, const char *cert,
                               const char *key, char *reason)
{
    if (SSL_CTX_use_certificate_chain_file(c->ctx, cert) != 1 ||
        SSL_CTX_use_PrivateKey_file(c->ctx, key, SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(c->ctx) != 1) {
        queue_reason(reason, "cannot use the certificate or key");
        return PS_ETLS;
    }
    return 0;
}

int ps__tls_be_config_set_alpn(ps__tls_be_config *c, const unsigned char *wire,
                               size_t len)
{
    unsigned char *copy = NULL;
    if (len > 0) {
        if (!(copy = malloc(len)))
            return PS_ENOMEM;
        memcpy(copy, wire, len);
    }
    free(c->alpn);
    c->alpn = copy;
    c->alpn_len = len;
    /* A client offers it; SSL_CTX_set_alpn_protos returns 0 on success. */
    if (c->role == PS_TLS_CLIENT &&
        SSL_CTX_set_alpn_protos(c->ctx, wire, (unsigned int)len) != 0)
        return PS_ENOMEM;
    return 0;
}

int ps__tls_be_config_set_min_version(ps__tls_be_config *c, int version)
{
    int v = version == PS_TLS_1_3 ? TLS1_3_VERSION : TLS1_2_VERSION;
    return SSL_CTX_set_min_proto_version(c->ctx, v) == 1 ? 0 : PS_ETLS;
}

/* ---- connections ---- */

int ps__tls_be_new(ps_tls *t, ps__tls_be_config *c)
{
    ERR_clear_error();
    ps__tls_be *b = calloc(1, sizeof *b);
    if (!b)
        return PS_ENOMEM;
    t->be = b;
    b->config = c;
    BIO *bio = NULL;
    if (!(b->ssl = SSL_new(c->ctx)) || !(bio = BIO_new(c->bio_method))) {
        queue_reason(t->reason, "cannot make the connection");
        return PS_ENOMEM;
    }
    BIO_set_data(bio, t);
    SSL_set_bio(b->ssl, bio, bio); /* one reference, owned by ssl now */
    if (t->role == PS_TLS_SERVER) {
        SSL_set_accept_state(b->ssl);
        if (t->verify == PS_TLS_VERIFY_PEER)
            SSL_set_verify(b->ssl,
                           SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                           NULL);
        else
            SSL_set_verify(b->ssl, SSL_VERIFY_NONE, NULL);
        return 0;
    }
    SSL_set_connect_state(b->ssl);
    /* Verification would use the default store that failed to load. */
    if (c->roots_failed && t->verify != PS_TLS_VERIFY_NONE_INSECURE) {
        ps__tls_set_reason(t, c->roots_reason);
        return c->roots_failed;
    }
    SSL_set_verify(b->ssl,
                   t->verify == PS_TLS_VERIFY_NONE_INSECURE ? SSL_VERIFY_NONE
                                                            : SSL_VERIFY_PEER,
                   NULL);
    if (!t->server_name)
        return 0;
    /* A numeric address is checked against the certificate's IP entries
     * and is never sent as SNI (RFC 6066); a name is both. */
    X509_VERIFY_PARAM *param = SSL_get0_param(b->ssl);
    int numeric = X509_VERIFY_PARAM_set1_ip_asc(param, t->server_name) == 1;
    ERR_clear_error();
    if (numeric) {
        if (t->verify != PS_TLS_VERIFY_PEER_AND_HOST)
            X509_VERIFY_PARAM_set1_ip(param, NULL, 0);
        return 0;
    }
    if (SSL_set_tlsext_host_name(b->ssl, t->server_name) != 1 ||
        (t->verify == PS_TLS_VERIFY_PEER_AND_HOST &&
         SSL_set1_host(b->ssl, t->server_name) != 1)) {
        queue_reason(t->reason, "bad server name");
        return PS_ETLS;
    }
    return 0;
}

void ps__tls_be_free(ps_tls *t)
{
    if (!t->be)
        return;
    SSL_free(t->be->ssl);
    free(t->be);
    t->be = NULL;
}

int ps__tls_be_handshake(ps_tls *t)
{
    step_start(t);
    int ret = SSL_do_handshake(t->be->ssl);
    return ret == 1 ? 0 : step_error(t, ret);
}

int ps__tls_be_write(ps_tls *t, const void *buf, size_t len, size_t *n)
{
    step_start(t);
    *n = 0;
    int ret = SSL_write_ex(t->be->ssl, buf, len, n);
    return ret == 1 ? 0 : step_error(t, ret);
}

int ps__tls_be_read(ps_tls *t, void *buf, size_t cap, size_t *n)
{
    step_start(t);
    *n = 0;
    int ret = SSL_read_ex(t->be->ssl, buf, cap, n);
    if (ret == 1)
        return 0;
    if (SSL_get_error(t->be->ssl, ret) == SSL_ERROR_ZERO_RETURN) {
        ERR_clear_error();
        return 0; /* close_notify: the clean end of the stream */
    }
    return step_error(t, ret);
}

int ps__tls_be_shutdown(ps_tls *t)
{
    step_start(t);
    /* 0: close_notify sent, the peer's not yet seen; 1: both. */
    int ret = SSL_shutdown(t->be->ssl);
    return ret >= 0 ? 0 : step_error(t, ret);
}

size_t ps__tls_be_pending(const ps_tls *t)
{
    int n = SSL_pending(t->be->ssl);
    return n > 0 ? (size_t)n : 0;
}

int ps__tls_be_version(const ps_tls *t)
{
    switch (SSL_version(t->be->ssl)) {
    case TLS1_2_VERSION:
        return PS_TLS_1_2;
    case TLS1_3_VERSION:
        return PS_TLS_1_3;
    default:
        return 0;
    }
}

const char *ps__tls_be_alpn(const ps_tls *t)
{
    const unsigned char *p;
    unsigned int len;
    ps__tls_be *b = t->be;
    SSL_get0_alpn_selected(b->ssl, &p, &len);
    /* OpenSSL's bytes are not terminated: keep a terminated copy. */
    if (len == 0)
        return "";
    memcpy(b->alpn_text, p, len);
    b->alpn_text[len] = '\0';
    return b->alpn_text;
}

const char *ps__tls_be_sni(const ps_tls *t)
{
    const char *name = SSL_get_servername(t->be->ssl,
                                          TLSEXT_NAMETYPE_host_name);
    return name ? name : "";
}

int ps__tls_be_peer_subject(const ps_tls *t, char *buf, size_t cap)
{
    X509 *cert = SSL_get1_peer_certificate(t->be->ssl);
    if (!cert)
        return PS_ENOTCONN;
    int r = PS_ENOMEM;
    BIO *mem = BIO_new(BIO_s_mem());
    if (mem && X509_NAME_print_ex(mem, X509_get_subject_name(cert), 0,
                                  XN_FLAG_RFC2253) >= 0) {
        char *text;
        long len = BIO_get_mem_data(mem, &text);
        if (len >= 0 && (size_t)len < cap) {
            memcpy(buf, text, (size_t)len);
            buf[len] = '\0';
            r = 0;
        } else {
            r = PS_EMSGSIZE;
        }
    }
    BIO_free(mem);
    X509_free(cert);
    ERR_clear_error();
    return r;
}
