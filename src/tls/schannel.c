/* SPDX-License-Identifier: MIT */
/* The Schannel (SSPI) backend of the TLS contract (src/tls/backend.h), for
 * Windows. Schannel is buffer-oriented: ciphertext in, plaintext out. Each
 * connection has one input buffer (a whole TLS record at most, decrypted in
 * place) and, once the handshake is done, one output buffer of one record,
 * sized from SECPKG_ATTR_STREAM_SIZES: no allocation per record.
 *
 * The peer's certificate is verified here, after the handshake
 * (SCH_CRED_MANUAL_CRED_VALIDATION), with CertGetCertificateChain and the
 * SSL policy, so that a CA file given to ps_tls_config_set_ca is the only
 * trust (a chain engine whose exclusive roots are the file's, and a check
 * that the chain ends at one of them), and the reasons can be OpenSSL's
 * words.
 *
 * TLS 1.3 goes through SCH_CREDENTIALS where AcquireCredentialsHandle takes
 * it (Windows 10 2004 and later); elsewhere (older Windows, Wine 8) the
 * older SCHANNEL_CRED with TLS 1.2 only. */
#define SECURITY_WIN32
#define CERT_CHAIN_PARA_HAS_EXTRA_FIELDS /* dwUrlRetrievalTimeout */
#define SCHANNEL_USE_BLACKLISTS
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>
#include <subauth.h>
#include <wincrypt.h>
#include <schannel.h>
#include <security.h>
#include <sspi.h>
#include <ncrypt.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"

/* HTTPSPolicyCallbackData's checks to skip: wininet.h's values (MinGW's
 * wincrypt.h and schannel.h lack them). */
#ifndef SECURITY_FLAG_IGNORE_REVOCATION
#define SECURITY_FLAG_IGNORE_REVOCATION 0x00000080
#endif
#ifndef SECURITY_FLAG_IGNORE_UNKNOWN_CA
#define SECURITY_FLAG_IGNORE_UNKNOWN_CA 0x00000100
#endif
#ifndef SECURITY_FLAG_IGNORE_CERT_CN_INVALID
#define SECURITY_FLAG_IGNORE_CERT_CN_INVALID 0x00001000
#endif

/* The largest TLS record on the wire: header, 2^14 bytes and expansion. */
#define MAX_RECORD (5 + PS__TLS_RECORD + 2048)

struct ps__tls_be_config {
    int role;
    int min_version; /* PS_TLS_1_2 or PS_TLS_1_3 */
    HCERTSTORE ca;   /* the CA file's certificates; NULL: system ROOT */
    /* A chain engine whose only roots are ca's (hExclusiveRoot), made with
     * it; NULL: the default engine (no CA file, or none could be made). */
    HCERTCHAINENGINE engine;
    /* Our certificate (or NULL). Its key is attached to it and owned by
     * it: freed with its last reference (see set_cert). */
    PCCERT_CONTEXT cert;
    /* ALPN in SSPI's form (SEC_APPLICATION_PROTOCOLS), made once. */
    unsigned char *alpn;
    unsigned long alpn_len;
};

struct ps__tls_be {
    ps__tls_be_config *config; /* outlives the connection (backend.h) */
    CredHandle cred;
    CtxtHandle ctx;
    int have_cred, have_ctx;
    int hello_done;    /* a server's SSPI took the whole ClientHello */
    int tls13;         /* the credentials allow TLS 1.3 */
    int peer_closed;   /* close_notify received */
    int shut;          /* 0, 1: close_notify made, 2: sent */
    int renegotiating; /* a post-handshake exchange is running */
    int no_fill;       /* its first step: SSPI takes what is here */
    int finishing;     /* SSPI is done; its last token is not out yet */
    int failed;        /* the handshake's final error, kept */
    int close_told;    /* a read returned the peer's close_notify */
    /* A record's error met ahead of time (drain), for the next read. */
    int held;
    char held_reason[PS__TLS_REASON];
    int verified; /* the peer's certificate passed (or needs none) */
    DWORD alert;  /* the alert a rejection sends (TLS1_ALERT_*) */
    unsigned long ctx_attr;
    SecPkgContext_StreamSizes sizes;
    /* Ciphertext received, not yet taken by Schannel: in[0..in_len). */
    unsigned char *in;
    size_t in_len;
    /* Decrypted bytes not yet returned, inside in; the ciphertext that
     * followed them starts at extra (in_len ends it). */
    unsigned char *plain;
    size_t plain_len, extra;
    /* Bytes to send: a handshake token (SSPI's memory) or one record
     * (out), tok[tok_off..tok_len). */
    unsigned char *tok;
    size_t tok_len, tok_off;
    int tok_sspi;
    size_t tok_plain;   /* plaintext bytes the record carries */
    size_t done_plain;  /* a record's, sent outside a write */
    unsigned char *out; /* one record, sized from the stream sizes */
    char alpn_text[256];
    char sni[256]; /* a server's: the client's host_name */
};

/* ---- errors ---- */

static void set_reason_code(ps_tls *t, const char *what, SECURITY_STATUS s)
{
    char text[PS__TLS_REASON];
    snprintf(text, sizeof text, "%s (SECURITY_STATUS 0x%08lx)", what,
             (unsigned long)s);
    ps__tls_set_reason(t, text);
}

static void copy_reason(char *reason, const char *text)
{
    size_t n = strlen(text);
    if (n >= PS__TLS_REASON)
        n = PS__TLS_REASON - 1;
    memcpy(reason, text, n);
    reason[n] = '\0';
}

/* A failed handshake or record call: PS_ETLS with Schannel's meaning. */
static int sec_error(ps_tls *t, SECURITY_STATUS s)
{
    const char *what;
    switch (s) {
    case SEC_E_UNSUPPORTED_FUNCTION:
        what = t->role == PS_TLS_SERVER
                   ? "this system's Schannel has no server side (Wine)"
                   : "protocol version not supported by Schannel";
        break;
    case SEC_E_ALGORITHM_MISMATCH:
        what = "no shared cipher or protocol version";
        break;
    case SEC_E_ILLEGAL_MESSAGE:
        what = "illegal message or alert from the peer";
        break;
    case SEC_E_DECRYPT_FAILURE:
    case SEC_E_MESSAGE_ALTERED:
        what = "decryption failed or bad record mac";
        break;
    case SEC_E_INTERNAL_ERROR:
        what = "Schannel internal error";
        break;
    case SEC_E_NO_CREDENTIALS:
    case SEC_E_UNKNOWN_CREDENTIALS:
        what = "no usable certificate or key";
        break;
    case SEC_E_CERT_UNKNOWN:
    case SEC_E_CERT_EXPIRED:
    case SEC_E_UNTRUSTED_ROOT:
    case SEC_E_WRONG_PRINCIPAL:
        what = "the peer rejected our certificate";
        break;
    case SEC_E_INSUFFICIENT_MEMORY:
        return PS_ENOMEM;
    default:
        what = "TLS failure";
        break;
    }
    set_reason_code(t, what, s);
    return PS_ETLS;
}

static void step_start(ps_tls *t)
{
    t->io_error = 0;
    t->wants = 0;
}

/* ---- configuration ---- */

void ps__tls_be_config_free(ps__tls_be_config *c)
{
    if (!c)
        return;
    if (c->cert)
        CertFreeCertificateContext(c->cert);
    if (c->engine)
        CertFreeCertificateChainEngine(c->engine);
    if (c->ca)
        CertCloseStore(c->ca, 0);
    free(c->alpn);
    free(c);
}

int ps__tls_be_config_new(ps__tls_be_config **out, int role, char *reason)
{
    (void)reason;
    ps__tls_be_config *c = calloc(1, sizeof *c);
    if (!c)
        return PS_ENOMEM;
    c->role = role;
    c->min_version = PS_TLS_1_2;
    *out = c;
    return 0;
}

