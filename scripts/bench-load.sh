#!/usr/bin/env bash
# Load through the real pages of the release server (examples/load.rs).
#   scripts/bench-load.sh lifecycle — whole approvals (create, documents, launch, eight
#       decisions) for BENCH_SECONDS (30) with WORKERS (4) at once, then pgbench's tpcb-like
#       load with 2 clients on the same PostgreSQL as the ceiling;
#   scripts/bench-load.sh decisions — APPROVALS (100) launched approvals per worker, their
#       actions done (untimed), then only their decisions posted by WORKERS (4) at once,
#       then the same pgbench ceiling;
#   scripts/bench-load.sh soak — SOAK_SECONDS (600) of lifecycles, readers of every role and
#       uploads with WORKERS (6) at once, the server's memory every 30 s.
# Each run has a database of its own, dropped at the end.
# TODO(#9): a lifecycle (19 requests: create, the edit page, four signed uploads, launch, the
# card, two actions tables and two actions, eight decisions) spends some 40 ms of CPU, 27 of
# them in PostgreSQL (the participants read by every event, launch writing its participants'
# and actions' rows three times, notices and audit): about 37 lifecycles/s and 700
# decisions/s on two cores, against the 55 and the half of pgbench (about 990) aimed at.
set -euo pipefail
cd "$(dirname "$0")/.."

mode="${1:-lifecycle}"
cargo build --release --bin essk --example load
server_url="$(scripts/ensure-postgres.sh postgres)"
db="essk_bench_load_$$"
export DATABASE_URL="${server_url%/*}/$db"
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
base="http://127.0.0.1:$port"
work="$(mktemp -d -p target bench-load.XXXXXX)"
server=""
cleanup() {
    [ -n "$server" ] && { kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; }
    rm -rf "$work"
    psql "$server_url" -qc "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1 || true
    psql "$server_url" -qc "DROP DATABASE IF EXISTS \"${db}_pgbench\" WITH (FORCE)" >/dev/null 2>&1 || true
}
trap cleanup EXIT

BIND_ADDR="127.0.0.1:$port" STORAGE_DIR="$work/storage" RUST_LOG=warn \
    ANONYMOUS_POSTS_PER_MINUTE=100000 ./target/release/essk serve >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 1 120); do
    curl -fs -o /dev/null "$base/login" && break
    sleep 0.5
done

case "$mode" in
    lifecycle | decisions)
        if [ "$mode" = lifecycle ]; then
            ./target/release/examples/load lifecycle "$base" "${BENCH_SECONDS:-30}" "${WORKERS:-4}"
        else
            ./target/release/examples/load decisions "$base" "${APPROVALS:-100}" "${WORKERS:-4}"
        fi
        kill "$server"; wait "$server" 2>/dev/null || true; server=""
        echo
        echo "pgbench, tpcb-like, 2 clients, ${BENCH_SECONDS:-30} s, on the same server:"
        psql "$server_url" -qc "CREATE DATABASE \"${db}_pgbench\""
        pgbench_url="${server_url%/*}/${db}_pgbench"
        pgbench -q -i -s 10 "$pgbench_url" >/dev/null 2>&1
        pgbench -c 2 -j 2 -T "${BENCH_SECONDS:-30}" -b tpcb-like "$pgbench_url" 2>/dev/null |
            grep -E '^(tps|latency average)'
        ;;
    soak)
        ./target/release/examples/load soak "$base" "${SOAK_SECONDS:-600}" "${WORKERS:-6}" "$server"
        ;;
    *) echo "usage: $0 lifecycle|decisions|soak" >&2; exit 2 ;;
esac
if grep -q ' ERROR ' "$work/server.log"; then
    echo "the server logged errors:" >&2
    grep ' ERROR ' "$work/server.log" | head -20 >&2
    exit 1
fi
