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
key self.key
openssl req -x509 -new -key self.key -subj "/CN=localhost" -days 3650 \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" -out self.pem
echo ok >done