/* The whole file, NUL-terminated; NULL on failure. */
static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t cap = 0, n = 0;
    for (;;) {
        if (cap - n < 4097) {
            char *grown = realloc(buf, cap ? cap * 2 : 8192);
            if (!grown) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = grown;
            cap = cap ? cap * 2 : 8192;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0)
            break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* The next PEM block of type label at or after *at: its DER bytes (the
 * caller frees), *at moved past it. NULL when there is none. */
static BYTE *pem_next(const char **at, const char *label, DWORD *len)
{
    char begin[64], end[64];
    snprintf(begin, sizeof begin, "-----BEGIN %s-----", label);
    snprintf(end, sizeof end, "-----END %s-----", label);
    const char *b = strstr(*at, begin);
    const char *e = b ? strstr(b, end) : NULL;
    if (!e)
        return NULL;
    e += strlen(end);
    *at = e;
    DWORD n = 0, span = (DWORD)(e - b);
    if (!CryptStringToBinaryA(b, span, CRYPT_STRING_BASE64HEADER, NULL, &n,
                              NULL, NULL))
        return NULL;
    BYTE *der = malloc(n ? n : 1);
    if (der && !CryptStringToBinaryA(b, span, CRYPT_STRING_BASE64HEADER, der,
                                     &n, NULL, NULL)) {
        free(der);
        return NULL;
    }
    *len = n;
    return der;
}

/* Adds every certificate of the PEM text to store; the first one added
 * in *first when first is not NULL. The number added. */
static int add_pem_certs(HCERTSTORE store, const char *pem,
                         PCCERT_CONTEXT *first)
{
    int added = 0;
    const char *at = pem;
    DWORD len;
    BYTE *der;
    while ((der = pem_next(&at, "CERTIFICATE", &len)) != NULL) {
        PCCERT_CONTEXT ctx = NULL;
        BOOL ok = CertAddEncodedCertificateToStore(
            store, X509_ASN_ENCODING, der, len, CERT_STORE_ADD_ALWAYS,
            first && added == 0 ? &ctx : NULL);
        free(der);
        /* A leaf that does not parse is an error, never replaced by the
         * next certificate (its issuer). */
        if (!ok && first && added == 0)
            return 0;
        if (!ok)
            continue;
        if (ctx)
            *first = ctx;
        added++;
    }
    return added;
}

/* A chain engine that trusts only the roots in ca. The default engine
 * prefers system roots: a CA file's root cross-signed by one of them would
 * chain up to the system root, and the check that the root is the file's
 * (verify_chain) would then reject a server the file vouches for. NULL if
 * the system cannot make one; verify_chain's check still holds then. */
static HCERTCHAINENGINE exclusive_engine(HCERTSTORE ca)
{
    CERT_CHAIN_ENGINE_CONFIG cfg;
    HCERTCHAINENGINE engine = NULL;
    memset(&cfg, 0, sizeof cfg);
    /* Windows 7's layout, which ends with hExclusiveTrustedPeople: later
     * versions take it too, and a newer header's size may be refused. */
    cfg.cbSize = (DWORD)(offsetof(CERT_CHAIN_ENGINE_CONFIG,
                                  hExclusiveTrustedPeople) +
                         sizeof cfg.hExclusiveTrustedPeople);
    cfg.hExclusiveRoot = ca;
    /* No network for a CA file's chains, as with the default engine. */
    cfg.dwFlags = CERT_CHAIN_CACHE_ONLY_URL_RETRIEVAL;
    if (!CertCreateCertificateChainEngine(&cfg, &engine))
        return NULL;
    return engine;
}

int ps__tls_be_config_set_ca(ps__tls_be_config *c, const char *path,
                             char *reason)
{
    HCERTSTORE store = NULL;
    if (path) {
        size_t len;
        char *pem = read_file(path, &len);
        if (!pem) {
            copy_reason(reason, "cannot read the CA file");
            return PS_ETLS;
        }
        store = CertOpenStore(CERT_STORE_PROV_MEMORY, 0, 0, 0, NULL);
        int n = store ? add_pem_certs(store, pem, NULL) : 0;
        free(pem);
        if (n == 0) {
            if (store)
                CertCloseStore(store, 0);
            copy_reason(reason, "no certificate in the CA file");
            return PS_ETLS;
        }
    }
    if (c->engine)
        CertFreeCertificateChainEngine(c->engine);
    c->engine = store ? exclusive_engine(store) : NULL;
    if (c->ca)
        CertCloseStore(c->ca, 0);
    c->ca = store; /* NULL: the system's ROOT store */
    return 0;
}

/* Private keys are decoded here, not by NCryptImportKey's PKCS#8 blob
 * type, which Wine 8 lacks (NTE_INVALID_PARAMETER): an EC key becomes a
 * BCRYPT_ECCPRIVATE_BLOB, an RSA key CryptoAPI's private key blob. The
 * same decoding gives the public half, checked against the certificate. */
typedef struct key_blob {
    LPCWSTR type; /* NCryptImportKey's blob type */
    BYTE *blob;   /* malloc'ed, wiped before it is freed */
    DWORD blob_len;
    const BYTE *pub; /* the public part inside blob, to compare */
    DWORD pub_len;
    int ec;
} key_blob;

/* der decoded as type into memory to LocalFree; NULL on failure. */
static void *decode(LPCSTR type, const BYTE *der, DWORD len, DWORD *size)
{
    void *out = NULL;
    *size = 0;
    if (!CryptDecodeObjectEx(X509_ASN_ENCODING, type, der, len,
                             CRYPT_DECODE_ALLOC_FLAG, NULL, &out, size))
        return NULL;
    return out;
}

static const char *ec_blob(const BYTE *der, DWORD len, key_blob *k)
{
    DWORD size;
    CRYPT_ECC_PRIVATE_KEY_INFO *ec = decode(X509_ECC_PRIVATE_KEY, der, len,
                                            &size);
    if (!ec)
        return "cannot decode the EC private key";
    DWORD n = ec->PrivateKey.cbData;
    ULONG magic = n == 32   ? BCRYPT_ECDSA_PRIVATE_P256_MAGIC
                  : n == 48 ? BCRYPT_ECDSA_PRIVATE_P384_MAGIC
                  : n == 66 ? BCRYPT_ECDSA_PRIVATE_P521_MAGIC
                            : 0;
    const char *err = NULL;
    /* The public point, uncompressed (0x04, X, Y), must be in the file. */
    if (!magic)
        err = "an EC key of a curve other than P-256, P-384 or P-521";
    else if (ec->PublicKey.cbData != 1 + 2 * n || ec->PublicKey.pbData[0] != 4)
        err = "an EC private key without its public point";
    else if (!(k->blob = malloc(sizeof(BCRYPT_ECCKEY_BLOB) + 3 * n)))
        err = "out of memory";
    if (!err) {
        BCRYPT_ECCKEY_BLOB head = {magic, n};
        memcpy(k->blob, &head, sizeof head);
        memcpy(k->blob + sizeof head, ec->PublicKey.pbData + 1, 2 * n);
        memcpy(k->blob + sizeof head + 2 * n, ec->PrivateKey.pbData, n);
        k->blob_len = (DWORD)(sizeof head + 3 * n);
        k->type = BCRYPT_ECCPRIVATE_BLOB;
        k->pub = k->blob + sizeof head; /* X and Y */
        k->pub_len = 2 * n;
        k->ec = 1;
    }
    SecureZeroMemory(ec->PrivateKey.pbData, n);
    LocalFree(ec);
    return err;
}

static const char *rsa_blob(const BYTE *der, DWORD len, key_blob *k)
{
    DWORD size;
    BYTE *legacy = decode(PKCS_RSA_PRIVATE_KEY, der, len, &size);
    if (!legacy)
        return "cannot decode the RSA private key";
    const char *err = NULL;
    /* BLOBHEADER, RSAPUBKEY (magic, bit length, exponent), modulus, ... */
    DWORD bits = size >= 20 ? *(const DWORD *)(legacy + 12) : 0;
    if (size < 20 + bits / 8)
        err = "a malformed RSA private key";
    else if (!(k->blob = malloc(size)))
        err = "out of memory";
    if (!err) {
        memcpy(k->blob, legacy, size);
        k->blob_len = size;
        k->type = LEGACY_RSAPRIVATE_BLOB;
        k->pub = k->blob + 12; /* bit length, exponent, modulus */
        k->pub_len = 8 + bits / 8;
    }
    SecureZeroMemory(legacy, size);
    LocalFree(legacy);
    return err;
}

/* The key of PEM text: PKCS#8 ("PRIVATE KEY", RSA or EC), PKCS#1 ("RSA
 * PRIVATE KEY") or SEC 1 ("EC PRIVATE KEY"). NULL or what went wrong. */
static const char *decode_key(const char *pem, key_blob *k)
{
    static const char *const labels[] = {"PRIVATE KEY", "RSA PRIVATE KEY",
                                         "EC PRIVATE KEY"};
    const char *err = "no private key in the key file";
    for (int i = 0; i < 3; i++) {
        const char *at = pem;
        DWORD len = 0;
        BYTE *der = pem_next(&at, labels[i], &len);
        if (!der)
            continue;
        if (i == 1) {
            err = rsa_blob(der, len, k);
        } else if (i == 2) {
            err = ec_blob(der, len, k);
        } else {
            DWORD size;
            CRYPT_PRIVATE_KEY_INFO *info = decode(PKCS_PRIVATE_KEY_INFO, der,
                                                  len, &size);
            err = "cannot decode the PKCS#8 private key";
            if (info) {
                const char *oid = info->Algorithm.pszObjId;
                CRYPT_DER_BLOB *inner = &info->PrivateKey;
                err = strcmp(oid, szOID_RSA_RSA) == 0
                          ? rsa_blob(inner->pbData, inner->cbData, k)
                      : strcmp(oid, szOID_ECC_PUBLIC_KEY) == 0
                          ? ec_blob(inner->pbData, inner->cbData, k)
                          : "a private key neither RSA nor EC";
                SecureZeroMemory(inner->pbData, inner->cbData);
                LocalFree(info);
            }
        }
        SecureZeroMemory(der, len);
        free(der);
        break;
    }
    return err;
}

/* The certificate's public key is the key's public half. */
static int key_matches(const key_blob *k, PCCERT_CONTEXT cert)
{
    const CRYPT_BIT_BLOB *pub = &cert->pCertInfo->SubjectPublicKeyInfo
                                     .PublicKey;
    if (k->ec)
        return pub->cbData == 1 + k->pub_len && pub->pbData[0] == 4 &&
               memcmp(pub->pbData + 1, k->pub, k->pub_len) == 0;
    DWORD size;
    BYTE *csp = decode(RSA_CSP_PUBLICKEYBLOB, pub->pbData, pub->cbData, &size);
    int same = 0;
    if (csp) {
        same = size >= 12 + k->pub_len &&
               memcmp(csp + 12, k->pub, k->pub_len) == 0;
        LocalFree(csp);
    }
    return same;
}

/* The private key of PEM text as an ephemeral CNG key of the software
 * provider, after checking it is cert's. */
static int import_key(const char *pem, PCCERT_CONTEXT cert,
                      NCRYPT_KEY_HANDLE *key, char *reason)
{
    key_blob k;
    memset(&k, 0, sizeof k);
    const char *err = decode_key(pem, &k);
    if (!err && !key_matches(&k, cert))
        err = "key values mismatch";
    NCRYPT_PROV_HANDLE prov = 0;
    if (!err) {
        SECURITY_STATUS s = NCryptOpenStorageProvider(
            &prov, MS_KEY_STORAGE_PROVIDER, 0);
        if (s == ERROR_SUCCESS)
            s = NCryptImportKey(prov, 0, k.type, NULL, key, k.blob, k.blob_len,
                                NCRYPT_SILENT_FLAG);
        if (prov)
            NCryptFreeObject(prov);
        if (s != ERROR_SUCCESS) {
            char text[PS__TLS_REASON];
            snprintf(text, sizeof text,
                     "cannot import the private key (0x%08lx)",
                     (unsigned long)s);
            copy_reason(reason, text);
            err = "";
        }
    }
    if (k.blob) {
        SecureZeroMemory(k.blob, k.blob_len);
        free(k.blob);
    }
    if (err && err[0])
        copy_reason(reason, err);
    return err ? PS_ETLS : 0;
}

int ps__tls_be_config_set_cert(ps__tls_be_config *c, const char *cert,
                               const char *key, char *reason)
{
    size_t len;
    char *pem = read_file(cert, &len);
    if (!pem) {
        copy_reason(reason, "cannot read the certificate file");
        return PS_ETLS;
    }
    /* The leaf first, then its chain: all in a store of their own. */
    HCERTSTORE store = CertOpenStore(CERT_STORE_PROV_MEMORY, 0, 0, 0, NULL);
    PCCERT_CONTEXT leaf = NULL;
    if (store)
        add_pem_certs(store, pem, &leaf);
    free(pem);
    if (store)
        CertCloseStore(store, 0); /* leaf keeps it alive */
    if (!leaf) {
        copy_reason(reason, "no parsable first certificate in the "
                            "certificate file");
        return PS_ETLS;
    }
    char *kpem = read_file(key, &len);
    if (!kpem) {
        CertFreeCertificateContext(leaf);
        copy_reason(reason, "cannot read the key file");
        return PS_ETLS;
    }
    NCRYPT_KEY_HANDLE k = 0;
    int r = import_key(kpem, leaf, &k, reason);
    SecureZeroMemory(kpem, len);
    free(kpem);
    /* Once attached, the key belongs to the certificate: the property
     * fills its key context (CERT_KEY_CONTEXT, CERT_NCRYPT_KEY_SPEC),
     * whose handle crypt32 releases on the context's final free unless
     * CERT_STORE_NO_CRYPT_RELEASE_FLAG was given (Microsoft's
     * CertSetCertificateContextProperty), as .NET relies on when it hands
     * an ephemeral key over this way. So it is never freed here after
     * that, and it lives as long as any reference to the certificate
     * (Schannel's credentials hold one). Only a key not attached is ours
     * to free. */
    if (r == 0 && !CertSetCertificateContextProperty(
                      leaf, CERT_NCRYPT_KEY_HANDLE_PROP_ID,
                      CERT_SET_PROPERTY_INHIBIT_PERSIST_FLAG, &k)) {
        copy_reason(reason, "cannot attach the key to the certificate");
        r = PS_ETLS;
    }
    if (r != 0) {
        if (k)
            NCryptFreeObject(k);
        CertFreeCertificateContext(leaf);
        return r;
    }
    if (c->cert)
        CertFreeCertificateContext(c->cert); /* its key with it */
    c->cert = leaf;
    return 0;
}

int ps__tls_be_config_set_alpn(ps__tls_be_config *c, const unsigned char *wire,
                               size_t len)
{
    unsigned char *buf = NULL;
    unsigned long total = 0;
    if (len > 0) {
        /* One list (ALPN) of the wire form, behind SSPI's two headers. */
        size_t head = offsetof(SEC_APPLICATION_PROTOCOLS, ProtocolLists) +
                      offsetof(SEC_APPLICATION_PROTOCOL_LIST, ProtocolList);
        if (!(buf = calloc(1, head + len)))
            return PS_ENOMEM;
        SEC_APPLICATION_PROTOCOLS *p = (SEC_APPLICATION_PROTOCOLS *)buf;
        SEC_APPLICATION_PROTOCOL_LIST *l = &p->ProtocolLists[0];
        l->ProtoNegoExt = SecApplicationProtocolNegotiationExt_ALPN;
        l->ProtocolListSize = (unsigned short)len;
        memcpy(l->ProtocolList, wire, len);
        p->ProtocolListsSize =
            (unsigned long)(offsetof(SEC_APPLICATION_PROTOCOL_LIST,
                                     ProtocolList) +
                            len);
        total = (unsigned long)(head + len);
    }
    free(c->alpn);
    c->alpn = buf;
    c->alpn_len = total;
    return 0;
}

int ps__tls_be_config_set_min_version(ps__tls_be_config *c, int version)
{
    c->min_version = version;
    return 0;
}

/* ---- credentials ---- */

static int acquire(ps_tls *t, ps__tls_be_config *c)
{
    ps__tls_be *b = t->be;
    int server = t->role == PS_TLS_SERVER;
    PCCERT_CONTEXT certs[1] = {c->cert};
    DWORD flags = 0;
    TimeStamp expiry;
    if (!server)
        flags = SCH_CRED_MANUAL_CRED_VALIDATION | SCH_CRED_NO_DEFAULT_CREDS |
                SCH_CRED_NO_SERVERNAME_CHECK;
    /* SCH_CREDENTIALS: every protocol is on unless disabled. */
    TLS_PARAMETERS params;
    memset(&params, 0, sizeof params);
    params.grbitDisabledProtocols = ~(
        DWORD)(SP_PROT_TLS1_3 |
               (c->min_version == PS_TLS_1_3 ? 0 : SP_PROT_TLS1_2));
    SCH_CREDENTIALS sc;
    memset(&sc, 0, sizeof sc);
    sc.dwVersion = SCH_CREDENTIALS_VERSION;
    sc.cCreds = c->cert ? 1 : 0;
    sc.paCred = c->cert ? certs : NULL;
    sc.hRootStore = server ? c->ca : NULL;
    sc.dwFlags = flags | SCH_USE_STRONG_CRYPTO;
    sc.cTlsParameters = 1;
    sc.pTlsParameters = &params;
    SECURITY_STATUS s = AcquireCredentialsHandleA(
        NULL, (char *)UNISP_NAME_A,
        server ? SECPKG_CRED_INBOUND : SECPKG_CRED_OUTBOUND, NULL, &sc, NULL,
        NULL, &b->cred, &expiry);
    if (s == SEC_E_OK) {
        b->have_cred = 1;
        b->tls13 = 1;
        return 0;
    }
    if (c->min_version == PS_TLS_1_3) {
        set_reason_code(t, "TLS 1.3 is not available from this Schannel", s);
        return PS_ETLS;
    }
    /* The older structure: TLS 1.2 only (1.0 and 1.1 never). */
    SCHANNEL_CRED old;
    memset(&old, 0, sizeof old);
    old.dwVersion = SCHANNEL_CRED_VERSION;
    old.cCreds = sc.cCreds;
    old.paCred = sc.paCred;
    old.hRootStore = sc.hRootStore;
    old.grbitEnabledProtocols = server ? SP_PROT_TLS1_2_SERVER
                                       : SP_PROT_TLS1_2_CLIENT;
    old.dwFlags = flags;
    s = AcquireCredentialsHandleA(NULL, (char *)UNISP_NAME_A,
                                  server ? SECPKG_CRED_INBOUND
                                         : SECPKG_CRED_OUTBOUND,
                                  NULL, &old, NULL, NULL, &b->cred, &expiry);
    if (s != SEC_E_OK) {
        set_reason_code(t, "AcquireCredentialsHandle failed", s);
        return s == SEC_E_INSUFFICIENT_MEMORY ? PS_ENOMEM : PS_ETLS;
    }
    b->have_cred = 1;
    return 0;
}

/* ---- connections ---- */

int ps__tls_be_new(ps_tls *t, ps__tls_be_config *c)
{
    ps__tls_be *b = calloc(1, sizeof *b);
    if (!b)
        return PS_ENOMEM;
    t->be = b;
    b->config = c;
    /* A handle SSPI did not fill stays recognisably invalid. */
    SecInvalidateHandle(&b->ctx);
    if (!(b->in = malloc(MAX_RECORD)))
        return PS_ENOMEM;
    return acquire(t, c);
}

static void drop_token(ps__tls_be *b)
{
    if (b->tok && b->tok_sspi)
        FreeContextBuffer(b->tok);
    b->tok = NULL;
    b->tok_len = b->tok_off = 0;
    b->tok_sspi = 0;
}

void ps__tls_be_free(ps_tls *t)
{
    ps__tls_be *b = t->be;
    if (!b)
        return;
    drop_token(b);
    if (b->have_ctx)
        DeleteSecurityContext(&b->ctx);
    if (b->have_cred)
        FreeCredentialsHandle(&b->cred);
    free(b->in);
    free(b->out);
    free(b);
    t->be = NULL;
}

/* Sends what is left of the pending token or record: 0 once all is sent. */
static int flush(ps_tls *t)
{
    ps__tls_be *b = t->be;
    while (b->tok_off < b->tok_len) {
        size_t n = 0;
        int r = ps__tls_net_send(t, b->tok + b->tok_off,
                                 b->tok_len - b->tok_off, &n);
        if (r != 0)
            return r;
        b->tok_off += n;
    }
    if (b->tok && !b->tok_sspi)
        b->done_plain += b->tok_plain;
    drop_token(b);
    return 0;
}

/* Takes an output token of SSPI to send. */
static void take_token(ps__tls_be *b, SecBuffer *out)
{
    if (out->pvBuffer && out->cbBuffer > 0) {
        b->tok = out->pvBuffer;
        b->tok_len = out->cbBuffer;
        b->tok_off = 0;
        b->tok_sspi = 1;
    } else if (out->pvBuffer) {
        FreeContextBuffer(out->pvBuffer);
    }
    out->pvBuffer = NULL;
}

/* Reads more ciphertext into in: 0 with bytes added, else the error
 * (end of stream: PS_ETRUNCATED). */
static int fill(ps_tls *t)
{
    ps__tls_be *b = t->be;
    size_t n = 0;
    if (b->in_len >= MAX_RECORD) {
        ps__tls_set_reason(t, "record too long");
        return PS_ETLS;
    }
    int r = ps__tls_net_recv(t, b->in + b->in_len, MAX_RECORD - b->in_len, &n);
    if (r != 0)
        return r;
    if (n == 0) {
        ps__tls_set_reason(t, "unexpected eof while reading");
        return PS_ETRUNCATED;
    }
    b->in_len += n;
    return 0;
}

/* Keeps only the trailing extra bytes of the input the last call left. */
static void keep_extra(ps__tls_be *b, const SecBuffer *in, int count)
{
    for (int i = 1; i < count; i++)
        if (in[i].BufferType == SECBUFFER_EXTRA && in[i].cbBuffer > 0) {
            size_t extra = in[i].cbBuffer;
            memmove(b->in, b->in + b->in_len - extra, extra);
            b->in_len = extra;
            return;
        }
    b->in_len = 0;
}

/* The name is a numeric IPv6 or IPv4 address (then in *a). */
static int numeric(const char *name, ps_addr *a)
{
    char probe[300];
    snprintf(probe, sizeof probe, "[%s]:0", name);
    if (ps_addr_parse(a, probe) == 0)
        return 1;
    snprintf(probe, sizeof probe, "%s:0", name);
    return ps_addr_parse(a, probe) == 0;
}

/* One InitializeSecurityContext / AcceptSecurityContext call. in_count
 * input buffers (the first the token), out: one token. */
static SECURITY_STATUS sspi_step(ps_tls *t, SecBufferDesc *in,
                                 SecBufferDesc *out)
{
    ps__tls_be *b = t->be;
    TimeStamp expiry;
    SECURITY_STATUS s;
    if (t->role == PS_TLS_SERVER) {
        unsigned long req = ASC_REQ_SEQUENCE_DETECT | ASC_REQ_REPLAY_DETECT |
                            ASC_REQ_CONFIDENTIALITY | ASC_REQ_EXTENDED_ERROR |
                            ASC_REQ_ALLOCATE_MEMORY | ASC_REQ_STREAM;
        if (t->verify == PS_TLS_VERIFY_PEER)
            req |= ASC_REQ_MUTUAL_AUTH;
        s = AcceptSecurityContext(&b->cred, b->have_ctx ? &b->ctx : NULL, in,
                                  req, 0, &b->ctx, out, &b->ctx_attr, &expiry);
    } else {
        unsigned long req = ISC_REQ_SEQUENCE_DETECT | ISC_REQ_REPLAY_DETECT |
                            ISC_REQ_CONFIDENTIALITY | ISC_REQ_EXTENDED_ERROR |
                            ISC_REQ_ALLOCATE_MEMORY | ISC_REQ_STREAM |
                            ISC_REQ_USE_SUPPLIED_CREDS;
        /* The name goes out as SNI: never a numeric address. */
        ps_addr a;
        char *target = t->server_name && !numeric(t->server_name, &a)
                           ? t->server_name
                           : NULL;
        s = InitializeSecurityContextA(&b->cred, b->have_ctx ? &b->ctx : NULL,
                                       target, req, 0, 0, in, 0, &b->ctx, out,
                                       &b->ctx_attr, &expiry);
    }
    /* A call that wanted more of the first message may or may not have
     * made a context: only a handle SSPI filled in is one. */
    if (!b->have_ctx &&
        (s == SEC_E_OK || s == SEC_I_CONTINUE_NEEDED ||
         s == SEC_I_INCOMPLETE_CREDENTIALS ||
         (s == SEC_E_INCOMPLETE_MESSAGE && SecIsValidHandle(&b->ctx))))
        b->have_ctx = 1;
    if (t->role == PS_TLS_SERVER && s != SEC_E_INCOMPLETE_MESSAGE)
        b->hello_done = 1;
    return s;
}

static int verify_peer(ps_tls *t, int early);
static void send_alert(ps_tls *t, DWORD number);
static void send_once(ps_tls *t, const void *buf, size_t len);
static void drain(ps_tls *t);
static int check_version(ps_tls *t);
static int finish_handshake(ps_tls *t);

/* The big-endian 16-bit number at p. */
static size_t be16(const unsigned char *p)
{
    return (size_t)p[0] << 8 | p[1];
}

/* The host_name of a ClientHello's server_name extension (RFC 6066) into
 * sni, from the first record: Schannel does not tell a server what the
 * client asked for. Anything malformed or cut short leaves sni "". */
static void client_hello_sni(const unsigned char *p, size_t n, char *sni)
{
    sni[0] = '\0';
    /* Record header, then the handshake header of a ClientHello. */
    if (n < 9 || p[0] != 22 || p[5] != 1)
        return;
    size_t end = 5 + be16(p + 3);
    if (end > n)
        end = n;
    size_t at = 9 + 2 + 32; /* version, random */
    if (at + 1 > end)
        return;
    at += 1 + p[at]; /* session id */
    if (at + 2 > end)
        return;
    at += 2 + be16(p + at); /* cipher suites */
    if (at + 1 > end)
        return;
    at += 1 + p[at]; /* compression methods */
    if (at + 2 > end)
        return;
    size_t ext_end = at + 2 + be16(p + at);
    if (ext_end > end)
        ext_end = end;
    at += 2;
    while (at + 4 <= ext_end) {
        size_t type = be16(p + at), len = be16(p + at + 2);
        at += 4;
        if (at + len > ext_end)
            return;
        /* server_name: a list (2-byte length) of type 0 and a name. */
        if (type == 0 && len >= 5 && p[at + 2] == 0) {
            size_t name = be16(p + at + 3);
            if (name > 0 && name < 256 && 5 + name <= len) {
                memcpy(sni, p + at + 5, name);
                sni[name] = '\0';
            }
            return;
        }
        at += len;
    }
}

/* Drives the handshake (or a post-handshake exchange) one step further. */
static int handshake(ps_tls *t)
{
    ps__tls_be *b = t->be;
    for (;;) {
        int r = flush(t);
        if (r != 0)
            return r;
        if (b->finishing) {
            b->finishing = 0;
            return finish_handshake(t);
        }
        if (t->handshake_done && !b->renegotiating)
            return 0;
        int client_first = t->role == PS_TLS_CLIENT && !b->have_ctx;
        if (!client_first && !b->no_fill && b->in_len == 0 &&
            (r = fill(t)) != 0)
            return r;
        b->no_fill = 0;
        SecBuffer ib[3], ob[1];
        SecBufferDesc in = {SECBUFFER_VERSION, 2, ib};
        SecBufferDesc out = {SECBUFFER_VERSION, 1, ob};
        ib[0].BufferType = SECBUFFER_TOKEN;
        ib[0].pvBuffer = b->in;
        ib[0].cbBuffer = (unsigned long)b->in_len;
        ib[1].BufferType = SECBUFFER_EMPTY;
        ib[1].pvBuffer = NULL;
        ib[1].cbBuffer = 0;
        ib[2] = ib[1];
        ob[0].BufferType = SECBUFFER_TOKEN;
        ob[0].pvBuffer = NULL;
        ob[0].cbBuffer = 0;
        SecBufferDesc *inp = &in;
        int server_hello = t->role == PS_TLS_SERVER && !b->hello_done;
        if (b->config->alpn && (client_first || server_hello)) {
            /* ALPN goes with the first call: the client's offer, or the
             * server's list to choose from, with every call until the
             * whole ClientHello is in (it may come in pieces). */
            if (client_first) {
                ib[0].BufferType = SECBUFFER_APPLICATION_PROTOCOLS;
                ib[0].pvBuffer = b->config->alpn;
                ib[0].cbBuffer = b->config->alpn_len;
                in.cBuffers = 1;
            } else {
                ib[2].BufferType = SECBUFFER_APPLICATION_PROTOCOLS;
                ib[2].pvBuffer = b->config->alpn;
                ib[2].cbBuffer = b->config->alpn_len;
                in.cBuffers = 3;
            }
        } else if (client_first) {
            inp = NULL;
        }
        /* Parsed again as more of the ClientHello arrives. */
        if (server_hello)
            client_hello_sni(b->in, b->in_len, b->sni);
        SECURITY_STATUS s = sspi_step(t, inp, &out);
        if (s == SEC_E_INCOMPLETE_MESSAGE) {
            if (ob[0].pvBuffer)
                FreeContextBuffer(ob[0].pvBuffer);
            if ((r = fill(t)) != 0)
                return r;
            continue;
        }
        take_token(b, &ob[0]);
        if (s == SEC_I_INCOMPLETE_CREDENTIALS) {
            /* A server asked for a certificate we do not have: go on
             * without one, as the same input is processed again. */
            continue;
        }
        if (s == SEC_I_CONTINUE_NEEDED) {
            if (!client_first)
                keep_extra(b, ib, 2);
            /* The certificate is checked as soon as it is here, before
             * our next flight goes: the peer then fails too. */
            if ((r = verify_peer(t, 1)) != 0) {
                send_alert(t, b->alert);
                return r;
            }
            continue;
        }
        if (s != SEC_E_OK) {
            /* The alert Schannel made, if any, is sent on a best effort:
             * Schannel's failure is the one reported. */
            if (b->tok)
                send_once(t, b->tok + b->tok_off, b->tok_len - b->tok_off);
            drop_token(b);
            return sec_error(t, s);
        }
        keep_extra(b, ib, 2);
        if (!t->handshake_done) {
            /* Before the last flight (a TLS 1.3 client's Finished, a TLS
             * 1.2 server's) goes out. */
            if ((r = check_version(t)) != 0 || (r = verify_peer(t, 0)) != 0) {
                send_alert(t, b->alert);
                return r;
            }
        }
        /* The last token may take more calls: nothing more for SSPI. */
        b->finishing = 1;
    }
}

/* Never below TLS 1.2, even where the credentials' protocol choice is
 * not honoured (Wine 8 takes SCH_CREDENTIALS and agreed to TLS 1.1). */
static int check_version(ps_tls *t)
{
    int v = ps__tls_be_version(t);
    if (v == 0 ||
        (t->be->config->min_version == PS_TLS_1_3 && v != PS_TLS_1_3)) {
        ps__tls_set_reason(t, "unsupported protocol");
        t->be->alert = TLS1_ALERT_PROTOCOL_VERSION;
        return PS_ETLS;
    }
    return 0;
}

static int finish_handshake(ps_tls *t)
{
    ps__tls_be *b = t->be;
    int first = !t->handshake_done;
    b->renegotiating = 0;
    if (!first) {
        drain(t);
        return 0;
    }
    SECURITY_STATUS s = QueryContextAttributesA(
        &b->ctx, SECPKG_ATTR_STREAM_SIZES, &b->sizes);
    if (s != SEC_E_OK)
        return sec_error(t, s);
    if (b->sizes.cbMaximumMessage > PS__TLS_RECORD)
        b->sizes.cbMaximumMessage = PS__TLS_RECORD;
    size_t need = (size_t)b->sizes.cbHeader + b->sizes.cbMaximumMessage +
                  b->sizes.cbTrailer;
    if (!(b->out = malloc(need)))
        return PS_ENOMEM;
    /* The peer may have sent data with its last flight (a server that
     * speaks first): it is decrypted now, for pending() to show. */
    drain(t);
    return 0;
}

int ps__tls_be_handshake(ps_tls *t)
{
    step_start(t);
    ps__tls_be *b = t->be;
    /* A failed handshake stays failed, its reason with it. */
    if (b->failed)
        return b->failed;
    int r = handshake(t);
    if (r != 0 && r != PS_EWOULDBLOCK)
        b->failed = r;
    return r;
}

/* ---- verification ---- */

/* OpenSSL's words for a chain's first failure. */
static const char *chain_reason(const CERT_CHAIN_CONTEXT *chain,
                                PCCERT_CONTEXT leaf)
{
    DWORD e = chain->TrustStatus.dwErrorStatus;
    const CERT_SIMPLE_CHAIN *simple = chain->rgpChain[0];
    if (e & CERT_TRUST_IS_NOT_TIME_VALID) {
        FILETIME now;
        GetSystemTimeAsFileTime(&now);
        return CompareFileTime(&now, &leaf->pCertInfo->NotBefore) < 0
                   ? "certificate is not yet valid"
                   : "certificate has expired";
    }
    if (e & CERT_TRUST_IS_REVOKED)
        return "certificate revoked";
    if (e & CERT_TRUST_IS_NOT_SIGNATURE_VALID)
        return "certificate signature failure";
    if (e & (CERT_TRUST_IS_UNTRUSTED_ROOT | CERT_TRUST_IS_PARTIAL_CHAIN)) {
        if (simple->cElement == 1 &&
            (simple->rgpElement[0]->TrustStatus.dwInfoStatus &
             CERT_TRUST_IS_SELF_SIGNED))
            return "self-signed certificate";
        if (e & CERT_TRUST_IS_PARTIAL_CHAIN)
            return "unable to get local issuer certificate";
        return "self-signed certificate in certificate chain";
    }
    if (e & (CERT_TRUST_IS_NOT_VALID_FOR_USAGE |
             CERT_TRUST_CTL_IS_NOT_VALID_FOR_USAGE))
        return "unsupported certificate purpose";
    return "certificate verify failed";
}

/* The chain's root is one of the CA file's certificates. */
static int root_in(HCERTSTORE ca, const CERT_CHAIN_CONTEXT *chain)
{
    const CERT_SIMPLE_CHAIN *simple = chain->rgpChain[chain->cChain - 1];
    PCCERT_CONTEXT root = simple->rgpElement[simple->cElement - 1]
                              ->pCertContext;
    PCCERT_CONTEXT found = CertFindCertificateInStore(
        ca, X509_ASN_ENCODING, 0, CERT_FIND_EXISTING, root, NULL);
    if (!found)
        return 0;
    CertFreeCertificateContext(found);
    return 1;
}

/* A numeric server name is one of the certificate's IP addresses. */
static int ip_matches(PCCERT_CONTEXT cert, const char *name, int *is_ip)
{
    ps_addr a;
    const BYTE *ip;
    DWORD iplen;
    *is_ip = numeric(name, &a);
    if (!*is_ip)
        return 0;
    if (ps_addr_family(&a) == PS_AF_INET6) {
        ip = (const BYTE *)&((const SOCKADDR_IN6 *)a.storage.bytes)->sin6_addr;
        iplen = 16;
    } else {
        ip = (const BYTE *)&((const SOCKADDR_IN *)a.storage.bytes)->sin_addr;
        iplen = 4;
    }
    PCERT_EXTENSION ext = CertFindExtension(szOID_SUBJECT_ALT_NAME2,
                                            cert->pCertInfo->cExtension,
                                            cert->pCertInfo->rgExtension);
    CERT_ALT_NAME_INFO *names = NULL;
    DWORD size;
    int match = 0;
    if (ext && (names = decode(X509_ALTERNATE_NAME, ext->Value.pbData,
                               ext->Value.cbData, &size))) {
        for (DWORD i = 0; i < names->cAltEntry && !match; i++) {
            const CERT_ALT_NAME_ENTRY *e = &names->rgAltEntry[i];
            match = e->dwAltNameChoice == CERT_ALT_NAME_IP_ADDRESS &&
                    e->IPAddress.cbData == iplen &&
                    memcmp(e->IPAddress.pbData, ip, iplen) == 0;
        }
        LocalFree(names);
    }
    return match;
}

static int verify_chain(ps_tls *t, PCCERT_CONTEXT cert)
{
    ps__tls_be *b = t->be;
    HCERTSTORE ca = b->config->ca;
    CERT_CHAIN_PARA para;
    memset(&para, 0, sizeof para);
    para.cbSize = sizeof para;
    /* The peer's intermediates, and the CA file's certificates so that a
     * chain can reach them; nothing fetched from the network for those. */
    HCERTSTORE extra = cert->hCertStore;
    HCERTSTORE coll = NULL;
    if (ca) {
        coll = CertOpenStore(CERT_STORE_PROV_COLLECTION, 0, 0, 0, NULL);
        if (!coll)
            return PS_ENOMEM;
        CertAddStoreToCollection(coll, cert->hCertStore, 0, 0);
        CertAddStoreToCollection(coll, ca, 0, 0);
        extra = coll;
    }
    /* Without a CA file, a missing intermediate may be fetched (AIA), but
     * only within the call's deadline: never with no time left (timeout
     * 0 never blocks), else each retrieval bounded by what is left. */
    int left = ps__tls_time_left(t);
    DWORD flags = 0;
    if (ca || left == 0)
        flags = CERT_CHAIN_CACHE_ONLY_URL_RETRIEVAL;
    else if (left > 0)
        para.dwUrlRetrievalTimeout = (DWORD)left;
    PCCERT_CHAIN_CONTEXT chain = NULL;
    BOOL ok = CertGetCertificateChain(b->config->engine, cert, NULL, extra,
                                      &para, flags, NULL, &chain);
    if (coll)
        CertCloseStore(coll, 0);
    if (!ok) {
        ps__tls_set_reason(t, "cannot build the certificate chain");
        return PS_ECERT;
    }
    int r = 0;
    DWORD e = chain->TrustStatus.dwErrorStatus;
    /* A CA file's root is trusted, though the system does not know it.
     * The exclusive engine already ends chains there; this check stays for
     * when it could not be made, or a system that ignores hExclusiveRoot. */
    int own_root = ca && !(e & CERT_TRUST_IS_PARTIAL_CHAIN) &&
                   root_in(ca, chain);
    if (own_root)
        e &= ~(DWORD)CERT_TRUST_IS_UNTRUSTED_ROOT;
    else if (ca && !(e & CERT_TRUST_IS_PARTIAL_CHAIN))
        /* Only the CA file is trusted: a system root is not enough. */
        e |= CERT_TRUST_IS_UNTRUSTED_ROOT;
    /* Revocation is not checked (no network): as OpenSSL by default. */
    e &= ~(DWORD)(CERT_TRUST_REVOCATION_STATUS_UNKNOWN |
                  CERT_TRUST_IS_OFFLINE_REVOCATION);
    if (e != 0) {
        CERT_CHAIN_CONTEXT copy = *chain;
        copy.TrustStatus.dwErrorStatus = e;
        ps__tls_set_reason(t, chain_reason(&copy, cert));
        b->alert = (e & CERT_TRUST_IS_NOT_TIME_VALID)
                       ? TLS1_ALERT_CERTIFICATE_EXPIRED
                   : (e & (CERT_TRUST_IS_UNTRUSTED_ROOT |
                           CERT_TRUST_IS_PARTIAL_CHAIN))
                       ? TLS1_ALERT_UNKNOWN_CA
                       : TLS1_ALERT_BAD_CERTIFICATE;
        r = PS_ECERT;
    }
    int is_ip = 0;
    int check_host = r == 0 && t->role == PS_TLS_CLIENT &&
                     t->verify == PS_TLS_VERIFY_PEER_AND_HOST && t->server_name;
    if (check_host && ip_matches(cert, t->server_name, &is_ip) == 0 && is_ip) {
        ps__tls_set_reason(t, "IP address mismatch");
        r = PS_ECERT;
    }
    if (r == 0) {
        /* The SSL policy: key usage, and the host name (DNS names). */
        WCHAR wname[256];
        SSL_EXTRA_CERT_CHAIN_POLICY_PARA ssl;
        memset(&ssl, 0, sizeof ssl);
        ssl.cbSize = sizeof ssl;
        ssl.dwAuthType = t->role == PS_TLS_CLIENT ? AUTHTYPE_SERVER
                                                  : AUTHTYPE_CLIENT;
        ssl.fdwChecks = SECURITY_FLAG_IGNORE_REVOCATION |
                        (own_root ? SECURITY_FLAG_IGNORE_UNKNOWN_CA : 0);
        if (check_host && !is_ip) {
            /* A name that does not convert is never a match (fail
             * closed): the check is not skipped. */
            if (MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS,
                                    t->server_name, -1, wname, 256) <= 0) {
                ps__tls_set_reason(t, "hostname mismatch");
                CertFreeCertificateChain(chain);
                return PS_ECERT;
            }
            ssl.pwszServerName = wname;
        } else {
            ssl.fdwChecks |= SECURITY_FLAG_IGNORE_CERT_CN_INVALID;
        }
        CERT_CHAIN_POLICY_PARA pp;
        CERT_CHAIN_POLICY_STATUS ps;
        memset(&pp, 0, sizeof pp);
        memset(&ps, 0, sizeof ps);
        pp.cbSize = sizeof pp;
        pp.pvExtraPolicyPara = &ssl;
        ps.cbSize = sizeof ps;
        if (own_root)
            pp.dwFlags = CERT_CHAIN_POLICY_ALLOW_UNKNOWN_CA_FLAG;
        if (!CertVerifyCertificateChainPolicy(CERT_CHAIN_POLICY_SSL, chain, &pp,
                                              &ps)) {
            ps__tls_set_reason(t, "cannot check the certificate policy");
            r = PS_ECERT;
        } else if (ps.dwError != 0) {
            switch ((unsigned long)ps.dwError) {
            case (unsigned long)CERT_E_CN_NO_MATCH:
                ps__tls_set_reason(t, "hostname mismatch");
                break;
            case (unsigned long)CERT_E_EXPIRED:
                ps__tls_set_reason(t, "certificate has expired");
                b->alert = TLS1_ALERT_CERTIFICATE_EXPIRED;
                break;
            case (unsigned long)CERT_E_UNTRUSTEDROOT:
            case (unsigned long)CERT_E_CHAINING:
                ps__tls_set_reason(t, "unable to get local issuer certificate");
                b->alert = TLS1_ALERT_UNKNOWN_CA;
                break;
            case (unsigned long)CERT_E_WRONG_USAGE:
                ps__tls_set_reason(t, "unsupported certificate purpose");
                break;
            default:
                set_reason_code(t, "certificate verify failed",
                                (SECURITY_STATUS)ps.dwError);
                break;
            }
            r = PS_ECERT;
        }
    }
    CertFreeCertificateChain(chain);
    return r;
}

