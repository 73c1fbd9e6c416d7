#!/usr/bin/env bash
# Prints the PostgreSQL URL to use for database $1 (default "essk"):
#   1. DATABASE_URL when it is set;
#   2. else the local server on 127.0.0.1:5432 (LOCAL_PG_PORT) when it answers;
#   3. else a private cluster in ./.pg, created and started with the system's initdb/pg_ctl.
set -euo pipefail

db="${1:-essk}"
if [ -n "${DATABASE_URL:-}" ]; then
    echo "$DATABASE_URL"
    exit 0
fi
local_port="${LOCAL_PG_PORT:-5432}"
if pg_isready -q -h 127.0.0.1 -p "$local_port" 2>/dev/null; then
    echo "postgres://postgres@127.0.0.1:$local_port/$db"
    exit 0
fi

dir="$(pwd)/.pg"
port="${PRIVATE_PG_PORT:-54329}"
bindir=""
for candidate in /usr/lib/postgresql/*/bin; do
    [ -x "$candidate/initdb" ] && bindir="$candidate"
done
initdb="${bindir:+$bindir/}initdb"
pg_ctl="${bindir:+$bindir/}pg_ctl"

# initdb refuses to run as root: the cluster then belongs to the postgres user.
as_owner() {
    if [ "$(id -u)" = "0" ]; then
        chown -R postgres:postgres "$dir"
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

if ! pg_isready -q -h 127.0.0.1 -p "$port" 2>/dev/null; then
    mkdir -p "$dir"
    if [ ! -f "$dir/PG_VERSION" ]; then
        as_owner "$initdb" -D "$dir" -A trust -U postgres -E UTF8 --locale=C.UTF-8 >&2
    fi
    as_owner "$pg_ctl" -D "$dir" -l "$dir/server.log" \
        -o "-p $port -k $dir -c listen_addresses=127.0.0.1" -w start >&2
fi
echo "postgres://postgres@127.0.0.1:$port/$db"
