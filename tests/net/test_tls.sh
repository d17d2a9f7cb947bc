#!/usr/bin/env bash
# TLS and mTLS for OTLP/gRPC, OTLP/HTTP and remote-write against python TLS receivers, with
# certificates made here by openssl; and the start-up checks of the TLS and other exporter
# flags (exit 2, a message naming the flag and the path, existing --output files untouched).
# usage: tests/net/test_tls.sh BIN ROOT     (SX_KEEP=1 keeps the temp dir)
set -u
BIN=$(realpath "${1:?usage: test_tls.sh BIN ROOT}")
ROOT=$(realpath "${2:?usage: test_tls.sh BIN ROOT}")
source "$(dirname "$0")/lib.sh"
DURATION=20s
TLS_PID=
C=$TMP/certs
mkdir -p "$C"

stop_tls() {
    if [ -n "$TLS_PID" ]; then
        kill -TERM "$TLS_PID" 2>/dev/null
        wait "$TLS_PID" 2>/dev/null
        TLS_PID=
    fi
}
trap 'stop_tls; cleanup' EXIT

jcheck() {
    local name=$1 v
    v=$(jget "$2" "$3" 2>&1)
    check "$name ($v)" [ "$v" = true ]
}

# ---- certificates: CA, server (127.0.0.1 + localhost), client, a second unrelated CA,
#      and a server certificate for a wrong host name, all EC P-256, valid 2 days
mk_ca() {
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
        -keyout "$C/$1.key" -out "$C/$1.pem" -subj "/CN=sigsynth test $1" \
        -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
        2>/dev/null
}
mk_cert() {  # NAME CA SAN EKU
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$C/$1.key" \
        -out "$C/$1.csr" -subj "/CN=$1" 2>/dev/null
    printf 'subjectAltName=%s\nextendedKeyUsage=%s\nbasicConstraints=CA:FALSE\n' "$3" "$4" >"$C/$1.ext"
    openssl x509 -req -in "$C/$1.csr" -CA "$C/$2.pem" -CAkey "$C/$2.key" -CAcreateserial \
        -days 2 -out "$C/$1.pem" -extfile "$C/$1.ext" 2>/dev/null
}
mk_ca ca
mk_ca other-ca
mk_cert server ca "IP:127.0.0.1,DNS:localhost" serverAuth
mk_cert wronghost ca "DNS:wrong.example" serverAuth
mk_cert client ca "DNS:sigsynth-client" clientAuth
check "openssl made the certificates" \
    openssl verify -CAfile "$C/ca.pem" "$C/server.pem" "$C/client.pem" "$C/wronghost.pem"

# start_tls DIR KIND CERTNAME [--client-ca FILE]: sets TLS_PID, TPORT
start_tls() {
    local dir=$1 kind=$2 cert=$3
    shift 3
    mkdir -p "$dir"
    "$PY" "$HERE/tls_receiver.py" --kind "$kind" --cert "$C/$cert.pem" --key "$C/$cert.key" \
        --ready-file "$dir/tls.json" "$@" 2>"$dir/tls.err" &
    TLS_PID=$!
    local i
    for i in $(seq 100); do [ -s "$dir/tls.json" ] && break; sleep 0.1; done
    TPORT=$(jget "$dir/tls.json" 'd["port"]')
}

# endpoint flags for KIND (grpc, http, rw) with CA file $2 and extra client flags
ep_flags() {
    case $1 in
    grpc) EP=(--otlp-endpoint "https://127.0.0.1:$TPORT" --otlp-protocol grpc --otlp-ca "$2") ;;
    http) EP=(--otlp-endpoint "https://127.0.0.1:$TPORT" --otlp-ca "$2") ;;
    rw) EP=(--remote-write-url "https://127.0.0.1:$TPORT/api/v1/write" --remote-write-ca "$2") ;;
    esac
}
client_flags() {
    case $1 in
    rw) CL=(--remote-write-client-cert "$C/client.pem" --remote-write-client-key "$C/client.key") ;;
    *) CL=(--otlp-client-cert "$C/client.pem" --otlp-client-key "$C/client.key") ;;
    esac
}

show() {
    "$PY" - "$1" <<'EOF'
import json, os, sys
d = sys.argv[1]
s = json.load(open(d + "/summary.json")) if os.path.exists(d + "/summary.json") else {}
for e in s.get("exporters", []):
    print("  measured: %s generated %s delivered %s dropped %s requests %d errors %s" % (
        e["name"], e["generated"], e["delivered"], e["dropped"], e["requests"], e["errors"]))
t = json.load(open(d + "/tls.json")) if os.path.exists(d + "/tls.json") else {}
print("  receiver: %s requests" % t.get("requests"))
EOF
}