/* Verifies the peer's certificate once it is there. early: in the middle
 * of the handshake, where a certificate not yet received is no failure. */
static int verify_peer(ps_tls *t, int early)
{
    ps__tls_be *b = t->be;
    if (b->verified)
        return 0;
    /* A server asks for a client certificate only with VERIFY_PEER. */
    if (t->verify == PS_TLS_VERIFY_NONE_INSECURE ||
        (t->role == PS_TLS_SERVER && t->verify != PS_TLS_VERIFY_PEER)) {
        b->verified = 1;
        return 0;
    }
    PCCERT_CONTEXT cert = NULL;
    SECURITY_STATUS s = QueryContextAttributesA(
        &b->ctx, SECPKG_ATTR_REMOTE_CERT_CONTEXT, &cert);
    if (s != SEC_E_OK || !cert) {
        if (early)
            return 0;
        ps__tls_set_reason(t, t->role == PS_TLS_SERVER
                                  ? "peer did not return a certificate"
                                  : "no peer certificate");
        /* certificate_required exists in TLS 1.3 only (RFC 8446). */
        b->alert = t->role == PS_TLS_SERVER &&
                           ps__tls_be_version(t) == PS_TLS_1_3
                       ? 116
                       : TLS1_ALERT_HANDSHAKE_FAILURE;
        return PS_ECERT;
    }
    b->verified = 1;
    b->alert = TLS1_ALERT_BAD_CERTIFICATE;
    int r = verify_chain(t, cert);
    CertFreeCertificateContext(cert);
    return r;
}

