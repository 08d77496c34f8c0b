#!/usr/bin/env bash
# A self-signed certificate for the compose deployment's balancer, for local use only
# (browsers warn about it; use a real one in production: README "TLS").
#
#   scripts/make_dev_cert.sh [OUT.pem] [HOST]     default deploy/tls/socialsync.pem, localhost
#
# HAProxy wants one PEM file: the certificate (then any chain), then the private key.
set -euo pipefail
out="${1:-$(dirname "$0")/../deploy/tls/socialsync.pem}"
host="${2:-localhost}"
mkdir -p "$(dirname "$out")"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=$host" \
  -addext "subjectAltName=DNS:$host,IP:127.0.0.1" \
  -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
cat "$work/cert.pem" "$work/key.pem" > "$out"
# HAProxy runs as uid 99 in its container and must read it; on a shared host prefer
# `chown 99 "$out" && chmod 600 "$out"`.
chmod 644 "$out"
echo "wrote $out (self-signed for $host, 30 days)"
