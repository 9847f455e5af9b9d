/* SPDX-License-Identifier: MIT */
/**
 * @file portsock_tls.h
 * portsock TLS: verified, encrypted stream connections with portsock's
 * guarantees (one deadline per call, exact counts, no SIGPIPE).
 *
 * A separate library, portsock_tls (CMake portsock::tls), built with
 * -DPS_TLS=auto|openssl|schannel|off. Backends: OpenSSL 3 (Linux, macOS,
 * and Windows where built so) and Schannel, Windows' own TLS (auto's
 * choice on Windows: no DLL to ship). Schannel offers TLS 1.3 where the
 * system has it (SCH_CREDENTIALS, Windows 10 2004 / Server 2022 and
 * later), else TLS 1.2. Under Wine 8, Schannel is a client only, TLS 1.2
 * at most: a server's handshake fails with PS_ETLS ("no server side").
 *
 * Conventions: those of portsock.h. Every call returns 0 or a negative
 * PS_E* code; timeout_ms < 0 waits forever, 0 does not wait (PS_EWOULDBLOCK
 * when nothing can move now, then ps_tls_wants says what to wait for),
 * > 0 is a deadline for the whole call. Counts are plaintext bytes.
 * Three codes are TLS's own: PS_ETLS (a handshake or protocol failure),
 * PS_ECERT (the peer's certificate was rejected) and PS_ETRUNCATED (the
 * peer ended the stream without close_notify: never a clean end of
 * stream). ps_tls_reason gives the backend's text for the last failure.
 *
 * Threads: a ps_tls_config may be shared by any number of connections and
 * threads; it is immutable once a connection used it (its setters then
 * return PS_EINVAL). One ps_tls is used by one thread at a time: unlike a
 * plain socket, a sender and a receiver may not run on two threads at
 * once (TLS reads may have to write and writes may have to read).
 * Different ps_tls objects are independent.
 *
 * This header includes only portsock.h and standard C headers.
 */
#ifndef PORTSOCK_TLS_H
#define PORTSOCK_TLS_H

#include <stddef.h>

#include "portsock.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Marks the functions of portsock_tls for linking, as PS_API does for
 * portsock (PS_SHARED for a shared library; PS_TLS_BUILDING only while
 * compiling portsock_tls itself).
 */
#if defined(PS_STATIC) || !defined(PS_SHARED)
#define PS_TLS_API
#elif defined(_WIN32) || defined(__CYGWIN__)
#if defined(PS_TLS_BUILDING)
#define PS_TLS_API __declspec(dllexport)
#else
#define PS_TLS_API __declspec(dllimport)
#endif
#elif defined(__GNUC__) && defined(PS_TLS_BUILDING)
#define PS_TLS_API __attribute__((visibility("default")))
#else
#define PS_TLS_API
#endif

/** A TLS configuration: role, trust, certificate, policy. Opaque. */
typedef struct ps_tls_config ps_tls_config;
/** One TLS connection over a portsock stream socket. Opaque. */
typedef struct ps_tls ps_tls;

/** Roles of a configuration (ps_tls_config_new). */
enum {
    PS_TLS_CLIENT = 1, /**< connects, sends SNI, verifies the server */
    PS_TLS_SERVER = 2  /**< accepts; asks for no client certificate unless
                        *   verification is PS_TLS_VERIFY_PEER */
};

/**
 * Verification modes (ps_tls_config_set_verify).
 *  - PS_TLS_VERIFY_PEER_AND_HOST, the default. For clients: the peer's
 *    chain must lead to a trusted CA, be valid now, and name the host (the
 *    server_name of ps_tls_wrap, the host of ps_tls_connect). For servers:
 *    no client certificate is asked for.
 *  - PS_TLS_VERIFY_PEER: the chain is verified, the host name is not. For
 *    servers: a client certificate is required and verified.
 *  - PS_TLS_VERIFY_NONE_INSECURE: nothing is verified, so anyone in the
 *    middle can read and change the traffic.
 */
enum {
    PS_TLS_VERIFY_PEER_AND_HOST = 0, /**< the default: chain and host name */
    PS_TLS_VERIFY_PEER = 1,          /**< the chain only (servers: required) */
    PS_TLS_VERIFY_NONE_INSECURE = 2  /**< nothing: open to anyone between */
};