/* A fatal alert to the peer, on a best effort (the step fails anyway), so
 * that it fails its handshake too, as with OpenSSL's in-handshake checks;
 * the token Schannel made for the next step is never sent. */
static void send_alert(ps_tls *t, DWORD number)
{
    ps__tls_be *b = t->be;
    drop_token(b);
    SCHANNEL_ALERT_TOKEN a = {SCHANNEL_ALERT, TLS1_ALERT_FATAL, number};
    SecBuffer sb = {sizeof a, SECBUFFER_TOKEN, &a};
    SecBufferDesc desc = {SECBUFFER_VERSION, 1, &sb};
    SecBuffer none = {0, SECBUFFER_EMPTY, NULL};
    SecBufferDesc in = {SECBUFFER_VERSION, 1, &none};
    SecBuffer ob = {0, SECBUFFER_TOKEN, NULL};
    SecBufferDesc out = {SECBUFFER_VERSION, 1, &ob};
    if (ApplyControlToken(&b->ctx, &desc) == SEC_E_OK)
        sspi_step(t, t->role == PS_TLS_SERVER ? &in : NULL, &out);
    /* Wine's schannel makes no alert: before our ChangeCipherSpec (a TLS
     * 1.2 client's rejection) the alert record is plaintext anyway. */
    unsigned char plain[7] = {
        21, 3, 3, 0, 2, TLS1_ALERT_FATAL, (unsigned char)number};
    const void *alert = ob.pvBuffer;
    size_t len = ob.cbBuffer;
    if ((!alert || len == 0) && ps__tls_be_version(t) != PS_TLS_1_3) {
        alert = plain;
        len = sizeof plain;
    }
    if (alert && len > 0)
        send_once(t, alert, len);
    if (ob.pvBuffer)
        FreeContextBuffer(ob.pvBuffer);
}

