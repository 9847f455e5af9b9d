#!/bin/sh
# SPDX-License-Identifier: MIT
# Makes the TLS tests' certificates in DIR (the build tree; never committed):
#   ca.pem / ca.key           a test CA
#   server.pem / server.key   signed by the CA for localhost, 127.0.0.1, ::1
#   expired.pem / .key        the same names, expired yesterday
#   wronghost.pem / .key      signed by the CA for wrong.example only
#   self.pem / self.key       self-signed for localhost
#   client.pem / client.key   a client certificate signed by the CA
#   other_ca.pem              a CA that signed none of them (unknown CA)
#   store_ca.pem              a CA only test_tls_system_store trusts, by adding
#                             it to the system store (Wine's ROOT store keeps
#                             it: no other test may meet it)
#   store_server.pem / .key   signed by store_ca for localhost, 127.0.0.1
#   sys_ca.pem                a CA only the Schannel client test trusts, by
#                             adding it to its own prefix's ROOT store
#   sys_server.pem / .key     signed by sys_ca for localhost, 127.0.0.1
#   cross_ca.pem              a root (a CA file's only certificate), and
#   cross_link.pem            the same name and key signed by sys_ca
#   cross_server.pem / .key   signed by cross_ca for localhost, 127.0.0.1;
#                             its .pem also holds cross_link.pem (the chain
#                             a server sends)
# Usage: make_certs.sh DIR
set -eu
dir=$1
mkdir -p "$dir"
cd "$dir"
# P-256 keys: quick to make, and every TLS 1.2/1.3 stack takes them.
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
ext() { # ext FILE SAN
    printf 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=%s\n' "$2" >"$1"
}
# sign NAME CN SAN DAYS SERIAL [CA]: NAME.key, NAME.pem signed by CA (the
# test CA by default; -days -1 makes a certificate that expired a day ago).
sign() {
    ca=${6:-ca}
    key "$1.key"
    openssl req -new -key "$1.key" -subj "/CN=$2/O=portsock test" -out "$1.csr"
    ext "$1.ext" "$3"
    openssl x509 -req -in "$1.csr" -CA "$ca.pem" -CAkey "$ca.key" -set_serial "$5" \
        -days "$4" -extfile "$1.ext" -out "$1.pem" 2>/dev/null
    rm -f "$1.csr" "$1.ext"
}
key ca.key
openssl req -x509 -new -key ca.key -subj "/CN=portsock test CA" -days 3650 \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=keyCertSign,cRLSign \
    -out ca.pem
key other_ca.key
openssl req -x509 -new -key other_ca.key -subj "/CN=portsock other CA" -days 3650 \
    -addext basicConstraints=critical,CA:TRUE -out other_ca.pem
sign server localhost "DNS:localhost,IP:127.0.0.1,IP:::1" 3650 1
sign expired localhost "DNS:localhost,IP:127.0.0.1,IP:::1" -1 2
sign wronghost wrong.example "DNS:wrong.example" 3650 3
sign client "portsock client" "DNS:client.example" 3650 4
key store_ca.key
openssl req -x509 -new -key store_ca.key -subj "/CN=portsock store CA" -days 3650 \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=keyCertSign,cRLSign \
    -out store_ca.pem
sign store_server localhost "DNS:localhost,IP:127.0.0.1" 3650 5 store_ca
key sys_ca.key
openssl req -x509 -new -key sys_ca.key -subj "/CN=portsock sys CA" -days 3650 \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=keyCertSign,cRLSign \
    -out sys_ca.pem
sign sys_server localhost "DNS:localhost,IP:127.0.0.1" 3650 6 sys_ca
key cross_ca.key
openssl req -x509 -new -key cross_ca.key -subj "/CN=portsock cross CA" -days 3650 \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=keyCertSign,cRLSign \
    -out cross_ca.pem
# The cross-certificate: cross_ca's name and key, issued by sys_ca.
openssl req -new -key cross_ca.key -subj "/CN=portsock cross CA" -out cross_link.csr
printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=keyCertSign,cRLSign\n' >cross_link.ext
openssl x509 -req -in cross_link.csr -CA sys_ca.pem -CAkey sys_ca.key -set_serial 7 \
    -days 3650 -extfile cross_link.ext -out cross_link.pem 2>/dev/null
rm -f cross_link.csr cross_link.ext
sign cross_server localhost "DNS:localhost,IP:127.0.0.1" 3650 8 cross_ca
cat cross_link.pem >>cross_server.pem
key self.key
openssl req -x509 -new -key self.key -subj "/CN=localhost" -days 3650 \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" -out self.pem
echo ok >done