/** Protocol versions (ps_tls_config_set_min_version, ps_tls_version). */
enum {
    PS_TLS_1_2 = 0x0303, /**< TLS 1.2, the lowest ever offered (default) */
    PS_TLS_1_3 = 0x0304  /**< TLS 1.3 */
};

/**
 * A new configuration for role PS_TLS_CLIENT or PS_TLS_SERVER. Its
 * defaults: trust the system store (clients), verify the peer and, for
 * clients, its host name; no ALPN; TLS 1.2 at least. A system store that
 * cannot be loaded does not fail this call: it fails the client's
 * connections that would verify with it (ps_tls_wrap, ps_tls_connect:
 * PS_ETLS or PS_ENOMEM, with the reason), so that a client that sets a CA
 * file never depends on it.
 * Errors: PS_EINVAL (out NULL, another role), PS_ENOMEM, PS_ETLS (the
 * backend could not start; see ps_tls_reason(NULL)).
 * @param out receives the configuration (NULL on failure)
 * @param role PS_TLS_CLIENT or PS_TLS_SERVER
 * @return 0 or a negative PS_E* code
 */
PS_TLS_API int ps_tls_config_new(ps_tls_config **out, int role);
/**
 * Frees a configuration. Connections made with it keep what they need, so
 * it may be freed while they live. NULL does nothing.
 * @param cfg the configuration (may be NULL)
 */
PS_TLS_API void ps_tls_config_free(ps_tls_config *cfg);
/**
 * The CAs to trust: a PEM file of certificates (then only those), or
 * NULL for the system store (OpenSSL's default paths; on Windows, for
 * both backends, the ROOT store less the certificates in the Disallowed
 * store). Errors: PS_EINVAL (cfg NULL or already used), PS_ETLS (the file
 * cannot be read or holds no certificate, or NULL and the system store
 * cannot be loaded; see ps_tls_reason(NULL)), PS_ENOMEM.
 * @param cfg the configuration
 * @param pem_path a PEM file of CA certificates, or NULL
 * @return 0 or a negative PS_E* code
 */
PS_TLS_API int ps_tls_config_set_ca(ps_tls_config *cfg, const char *pem_path);
/**
 * This side's certificate chain and private key, PEM files (a server needs
 * one; a client sends its own when the server asks). Errors: PS_EINVAL
 * (NULL argument, already used), PS_ETLS (unreadable, or the key does not
 * match the certificate).
 * @param cfg the configuration
 * @param cert_pem PEM file: the certificate, then any intermediates
 * @param key_pem PEM file: its private key (unencrypted; with Schannel
 *        PKCS#8 RSA or EC, PKCS#1 RSA or SEC 1 EC on P-256/384/521)
 * @return 0 or a negative PS_E* code
 */
PS_TLS_API int ps_tls_config_set_cert(ps_tls_config *cfg, const char *cert_pem,
                                      const char *key_pem);
/**
 * How the peer is verified: PS_TLS_VERIFY_PEER_AND_HOST,
 * PS_TLS_VERIFY_PEER or PS_TLS_VERIFY_NONE_INSECURE (see each). A server
 * verifies clients only with PS_TLS_VERIFY_PEER, which requires a client
 * certificate. Errors: PS_EINVAL (unknown mode, already used).
 * @param cfg the configuration
 * @param mode a PS_TLS_VERIFY_* value
 * @return 0 or a negative PS_E* code
 */
PS_TLS_API int ps_tls_config_set_verify(ps_tls_config *cfg, int mode);
/**
 * Application protocols (ALPN), most preferred first, e.g. {"h2",
 * "http/1.1"}. A client offers them; a server picks the first of its own
 * list that the client offered, and with no match goes on without ALPN
 * (ps_tls_alpn then gives ""). n == 0 clears the list. Each name is 1 to
 * 255 bytes. Errors: PS_EINVAL (a bad name, already used), PS_ENOMEM.
 * @param cfg the configuration
 * @param protos the names (may be NULL if n is 0)
 * @param n how many
 * @return 0 or a negative PS_E* code
 */
PS_TLS_API int ps_tls_config_set_alpn(ps_tls_config *cfg,
                                      const char *const *protos, size_t n);