/* Bytes sent on a best effort by a step that fails anyway (an alert): one
 * attempt that never waits, whatever the call's deadline (with -1 it
 * would wait forever for a peer that does not read), and whose outcome
 * changes nothing of the step's error. */
static void send_once(ps_tls *t, const void *buf, size_t len)
{
    const struct ps__tls_deadline *d = t->deadline;
    int io = t->io_error;
    size_t n = 0;
    t->deadline = NULL;
    ps__tls_net_send(t, buf, len, &n);
    t->deadline = d;
    t->io_error = io;
    t->wants = 0;
}

/* ---- records ---- */

int ps__tls_be_write(ps_tls *t, const void *buf, size_t len, size_t *n)
{
    ps__tls_be *b = t->be;
    step_start(t);
    *n = 0;
    /* The record cut short last time counts once all of it is out, and
     * is reported before a post-handshake exchange runs: that step may
     * block or fail, and the count would be lost with it. */
    int r = flush(t);
    if (r != 0)
        return r;
    if (b->done_plain > 0) {
        *n = b->done_plain;
        b->done_plain = 0;
        return 0;
    }
    if (b->renegotiating && (r = handshake(t)) != 0)
        return r;
    size_t chunk = len < b->sizes.cbMaximumMessage ? len
                                                   : b->sizes.cbMaximumMessage;
    SecBuffer sb[4];
    SecBufferDesc desc = {SECBUFFER_VERSION, 4, sb};
    sb[0].BufferType = SECBUFFER_STREAM_HEADER;
    sb[0].pvBuffer = b->out;
    sb[0].cbBuffer = b->sizes.cbHeader;
    sb[1].BufferType = SECBUFFER_DATA;
    sb[1].pvBuffer = b->out + b->sizes.cbHeader;
    sb[1].cbBuffer = (unsigned long)chunk;
    sb[2].BufferType = SECBUFFER_STREAM_TRAILER;
    sb[2].pvBuffer = b->out + b->sizes.cbHeader + chunk;
    sb[2].cbBuffer = b->sizes.cbTrailer;
    sb[3].BufferType = SECBUFFER_EMPTY;
    sb[3].pvBuffer = NULL;
    sb[3].cbBuffer = 0;
    memcpy(sb[1].pvBuffer, buf, chunk);
    SECURITY_STATUS s = EncryptMessage(&b->ctx, 0, &desc, 0);
    if (s != SEC_E_OK)
        return sec_error(t, s);
    b->tok = b->out;
    b->tok_len = (size_t)sb[0].cbBuffer + sb[1].cbBuffer + sb[2].cbBuffer;
    b->tok_off = 0;
    b->tok_sspi = 0;
    b->tok_plain = chunk;
    if ((r = flush(t)) != 0)
        return r;
    *n = b->done_plain;
    b->done_plain = 0;
    return 0;
}