delivered() {  # DIR LABEL
    check "$2: exit 0 (got $(cat "$1/rc"))" [ "$(cat "$1/rc")" = 0 ]
    jcheck "$2: everything delivered, receiver saw every request" "$1/summary.json" \
        "(lambda e: sum(e['generated'].values()) > 0 and e['delivered'] == e['generated'] and e['requests'] == $(jget "$1/tls.json" 'd.get("requests", -1)'))(d['exporters'][0])"
}

failed() {  # DIR LABEL [ERE]: TLS failure -> nothing delivered, all dropped, exit 1, the error shown
    check "$2: exit 1 (got $(cat "$1/rc"))" [ "$(cat "$1/rc")" = 1 ]
    jcheck "$2: nothing delivered, everything dropped" "$1/summary.json" \
        "(lambda e: sum(e['generated'].values()) > 0 and all(v == 0 for v in e['delivered'].values()) and e['dropped'] == e['generated'])(d['exporters'][0])"
    local n
    n=$(grep -ciE "${3:-ssl|tls|certificate|handshake}" "$1/stderr")
    check "$2: the error is shown (/${3:-ssl|tls|certificate|handshake}/i, $n lines)" [ "$n" -ge 1 ]
    n=$(jget "$1/tls.json" 'd.get("requests", -1)')
    check "$2: the receiver got no request ($n)" [ "$n" = 0 ]
}

FAST_FAIL=(--give-up-after 2s --retry-max-time 2s --shutdown-timeout 3s)
T0=$(date +%s)

for KIND in grpc http rw; do
    RK=http
    [ $KIND = grpc ] && RK=grpc

    echo; echo "== $KIND: right CA"
    D=$TMP/$KIND-ok
    start_tls "$D" $RK server
    ep_flags $KIND "$C/ca.pem"
    run_sigsynth "$D" --duration $DURATION "${EP[@]}"
    stop_tls; show "$D"
    delivered "$D" "$KIND right CA"

    echo; echo "== $KIND: unrelated CA"
    D=$TMP/$KIND-wrongca
    start_tls "$D" $RK server
    ep_flags $KIND "$C/other-ca.pem"
    run_sigsynth "$D" --duration $DURATION "${EP[@]}" "${FAST_FAIL[@]}"
    stop_tls; show "$D"
    failed "$D" "$KIND wrong CA"

    echo; echo "== $KIND: server certificate for another host name"
    D=$TMP/$KIND-wronghost
    start_tls "$D" $RK wronghost
    ep_flags $KIND "$C/ca.pem"
    run_sigsynth "$D" --duration $DURATION "${EP[@]}" "${FAST_FAIL[@]}"
    stop_tls; show "$D"
    failed "$D" "$KIND wrong host name"

    echo; echo "== $KIND: mTLS required, with a client certificate"
    D=$TMP/$KIND-mtls
    start_tls "$D" $RK server --client-ca "$C/ca.pem"
    ep_flags $KIND "$C/ca.pem"
    client_flags $KIND
    run_sigsynth "$D" --duration $DURATION "${EP[@]}" "${CL[@]}"
    stop_tls; show "$D"
    delivered "$D" "$KIND mTLS with client cert"

    echo; echo "== $KIND: mTLS required, no client certificate"
    D=$TMP/$KIND-nocert
    start_tls "$D" $RK server --client-ca "$C/ca.pem"
    ep_flags $KIND "$C/ca.pem"
    run_sigsynth "$D" --duration $DURATION "${EP[@]}" "${FAST_FAIL[@]}"
    stop_tls; show "$D"
    # Over TLS 1.3 the server refuses after the client's side of the handshake, so what the
    # client sees depends on timing: the "certificate required" alert, an SSL write error, a
    # reset or a closed socket (gRPC core only ever says the socket closed).
    if [ $KIND = grpc ]; then
        failed "$D" "$KIND mTLS without client cert" "UNAVAILABLE: .*socket closed"
    else
        failed "$D" "$KIND mTLS without client cert" "ssl|tls|certificate|reset by peer|not connected|broken pipe"
    fi
done