/**
 * The lowest protocol version accepted: PS_TLS_1_2 (default) or
 * PS_TLS_1_3. TLS 1.0 and 1.1 are never offered nor accepted: a peer that
 * speaks only those fails the handshake with PS_ETLS. Errors: PS_EINVAL.
 * @param cfg the configuration
 * @param version PS_TLS_1_2 or PS_TLS_1_3
 * @return 0 or a negative PS_E* code
 */
PS_TLS_API int ps_tls_config_set_min_version(ps_tls_config *cfg, int version);

/**
 * Connects to host:port as ps_connect does (name lookup, the Happy
 * Eyeballs race), then completes the handshake with SNI = host (unless
 * host is a numeric address) and verifies the server, all within one
 * deadline. cfg must be a client configuration. On failure *out is NULL
 * and the socket is closed. Errors: those of ps_connect, then of
 * ps_tls_handshake (PS_ECERT, PS_ETLS, PS_ETIMEDOUT, ...). With
 * timeout_ms == 0 the connect cannot complete without waiting:
 * PS_EWOULDBLOCK (use ps_connect_start and ps_tls_wrap to drive both
 * without waiting).
 * @param out receives the connection (NULL on failure)
 * @param host a name or numeric address
 * @param port the port or service
 * @param cfg a client configuration
 * @param timeout_ms deadline for the whole call: < 0 none
 * @return 0 or a negative PS_E* code
 */
PS_TLS_API int ps_tls_connect(ps_tls **out, const char *host, const char *port,
                              const ps_tls_config *cfg, int timeout_ms);
/**
 * Wraps a connected stream socket (from ps_connect, ps_accept, ...) in a
 * TLS connection of cfg's role; no I/O yet: call ps_tls_handshake, or send
 * or receive at once (they do the handshake first). The ps_tls owns sock
 * from then on, also when this call fails (it is closed then):
 * ps_tls_close closes it. server_name: for a client the name sent as SNI
 * (unless it is a numeric address) and the host checked in the
 * certificate (a numeric address against its IP entries); NULL sends no
 * SNI and is PS_EINVAL with PS_TLS_VERIFY_PEER_AND_HOST, which has no
 * host to check then; ignored for a server. Errors: PS_EINVAL (also for
 * a name "" or longer than 255 bytes), PS_ENOMEM, PS_ETLS. A socket that
 * is not a connected stream shows up in the first step's error.
 * @param out receives the connection (NULL on failure)
 * @param sock a connected stream socket; owned by the ps_tls from now on
 * @param cfg the configuration (it becomes immutable)
 * @param server_name the peer's name for a client, or NULL
 * @return 0 or a negative PS_E* code
 */
PS_TLS_API int ps_tls_wrap(ps_tls **out, ps_socket_t sock,
                           const ps_tls_config *cfg, const char *server_name);
/**
 * Completes the handshake (at once if it already is). Errors: PS_ECERT
 * (the peer's certificate was rejected; ps_tls_reason says why, such as
 * "certificate has expired" or "hostname mismatch"), PS_ETLS (no common
 * version or cipher, an alert from the peer, garbage), PS_ETRUNCATED (the
 * peer closed during the handshake), PS_ETIMEDOUT, PS_EWOULDBLOCK
 * (timeout 0; wait as ps_tls_wants says, then call again), and socket
 * errors (PS_ECONNRESET, ...). A failure other than PS_ETIMEDOUT and
 * PS_EWOULDBLOCK is final: close the connection.
 * @param t the connection
 * @param timeout_ms < 0 waits forever, 0 does not wait, > 0 a deadline
 * @return 0 or a negative PS_E* code
 */
PS_TLS_API int ps_tls_handshake(ps_tls *t, int timeout_ms);
/**
 * Sends close_notify, so the peer sees a clean end of stream (its
 * ps_tls_recv gives 0 bytes), and flushes it; it does not wait for the
 * peer's. Sending is over after it. Errors as ps_tls_send.
 * @param t the connection
 * @param timeout_ms < 0 waits forever, 0 does not wait, > 0 a deadline
 * @return 0 or a negative PS_E* code
 */
PS_TLS_API int ps_tls_shutdown(ps_tls *t, int timeout_ms);
/**
 * Frees the connection and closes its socket, without close_notify (call
 * ps_tls_shutdown first for a clean end). NULL does nothing.
 * @param t the connection (may be NULL)
 * @return 0, or the error of closing the socket
 */