/* Decrypts the next record of in, without I/O: 0 with plaintext (or
 * close_notify, or a post-handshake message handled), PS_EWOULDBLOCK when
 * in holds no whole record, else the error. */
static int decrypt(ps_tls *t)
{
    ps__tls_be *b = t->be;
    SecBuffer sb[4];
    SecBufferDesc desc = {SECBUFFER_VERSION, 4, sb};
    sb[0].BufferType = SECBUFFER_DATA;
    sb[0].pvBuffer = b->in;
    sb[0].cbBuffer = (unsigned long)b->in_len;
    for (int i = 1; i < 4; i++) {
        sb[i].BufferType = SECBUFFER_EMPTY;
        sb[i].pvBuffer = NULL;
        sb[i].cbBuffer = 0;
    }
    unsigned char type = b->in[0]; /* the record's content type */
    SECURITY_STATUS s = DecryptMessage(&b->ctx, &desc, 0, NULL);
    if (s == SEC_E_INCOMPLETE_MESSAGE)
        return PS_EWOULDBLOCK;
    if (s != SEC_E_OK && s != SEC_I_CONTEXT_EXPIRED && s != SEC_I_RENEGOTIATE)
        return sec_error(t, s);
    unsigned char *data = NULL;
    size_t data_len = 0, extra = 0;
    for (int i = 1; i < 4; i++) {
        if (sb[i].BufferType == SECBUFFER_DATA && !data) {
            data = sb[i].pvBuffer;
            data_len = sb[i].cbBuffer;
        } else if (sb[i].BufferType == SECBUFFER_EXTRA) {
            extra = sb[i].cbBuffer;
        }
    }
    b->plain = data;
    b->plain_len = data_len;
    b->extra = b->in_len - extra;
    /* Wine's schannel gives SEC_E_OK and no data for the close_notify
     * alert (Windows: SEC_I_CONTEXT_EXPIRED). A TLS 1.2 alert record that
     * did not fail is a warning, and close_notify is the only one left
     * (RFC 8446 6.1: user_canceled precedes it). */
    if (s == SEC_E_OK && type == 21 && data_len == 0)
        s = SEC_I_CONTEXT_EXPIRED;
    if (s == SEC_I_CONTEXT_EXPIRED) {
        b->peer_closed = 1;
        b->plain_len = 0;
    }
    if (b->plain_len == 0) {
        /* Nothing to hand over: the next record starts the buffer. */
        memmove(b->in, b->in + b->extra, extra);
        b->in_len = extra;
        b->extra = 0;
    }
    if (s == SEC_I_RENEGOTIATE) {
        /* TLS 1.3's post-handshake messages (tickets, key updates) or a
         * TLS 1.2 renegotiation: SSPI takes the rest of the input. */
        if (b->plain_len > 0) {
            ps__tls_set_reason(t, "application data within a renegotiation");
            return PS_ETLS;
        }
        /* Run by the next step: this one may be a read that already
         * holds plaintext, which must not wait for the exchange. */
        b->renegotiating = 1;
        b->no_fill = 1;
        return 0;
    }
    return 0;
}

