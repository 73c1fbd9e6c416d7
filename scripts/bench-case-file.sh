#!/usr/bin/env bash
# Peak memory of the release server while it receives a 1 GB upload and while it streams the
# archive of that 1 GB case file: `make bench-case-file`. Each peak is read from the kernel's
# high-water mark (VmHWM), reset before each phase, and compared with the idle RSS.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --release --bin essk
server_url="$(scripts/ensure-postgres.sh postgres)"
db="essk_bench_$(date +%s)_$$"
export DATABASE_URL="${server_url%/*}/$db"
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
base="http://127.0.0.1:$port"
work="$(mktemp -d -p target bench-case-file.XXXXXX)"
big="target/bench-1GiB.bin"
[ -f "$big" ] || head -c 1073741824 /dev/urandom >"$big"

BIND_ADDR="127.0.0.1:$port" STORAGE_DIR="$work/storage" MAX_UPLOAD_BYTES=2147483648 \
    RUST_LOG=warn ./target/release/essk serve >"$work/server.log" 2>&1 &
server=$!
cleanup() {
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
    rm -rf "$work"
    psql "$server_url" -qc "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1 || true
}
trap cleanup EXIT
for _ in $(seq 1 120); do
    curl -fs -o /dev/null "$base/login" && break
    sleep 0.5
done

kib() { awk -v key="$1:" '$1 == key { print $2 }' "/proc/$server/status"; }
reset_peak() { echo 5 >"/proc/$server/clear_refs"; }
web() { curl -fsS -b "$work/cookies" -c "$work/cookies" -H "Origin: $base" "$@"; }

web -o /dev/null -d login=rso -d password=demo1234 "$base/login"
route_id="$(psql "$DATABASE_URL" -Atc "SELECT id FROM routes ORDER BY id LIMIT 1")"
location="$(web -o /dev/null -w '%{redirect_url}' --data-urlencode "route_id=$route_id" \
    --data-urlencode "name=Большое дело" --data-urlencode "subject=Проверка памяти" \
    --data-urlencode "works_address=Санкт-Петербург" --data-urlencode "network_kind=Теплоснабжение" \
    "$base/approvals")"
id="$(basename "$(dirname "$location")")"
folder_id="$(psql "$DATABASE_URL" -Atc \
    "SELECT id FROM approval_folders WHERE approval_id = $id ORDER BY position LIMIT 1")"

sleep 1
idle="$(kib VmRSS)"
reset_peak
start=$(date +%s.%N)
web -o /dev/null -F "files=@$big;filename=Большой файл.bin" \
    "$base/approvals/$id/folders/$folder_id/documents"
upload_seconds=$(echo "$(date +%s.%N) - $start" | bc)
upload_peak="$(kib VmHWM)"

reset_peak
start=$(date +%s.%N)
archive_bytes="$(web -o /dev/null -w '%{size_download}' "$base/approvals/$id/archive")"
archive_seconds=$(echo "$(date +%s.%N) - $start" | bc)
archive_peak="$(kib VmHWM)"

mb() { echo "scale=1; $1 / 1024" | bc; }
echo "idle RSS:                 $(mb "$idle") MB"
echo "upload of 1 GiB:          peak $(mb "$upload_peak") MB, +$(mb $((upload_peak - idle))) MB over idle, ${upload_seconds} s"
echo "archive of the 1 GiB case: peak $(mb "$archive_peak") MB, +$(mb $((archive_peak - idle))) MB over idle, ${archive_seconds} s, $archive_bytes bytes"
limit=$((64 * 1024))
if [ $((upload_peak - idle)) -ge $limit ] || [ $((archive_peak - idle)) -ge $limit ]; then
    echo "over the 64 MB budget" >&2
    exit 1
fi