PS_TLS_API int ps_tls_close(ps_tls *t);

/**
 * Sends up to len plaintext bytes as ps_send does; *sent counts the bytes
 * whose records were completely written to the socket. After
 * PS_EWOULDBLOCK or PS_ETIMEDOUT a record may be partly on the wire: the
 * next send on this connection must go on with the same bytes (buf +
 * *sent, as anyone retrying does) and at least as many of them, or it
 * fails with PS_EINVAL. The handshake runs first if it has not.
 * @param t the connection
 * @param buf the bytes
 * @param len how many
 * @param sent receives how many were sent (may be NULL)
 * @param timeout_ms < 0 waits forever, 0 does not wait, > 0 a deadline
 * @return 0 or a negative PS_E* code
 */
PS_TLS_API int ps_tls_send(ps_tls *t, const void *buf, size_t len, size_t *sent,
                           int timeout_ms);
/**
 * Receives up to cap plaintext bytes as ps_recv does: 0 with *got == 0 at
 * the peer's close_notify. The peer's end of stream without close_notify
 * is PS_ETRUNCATED, never a clean end. cap == 0: PS_EINVAL.
 * @param t the connection
 * @param buf receives the bytes
 * @param cap size of buf (not 0)
 * @param got receives how many arrived (may be NULL)
 * @param timeout_ms < 0 waits forever, 0 does not wait, > 0 a deadline
 * @return 0 (with *got == 0 at close_notify) or a negative PS_E* code
 */
PS_TLS_API int ps_tls_recv(ps_tls *t, void *buf, size_t cap, size_t *got,
                           int timeout_ms);
/**
 * Sends all len bytes as ps_send_all does; on any failure *sent is exactly
 * the number of plaintext bytes in records completely written to the
 * socket, which is exactly what the peer can decrypt (a record cut short
 * by the deadline is never readable in part). See ps_tls_send for going
 * on after a timeout.
 * @param t the connection
 * @param buf the bytes
 * @param len how many
 * @param sent receives how many were sent (may be NULL)
 * @param timeout_ms deadline for the whole loop: < 0 none, 0 no wait
 * @return 0 or a negative PS_E* code
 */
PS_TLS_API int ps_tls_send_all(ps_tls *t, const void *buf, size_t len,
                               size_t *sent, int timeout_ms);
/**
 * Receives exactly len bytes as ps_recv_all does: close_notify before len
 * is PS_ECLOSED, an end of stream without it PS_ETRUNCATED; *got says how
 * many arrived.
 * @param t the connection
 * @param buf receives the bytes
 * @param len how many
 * @param got receives how many arrived (may be NULL)
 * @param timeout_ms deadline for the whole loop: < 0 none, 0 no wait
 * @return 0 or a negative PS_E* code
 */
PS_TLS_API int ps_tls_recv_all(ps_tls *t, void *buf, size_t len, size_t *got,
                               int timeout_ms);
/**
 * Sends every byte of every buffer, as ps_sendv_all does, with *sent
 * counted as for ps_tls_send_all. Small buffers are gathered so that they
 * leave in one record.
 * @param t the connection
 * @param iov the buffers
 * @param n how many buffers
 * @param sent receives how many bytes were sent (may be NULL)
 * @param timeout_ms deadline for the whole loop: < 0 none, 0 no wait
 * @return 0 or a negative PS_E* code
 */
PS_TLS_API int ps_tls_sendv_all(ps_tls *t, const ps_iovec *iov, size_t n,
                                size_t *sent, int timeout_ms);
/**
 * Sends one frame in ps_send_frame's format (4-byte big-endian length,
 * then the payload) with its rules. A frame of up to PS_TLS_FRAME_ONE_RECORD
 * payload bytes leaves as one TLS record, prefix included.
 * @param t the connection
 * @param buf the payload
 * @param len its length (at most UINT32_MAX)
 * @param timeout_ms deadline for the whole frame: < 0 none, 0 no wait
 * @return 0 or a negative PS_E* code
 */
PS_TLS_API int ps_tls_send_frame(ps_tls *t, const void *buf, size_t len,
                                 int timeout_ms);