/* Decrypts the records already in memory, without I/O, until plaintext,
 * the peer's close_notify or a post-handshake exchange is there: the
 * transport read ahead, so a record waiting here leaves the socket
 * unreadable, and pending() must show it. An error is kept for the next
 * read, not reported by the step that succeeded. */
static void drain(ps_tls *t)
{
    ps__tls_be *b = t->be;
    while (b->plain_len == 0 && b->in_len > 0 && !b->peer_closed &&
           !b->renegotiating && !b->held) {
        char keep[PS__TLS_REASON];
        size_t before = b->in_len;
        memcpy(keep, t->reason, sizeof keep);
        int r = decrypt(t);
        if (r == PS_EWOULDBLOCK)
            break;
        if (r != 0) {
            b->held = r;
            memcpy(b->held_reason, t->reason, sizeof b->held_reason);
            memcpy(t->reason, keep, sizeof keep);
            break;
        }
        if (b->plain_len == 0 && b->in_len >= before)
            break; /* no progress: never loop */
    }
}

/* The next buffered plaintext out of in, into buf. */
static size_t take_plain(ps__tls_be *b, void *buf, size_t cap)
{
    size_t n = b->plain_len < cap ? b->plain_len : cap;
    memcpy(buf, b->plain, n);
    b->plain += n;
    b->plain_len -= n;
    if (b->plain_len == 0) {
        size_t extra = b->in_len - b->extra;
        memmove(b->in, b->in + b->extra, extra);
        b->in_len = extra;
        b->extra = 0;
    }
    return n;
}

