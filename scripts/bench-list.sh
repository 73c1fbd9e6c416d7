#!/usr/bin/env bash
# The «Согласования» list under load: `make bench-list`. Fills a fresh database with 100 000
# approvals (benches/list_fill.sql), starts the release server and, as the ceiling, a bare
# axum + sqlx server running only the list's queries (examples/list_ceiling.rs), and measures
# both with wrk: the first page and a filtered page, for a participant user in every
# approval (КГА) and for one in a hundredth of them (owner-rare).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v wrk >/dev/null; then
    [ "$(id -u)" = 0 ] || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wrk >/dev/null
fi
cargo build --release --bin essk --example list_ceiling
server_url="$(scripts/ensure-postgres.sh postgres)"
db="essk_bench_list_$$"
export DATABASE_URL="${server_url%/*}/$db"
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
port="$(free_port)"
base="http://127.0.0.1:$port"
work="$(mktemp -d -p target bench-list.XXXXXX)"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
    rm -rf "$work"
    [ -n "${KEEP_BENCH_DB:-}" ] ||
        psql "$server_url" -qc "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1 || true
}
trap cleanup EXIT

BIND_ADDR="127.0.0.1:$port" STORAGE_DIR="$work/storage" RUST_LOG=warn \
    ./target/release/essk serve >"$work/server.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 120); do
    curl -fs -o /dev/null "$base/login" && break
    sleep 0.5
done
start=$(date +%s)
psql "$DATABASE_URL" -q -v ON_ERROR_STOP=1 -f benches/list_fill.sql
echo "100 000 согласований созданы за $(( $(date +%s) - start )) с"

ceiling_ports=()
for login in kga owner-rare; do
    ceiling_ports+=("$(free_port)")
    ./target/release/examples/list_ceiling "$DATABASE_URL" "127.0.0.1:${ceiling_ports[-1]}" "$login" &
    pids+=($!)
done
cookie_of() {
    curl -fsS -c "$work/cookies-$1" -H "Origin: $base" -o /dev/null \
        -d login="$1" -d password=demo1234 "$base/login"
    awk '$6 == "essk_session" { print "essk_session=" $7 }' "$work/cookies-$1"
}
for port_of_ceiling in "${ceiling_ports[@]}"; do
    for _ in $(seq 1 60); do
        curl -fs -o /dev/null "http://127.0.0.1:$port_of_ceiling/first" && break
        sleep 0.5
    done
done

cat >"$work/report.lua" <<'LUA'
done = function(summary, latency, requests)
    io.write(string.format("RESULT %.1f %.2f %.2f\n", summary.requests / (summary.duration / 1e6),
        latency:percentile(50) / 1000, latency:percentile(95) / 1000))
end
LUA
measure() {
    local url="$1" connections="$2"; shift 2
    wrk -t2 -c"$connections" -d"${BENCH_SECONDS:-15}"s -s "$work/report.lua" "$@" "$url" |
        awk '/^RESULT/ { print $2, $3, $4 }'
}
printf '%-56s %12s %10s %10s\n' "" "запросов/с" "p50, мс" "p95, мс"
run_case() {
    local login="$1" ceiling_port="$2" connections="$3" page="$4" path cookie
    case "$page" in
        first) path="/approvals" ;;
        filtered) path="/approvals?q=%D0%B4%D0%BE%D0%BC&status=running" ;;
    esac
    cookie="$(cookie_of "$login")"
    [ -n "$cookie" ] || { echo "login $login failed" >&2; exit 1; }
    curl -fsS -o /dev/null -H "Cookie: $cookie" "$base$path"
    read -r app_rps app_p50 app_p95 < <(measure "$base$path" "$connections" -H "Cookie: $cookie")
    read -r top_rps top_p50 top_p95 < <(measure "http://127.0.0.1:$ceiling_port/$page" "$connections")
    printf '%-56s %12s %10s %10s\n' "$login, $page, $connections соединения, сервер" "$app_rps" "$app_p50" "$app_p95"
    printf '%-56s %12s %10s %10s\n' "$login, $page, $connections соединения, только запросы" "$top_rps" "$top_p50" "$top_p95"
    echo "  доля от потолка: $(echo "scale=2; $app_rps / $top_rps" | bc)"
}
for connections in 2 8; do
    for page in first filtered; do
        run_case kga "${ceiling_ports[0]}" "$connections" "$page"
    done
done
for page in first filtered; do
    run_case owner-rare "${ceiling_ports[1]}" 2 "$page"
done