/** The largest frame payload ps_tls_send_frame sends as one record. */
#define PS_TLS_FRAME_ONE_RECORD (16384 - 4)
/**
 * Receives one frame as ps_recv_frame does: PS_EMSGSIZE with the payload
 * left unread if it exceeds cap; PS_ECLOSED with *len == 0 at
 * close_notify before a header starts; PS_ETRUNCATED at an end of stream
 * without close_notify.
 * @param t the connection
 * @param buf receives the payload
 * @param cap size of buf
 * @param len receives the payload length (the announced one on PS_EMSGSIZE)
 * @param timeout_ms deadline for the whole frame: < 0 none, 0 no wait
 * @return 0 or a negative PS_E* code
 */
PS_TLS_API int ps_tls_recv_frame(ps_tls *t, void *buf, size_t cap, size_t *len,
                                 int timeout_ms);

/**
 * A buffered connection (ps_conn, see portsock.h) over t, for event loops:
 * ps_conn_send queues what TLS does not take now, ps_conn_fill reads and
 * decrypts what arrived and drains what ps_tls_pending holds (so no
 * decrypted byte waits behind a socket that will not become readable
 * again), and ps_conn_wants adds what ps_tls_wants asks for, so a
 * handshake or a send that needs the peer's data is driven by the same
 * loop (ps_conn_flush on write readiness and ps_conn_fill on read
 * readiness both take its steps). Takes the handshake's first step at once
 * (timeout 0), so a client's hello is on its way. On success the ps_conn
 * owns t: ps_conn_close closes it (without close_notify; to send one,
 * call ps_tls_shutdown(t, 0) first, with nothing queued). The peer's
 * close_notify is the end of stream (ps_conn_fill: PS_ECLOSED); an end
 * without it fails the connection with PS_ETRUNCATED. Errors: PS_EINVAL
 * (out or t NULL), PS_ENOMEM, and a handshake failure of that first step
 * (PS_ETLS, PS_ECERT, ...). On failure *out is NULL and t stays the
 * caller's. The ps_conn is used by one thread at a time.
 * @param out receives the connection
 * @param t a TLS connection (from ps_tls_wrap or ps_tls_connect)
 * @param limits the limits (see ps_conn_limits), or NULL
 * @return 0 or a negative PS_E* code
 */
PS_TLS_API int ps_tls_conn_new(ps_conn **out, ps_tls *t,
                               const ps_conn_limits *limits);
/**
 * What the step that last returned PS_EWOULDBLOCK (or PS_ETIMEDOUT) waits
 * for: PS_POLL_READ or PS_POLL_WRITE, to put in a ps_pollitem for
 * ps_tls_socket(t). A TLS receive may need the socket writable and a send
 * may need it readable. 0 when nothing is awaited; for NULL, 0.
 * @param t the connection
 * @return PS_POLL_READ, PS_POLL_WRITE or 0
 */
PS_TLS_API unsigned ps_tls_wants(const ps_tls *t);
/**
 * How many decrypted bytes wait in memory: a ps_tls_recv gets them
 * without touching the socket, so never wait for the socket to be readable
 * while this is non-zero. It may be 1 with no byte to return when the next
 * ps_tls_recv completes from memory anyway: the peer's close_notify or an
 * error already read from the socket, not yet returned (Schannel, which
 * reads ahead). 0 for NULL.
 * @param t the connection
 * @return the number of buffered plaintext bytes
 */
PS_TLS_API size_t ps_tls_pending(const ps_tls *t);
/**
 * The connection's socket, for ps_select and ps_poller (never read or
 * write it directly). PS_INVALID_SOCKET for NULL.
 * @param t the connection
 * @return the socket
 */
PS_TLS_API ps_socket_t ps_tls_socket(const ps_tls *t);
/**
 * The protocol version agreed: PS_TLS_1_2 or PS_TLS_1_3; 0 before the
 * handshake completes (or for NULL).
 * @param t the connection
 * @return the version, or 0
 */
PS_TLS_API int ps_tls_version(const ps_tls *t);
/**
 * The application protocol agreed by ALPN; "" when none (or before the
 * handshake). Valid until ps_tls_close. Never NULL.
 * @param t the connection
 * @return the protocol's name, or ""
 */