# ---- start-up validation: exit 2, message names the flag and the path, --output untouched
echo; echo "== start-up checks of exporter flags"
OUT=$TMP/out
mkdir -p "$OUT"
for f in traces.jsonl metrics.jsonl logs.jsonl; do echo "{\"old\": \"$f\"}" >"$OUT/$f"; done
BEFORE=$(cd "$OUT" && sha256sum traces.jsonl metrics.jsonl logs.jsonl)
printf 'not a certificate\n' >"$C/junk.pem"
mkdir -p "$C/a-directory"
U=https://127.0.0.1:9/x
N=0
# startup LABEL EXPECTED_TEXT ARGS...
startup() {
    local label=$1 want=$2
    shift 2
    N=$((N + 1))
    local D=$TMP/startup-$N
    mkdir -p "$D"
    timeout -s KILL 30 "$BIN" run "$SCEN" "${COMMON_RUN[@]}" --duration 5s --output "$OUT" "$@" \
        >"$D/stdout" 2>"$D/stderr"
    local rc=$?
    echo "  $label: exit $rc: $(head -c 300 "$D/stderr")"
    check "$label: exit 2 (got $rc)" [ $rc = 2 ]
    check "$label: message has '$want'" grep -qF -- "$want" "$D/stderr"
    local after
    after=$(cd "$OUT" && sha256sum traces.jsonl metrics.jsonl logs.jsonl)
    check "$label: --output files untouched" [ "$BEFORE" = "$after" ]
}
for FAM in otlp-grpc otlp-http rw; do
    case $FAM in
    otlp-grpc) BASE=(--otlp-endpoint "$U" --otlp-protocol grpc); CA=--otlp-ca; CERT=--otlp-client-cert; KEY=--otlp-client-key ;;
    otlp-http) BASE=(--otlp-endpoint "$U"); CA=--otlp-ca; CERT=--otlp-client-cert; KEY=--otlp-client-key ;;
    rw) BASE=(--remote-write-url "$U"); CA=--remote-write-ca; CERT=--remote-write-client-cert; KEY=--remote-write-client-key ;;
    esac
    startup "$FAM missing CA" "$CA $C/missing.pem: cannot read: No such file or directory" "${BASE[@]}" $CA "$C/missing.pem"
    startup "$FAM CA is a directory" "$CA $C/a-directory: cannot read" "${BASE[@]}" $CA "$C/a-directory"
    startup "$FAM CA not PEM" "$CA $C/junk.pem: not a PEM certificate file" "${BASE[@]}" $CA "$C/junk.pem"
    startup "$FAM key given as CA" "$CA $C/client.key: not a PEM certificate file" "${BASE[@]}" $CA "$C/client.key"
    startup "$FAM cert without key" "$CERT needs $KEY" "${BASE[@]}" $CERT "$C/client.pem"
    startup "$FAM key without cert" "$KEY needs $CERT" "${BASE[@]}" $KEY "$C/client.key"
    startup "$FAM missing key" "$KEY $C/missing.key: cannot read" "${BASE[@]}" $CERT "$C/client.pem" $KEY "$C/missing.key"
    startup "$FAM cert is not PEM" "$CERT $C/junk.pem: not a PEM certificate file" "${BASE[@]}" $CERT "$C/junk.pem" $KEY "$C/client.key"
    startup "$FAM key is not PEM" "$KEY $C/client.pem: not a PEM private key file" "${BASE[@]}" $CERT "$C/client.pem" $KEY "$C/client.pem"
done
OTEL_EXPORTER_OTLP_CERTIFICATE=$C/missing.pem startup "OTEL_EXPORTER_OTLP_CERTIFICATE missing" \
    "OTEL_EXPORTER_OTLP_CERTIFICATE $C/missing.pem: cannot read" --otlp-endpoint "$U"
startup "bad remote-write URL scheme" "remote-write URL must start with http:// or https://" --remote-write-url ftp://127.0.0.1/x
startup "reserved remote-write header" "cannot be overridden" --remote-write-url "$U" --remote-write-header Content-Type=x
startup "basic auth without password file" "needs --remote-write-basic-auth-password-file" --remote-write-url "$U" --remote-write-basic-auth-user u
startup "missing bearer token file" "$C/missing.token" --remote-write-url "$U" --remote-write-bearer-token-file "$C/missing.token"
startup "bad OTLP/HTTP URL scheme" "must start with http:// or https://" --otlp-endpoint ftp://127.0.0.1/x
startup "bad --give-up-after" "--give-up-after" --otlp-endpoint "$U" --give-up-after soon

echo "total $(( $(date +%s) - T0 )) s"
finish
