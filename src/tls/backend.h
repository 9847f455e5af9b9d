/* SPDX-License-Identifier: MIT */
/* The private TLS contract: what src/tls/ (common code, written once)
 * needs from a backend (src/tls/openssl.c now; src/tls/schannel.c later).
 *
 * Who does what:
 *  - Common code (config.c, conn.c, io.c, transport.c) checks every
 *    argument, owns the socket and the deadline, and turns "would block"
 *    into waits with ps_select on the socket, for the direction the
 *    backend asks (t->wants). It implements send_all, recv_all, sendv_all,
 *    frames and ps_tls_connect over the backend's single steps.
 *  - A backend only transforms: each step function below tries once and
 *    never waits. Its ciphertext goes through ps__tls_net_send and comes
 *    from ps__tls_net_recv, which common code implements over the socket
 *    (waiting there at most what the running call's deadline leaves, see
 *    t->deadline). So a backend never sees the socket, not as an int
 *    (SSL_set_fd's int cannot hold a Windows SOCKET) nor otherwise.
 *
 * Why calls back into common code rather than memory buffers (BIO pairs):
 * OpenSSL then writes each record straight from its own buffer to the
 * socket and reads straight into its own, with no extra copy of the
 * ciphertext and no buffer of ours per connection, which the bulk target
 * (>= 0.97x raw OpenSSL) needs. A buffer-oriented backend (Schannel:
 * ciphertext in, plaintext out) fits as well: it calls the same two
 * functions with its own buffers.
 *
 * Every step returns 0, PS_EWOULDBLOCK after setting t->wants to
 * PS_POLL_READ or PS_POLL_WRITE (what the socket must be ready for before
 * the step can go on; the step must then be called again, with the same
 * arguments for a write), or a final error with t->reason filled:
 *  - PS_ECERT: the peer's certificate failed verification (the reason is
 *    the verifier's: "certificate has expired", "hostname mismatch", ...);
 *  - PS_ETLS: any other handshake or protocol failure, an alert included;
 *  - PS_ETRUNCATED: the stream ended without close_notify;
 *  - t->io_error when the transport failed (PS_ECONNRESET, ...);
 *  - PS_ENOMEM.
 * Error queues and similar per-thread state of the TLS library are cleared
 * at the start of each step, so a reason always belongs to its step. */
#ifndef PS_TLS_BACKEND_H
#define PS_TLS_BACKEND_H

#include <stdatomic.h>
#include <stddef.h>

#include "portsock_tls.h"

/* Defined by the backend: its context (SSL_CTX) and connection (SSL). */
typedef struct ps__tls_be_config ps__tls_be_config;
typedef struct ps__tls_be ps__tls_be;
/* Common code's deadline (common.h). */
struct ps__tls_deadline;

/* Room for a backend's reason, NUL included (longer ones are cut). */
#define PS__TLS_REASON 256
/* The largest plaintext of one TLS record. */
#define PS__TLS_RECORD 16384

struct ps_tls_config {
    int role;              /* PS_TLS_CLIENT or PS_TLS_SERVER */
    int verify;            /* PS_TLS_VERIFY_* */
    atomic_int used;       /* set by the first ps_tls_wrap: setters fail */
    atomic_int refs;       /* ps_tls_config_free's plus one per connection */
    ps__tls_be_config *be; /* the backend's context */
};

struct ps_tls {
    ps_socket_t sock;       /* owned; closed by ps_tls_close */
    int role, verify;       /* copied from the configuration */
    int handshake_done;     /* 1 once the handshake completed */
    unsigned wants;         /* PS_POLL_READ / _WRITE the last step awaits */
    int io_error;           /* the transport's last failure, for the backend */
    int eof;                /* the transport met the end of the stream */
    size_t send_floor;      /* a record is partly sent: the next write must
                              * pass at least this many bytes (0: none) */
    char *server_name;      /* a client's name (NULL: none) */
    unsigned char *scratch; /* PS__TLS_RECORD bytes for frames and gathered
                              * buffers, made on first use */
    char reason[PS__TLS_REASON];
    ps__tls_be *be;
    ps_tls_config *cfg; /* a reference (NULL before ps__tls_be_new) */
    /* While a step runs, the running call's deadline, within which the
     * transport may wait (NULL otherwise). For common code only. */
    const struct ps__tls_deadline *deadline;
};