int ps__tls_be_read(ps_tls *t, void *buf, size_t cap, size_t *n)
{
    ps__tls_be *b = t->be;
    step_start(t);
    *n = 0;
    for (;;) {
        if (b->plain_len > 0) {
            *n = take_plain(b, buf, cap);
            drain(t);
            t->wants = 0;
            return 0;
        }
        if (b->held) {
            ps__tls_set_reason(t, b->held_reason);
            return b->held;
        }
        if (b->peer_closed) {
            b->close_told = 1;
            return 0;
        }
        int r;
        if (b->renegotiating) {
            if ((r = handshake(t)) != 0)
                return r;
            continue;
        }
        r = b->in_len > 0 ? decrypt(t) : PS_EWOULDBLOCK;
        if (r == 0)
            continue;
        if (r != PS_EWOULDBLOCK)
            return r;
        if ((r = fill(t)) != 0)
            return r;
    }
}

int ps__tls_be_shutdown(ps_tls *t)
{
    ps__tls_be *b = t->be;
    step_start(t);
    if (b->shut == 0) {
        int r = flush(t);
        if (r != 0)
            return r;
        DWORD type = SCHANNEL_SHUTDOWN;
        SecBuffer sb = {sizeof type, SECBUFFER_TOKEN, &type};
        SecBufferDesc desc = {SECBUFFER_VERSION, 1, &sb};
        SECURITY_STATUS s = ApplyControlToken(&b->ctx, &desc);
        if (s != SEC_E_OK)
            return sec_error(t, s);
        SecBuffer ob = {0, SECBUFFER_TOKEN, NULL};
        SecBufferDesc out = {SECBUFFER_VERSION, 1, &ob};
        /* A client's call takes no input; a server's an empty one. */
        SecBuffer none = {0, SECBUFFER_EMPTY, NULL};
        SecBufferDesc in = {SECBUFFER_VERSION, 1, &none};
        s = sspi_step(t, t->role == PS_TLS_SERVER ? &in : NULL, &out);
        if (s != SEC_E_OK && s != SEC_I_CONTEXT_EXPIRED) {
            if (ob.pvBuffer)
                FreeContextBuffer(ob.pvBuffer);
            return sec_error(t, s);
        }
        take_token(b, &ob);
        b->shut = 1;
    }
    if (b->shut == 1) {
        int r = flush(t);
        if (r != 0)
            return r;
        b->shut = 2;
    }
    return 0;
}

/* ---- inspection ---- */

size_t ps__tls_be_pending(const ps_tls *t)
{
    const ps__tls_be *b = t->be;
    if (b->plain_len > 0)
        return b->plain_len;
    /* No bytes, but the next read completes without the socket, which may
     * never become readable: it returns the close_notify or the error
     * already received, or runs the exchange whose input is here. An
     * event loop must not wait then, so 1. */
    return b->held || (b->peer_closed && !b->close_told) ||
                   (b->renegotiating && b->no_fill)
               ? 1
               : 0;
}

int ps__tls_be_version(const ps_tls *t)
{
    SecPkgContext_ConnectionInfo info;
    if (!t->be->have_ctx ||
        QueryContextAttributesA((PCtxtHandle)&t->be->ctx,
                                SECPKG_ATTR_CONNECTION_INFO, &info) != SEC_E_OK)
        return 0;
    if (info.dwProtocol & SP_PROT_TLS1_3)
        return PS_TLS_1_3;
    if (info.dwProtocol & SP_PROT_TLS1_2)
        return PS_TLS_1_2;
    return 0;
}

const char *ps__tls_be_alpn(const ps_tls *t)
{
    ps__tls_be *b = t->be;
    SecPkgContext_ApplicationProtocol ap;
    b->alpn_text[0] = '\0';
    if (!b->config->alpn || !b->have_ctx)
        return "";
    if (QueryContextAttributesA(&b->ctx, SECPKG_ATTR_APPLICATION_PROTOCOL,
                                &ap) != SEC_E_OK ||
        ap.ProtoNegoStatus != SecApplicationProtocolNegotiationStatus_Success)
        return "";
    memcpy(b->alpn_text, ap.ProtocolId, ap.ProtocolIdSize);
    b->alpn_text[ap.ProtocolIdSize] = '\0';
    return b->alpn_text;
}

const char *ps__tls_be_sni(const ps_tls *t)
{
    return t->be->sni;
}

int ps__tls_be_peer_subject(const ps_tls *t, char *buf, size_t cap)
{
    PCCERT_CONTEXT cert = NULL;
    if (QueryContextAttributesA((PCtxtHandle)&t->be->ctx,
                                SECPKG_ATTR_REMOTE_CERT_CONTEXT,
                                &cert) != SEC_E_OK ||
        !cert)
        return PS_ENOTCONN;
    /* RFC 2253's order and separators, as OpenSSL gives them. */
    DWORD type = CERT_X500_NAME_STR | CERT_NAME_STR_REVERSE_FLAG |
                 CERT_NAME_STR_COMMA_FLAG | CERT_NAME_STR_NO_QUOTING_FLAG;
    DWORD need = CertNameToStrA(X509_ASN_ENCODING, &cert->pCertInfo->Subject,
                                type, NULL, 0);
    int r = 0;
    if (need == 0 || need > cap)
        r = PS_EMSGSIZE;
    else
        CertNameToStrA(X509_ASN_ENCODING, &cert->pCertInfo->Subject, type, buf,
                       (DWORD)cap);
    CertFreeCertificateContext(cert);
    if (r != 0) {
        buf[0] = '\0';
        return r;
    }
    /* ", " between names, as CertNameToStr writes them, becomes ",". */
    char *w = buf;
    for (const char *p = buf; *p; p++) {
        *w++ = *p;
        if (p[0] == ',' && p[1] == ' ')
            p++;
    }
    *w = '\0';
    return 0;
}