PS_TLS_API const char *ps_tls_alpn(const ps_tls *t);
/**
 * The subject of the peer's certificate, in one-line RFC 2253 form
 * ("CN=localhost,O=Example"), into buf (Schannel: CertNameToStr's X.500
 * form in RFC 2253's order, the same text for plain values; quoting of
 * special characters may differ). No certificate (a client that sent
 * none, or before the handshake): PS_ENOTCONN with buf "". A buffer too
 * small: PS_EMSGSIZE with buf "" (if cap > 0).
 * @param t the connection
 * @param buf receives the NUL-terminated text
 * @param cap size of buf
 * @return 0 or a negative PS_E* code
 */
PS_TLS_API int ps_tls_peer_subject(const ps_tls *t, char *buf, size_t cap);
/**
 * The server name: for a server the SNI the client sent ("" if none, or
 * before the handshake), for a client the name it was given. Valid until
 * ps_tls_close. Never NULL.
 * @param t the connection
 * @return the name, or ""
 */
PS_TLS_API const char *ps_tls_server_name(const ps_tls *t);
/**
 * The backend's human-readable reason for the connection's last failure
 * (e.g. "certificate has expired", "hostname mismatch",
 * "unsupported protocol"); "" when there was none. With t NULL: the
 * calling thread's last failure of a call that has no connection
 * (ps_tls_config_*, and ps_tls_connect / ps_tls_wrap, which return no
 * connection when they fail). Valid until the next call on t (or on this
 * thread). Never NULL.
 * @param t the connection, or NULL
 * @return the reason, or ""
 */
PS_TLS_API const char *ps_tls_reason(const ps_tls *t);

/**
 * ps_connector for TLS: connects by name without blocking the loop, then
 * wraps the connection for a client configuration, with the host as the
 * server name (SNI and the name verified). The handshake is the loop's to
 * drive, as for any ps_tls_wrap connection: ps_tls_handshake(t, 0), and on
 * PS_EWOULDBLOCK wait for what ps_tls_wants(t) says. Opaque. Thread
 * safety as ps_connector's.
 */
typedef struct ps_tls_connector ps_tls_connector;

/**
 * Starts connecting, as ps_connector_start does; cfg must be a client
 * configuration, and it is held (and immutable) until
 * ps_tls_connector_free, so the caller may free its own reference at once.
 * The deadline covers the lookup and the connect, not the handshake,
 * which the loop drives and times itself. Errors at once: those of
 * ps_connector_start, and PS_EINVAL for port or cfg NULL or a server
 * configuration. *out is NULL on failure, with nothing left behind.
 * @param out receives the connector (NULL on failure)
 * @param host a name or numeric address; the server name to verify
 * @param port the port or service
 * @param cfg a client configuration
 * @param timeout_ms deadline for the lookup and connect: < 0 none
 * @return 0 or a negative PS_E* code
 */
PS_TLS_API int ps_tls_connector_start(ps_tls_connector **out, const char *host,
                                      const char *port,
                                      const ps_tls_config *cfg, int timeout_ms);
/**
 * The item to watch, as ps_connector_item gives it (PS_POLL_READ on one
 * socket, the same for the connector's whole life).
 * @param c the connector
 * @param item receives the item
 * @return 0, or PS_EINVAL for c or item NULL
 */
PS_TLS_API int ps_tls_connector_item(const ps_tls_connector *c,
                                     ps_pollitem *item);
/**
 * The outcome, without blocking: 0 with a new TLS connection in *out over
 * the connected (non-blocking) socket, its handshake not yet started;
 * PS_EWOULDBLOCK while connecting; else ps_connector_finish's error, or
 * ps_tls_wrap's (PS_ENOMEM, PS_ETLS, PS_EINVAL for a host longer than 255
 * bytes), the socket closed then. Handed out once, as ps_connector_finish
 * does; PS_EINVAL after that, and for c or out NULL. The connection is the
 * caller's: ps_tls_close it.
 * @param c the connector
 * @param out receives the connection (NULL unless 0 is returned)
 * @return 0, PS_EWOULDBLOCK, or a negative PS_E* code
 */
PS_TLS_API int ps_tls_connector_finish(ps_tls_connector *c, ps_tls **out);
/**
 * Frees the connector, cancelling whatever is still going on, as
 * ps_connector_free does, and drops its hold on the configuration. A
 * connection already handed out is not touched. NULL is ignored.
 * @param c the connector, or NULL
 */
PS_TLS_API void ps_tls_connector_free(ps_tls_connector *c);

#ifdef __cplusplus
}
#endif

#endif
