#!/usr/bin/env bash
# Runs the browser tests: a fresh database, the server on a free loopback port, Playwright
# driving Debian's Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x /usr/bin/chromium ]; then
    if [ "$(id -u)" = "0" ]; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
    else
        echo "The browser tests need Debian's chromium (apt-get install chromium)." >&2
        exit 1
    fi
fi
[ -d node_modules/@playwright/test ] || npm ci --no-audit --no-fund --loglevel=error

server_url="$(scripts/ensure-postgres.sh postgres)"
db="essk_e2e_$(date +%s)_$$"
export DATABASE_URL="${server_url%/*}/$db"
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
storage="$(mktemp -d)"
# Mail goes to a local SMTP server that keeps every message in a maildir the tests read.
smtp_port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
maildir="$storage/maildir"
python3 -m aiosmtpd -n -l "127.0.0.1:$smtp_port" -c aiosmtpd.handlers.Mailbox "$maildir" \
    >target/e2e-smtp.log 2>&1 &
smtp=$!

# The same targets as `cargo test` builds, so the features match and nothing is rebuilt.
cargo build --all-targets
BIND_ADDR="127.0.0.1:$port" STORAGE_DIR="$storage/files" SMTP_URL="smtp://127.0.0.1:$smtp_port" \
    PUBLIC_URL="http://127.0.0.1:$port" ANONYMOUS_POSTS_PER_MINUTE=10000 ./target/debug/essk serve >target/e2e-server.log 2>&1 &
server=$!
cleanup() {
    kill "$server" "$smtp" 2>/dev/null || true
    wait "$server" "$smtp" 2>/dev/null || true
    rm -rf "$storage"
    psql "$server_url" -qc "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1 || true
}
trap cleanup EXIT

for _ in $(seq 1 120); do
    curl -fs -o /dev/null "http://127.0.0.1:$port/login" && break
    kill -0 "$server" 2>/dev/null || { cat target/e2e-server.log >&2; exit 1; }
    sleep 0.5
done

E2E_BASE_URL="http://127.0.0.1:$port" E2E_MAILDIR="$maildir" npx playwright test -c tests/e2e