/* ---- Transport: common code (transport.c), for the backend ----
 * One transfer over t->sock; during a step of a call with time to wait
 * (t->deadline), the transfer waits for the socket within it, else it is
 * one attempt with timeout 0. So a backend calls net_recv only when it
 * cannot go on without more ciphertext (never to read ahead while it holds
 * a record it could decrypt), and net_send only with bytes that must
 * leave. net_send: 0 with *n > 0 bytes
 * taken by the kernel; net_recv: 0 with *n > 0 bytes, or 0 with *n == 0 at
 * end of stream (t->eof set). Both: PS_EWOULDBLOCK (t->wants set), or the
 * socket's error, also kept in t->io_error. */
int ps__tls_net_send(ps_tls *t, const void *buf, size_t len, size_t *n);
int ps__tls_net_recv(ps_tls *t, void *buf, size_t cap, size_t *n);

/* What the running call's deadline leaves, for work a backend cannot
 * split into steps (Schannel's chain building may fetch certificates):
 * -1 no limit, 0 no time to wait (timeout 0, passed, or no call running),
 * else milliseconds. */
int ps__tls_time_left(const ps_tls *t);

/* Fills t->reason (NULL t: the calling thread's reason), cut to fit. */
void ps__tls_set_reason(ps_tls *t, const char *text);

/* ---- Configuration (the backend's context) ----
 * reason receives the backend's text on failure (PS__TLS_REASON bytes).
 * config_new: a context for role with the defaults of portsock_tls.h
 * (system trust store, TLS 1.2 at least, never 1.0/1.1). 0, PS_ENOMEM or
 * PS_ETLS. config_free: once no connection uses it (common code counts
 * the references, so c outlives t->be). The setters run only before first
 * use (common code checks); set_ca with NULL path: the system store. alpn
 * is the wire form (length-prefixed names, checked by common code). */
int ps__tls_be_config_new(ps__tls_be_config **out, int role, char *reason);
void ps__tls_be_config_free(ps__tls_be_config *c);
int ps__tls_be_config_set_ca(ps__tls_be_config *c, const char *path,
                             char *reason);
int ps__tls_be_config_set_cert(ps__tls_be_config *c, const char *cert,
                               const char *key, char *reason);
int ps__tls_be_config_set_alpn(ps__tls_be_config *c, const unsigned char *wire,
                               size_t len);
int ps__tls_be_config_set_min_version(ps__tls_be_config *c, int version);

/* ---- Connections ----
 * be_new: t->be for a connection of t->role with t->verify and
 * t->server_name (client: SNI unless numeric, and the host checked). No
 * I/O. 0, PS_ENOMEM or PS_ETLS. be_free: frees t->be (NULL allowed). */
int ps__tls_be_new(ps_tls *t, ps__tls_be_config *c);
void ps__tls_be_free(ps_tls *t);

/* ---- Steps (see the top: 0, PS_EWOULDBLOCK with t->wants, or final) ----
 * handshake: 0 once complete.
 * write: 0 with *n > 0, the plaintext bytes of records completely written
 *   to the transport (never counts a record only partly written).
 * read: 0 with *n > 0 bytes, or 0 with *n == 0 at the peer's close_notify.
 * shutdown: 0 once close_notify is completely written. */
int ps__tls_be_handshake(ps_tls *t);
int ps__tls_be_write(ps_tls *t, const void *buf, size_t len, size_t *n);
int ps__tls_be_read(ps_tls *t, void *buf, size_t cap, size_t *n);
int ps__tls_be_shutdown(ps_tls *t);

/* ---- Inspection (no I/O, never fails) ---- */
size_t ps__tls_be_pending(const ps_tls *t);
int ps__tls_be_version(const ps_tls *t);      /* PS_TLS_1_x, 0 if none */
const char *ps__tls_be_alpn(const ps_tls *t); /* "" if none */
const char *ps__tls_be_sni(const ps_tls *t);  /* a server's SNI, "" if none */
/* The peer certificate's subject (RFC 2253) into buf: 0, PS_ENOTCONN (no
 * certificate) or PS_EMSGSIZE (too small); buf holds "" on failure. */
int ps__tls_be_peer_subject(const ps_tls *t, char *buf, size_t cap);

#endif
