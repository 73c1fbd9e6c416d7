# Everyday commands. `make run` serves the product; `make test` runs every check CI runs.

SHELL := /bin/bash
# Builds read the committed query data in .sqlx/, so they need no database.
export SQLX_OFFLINE := true

.PHONY: run test fmt-check clippy deny test-rust test-time-zones e2e sqlx-prepare drop-test-databases

run:
	cargo build --bin essk
	DATABASE_URL="$$(scripts/ensure-postgres.sh essk)" ./target/debug/essk serve

test: fmt-check clippy deny test-rust test-time-zones e2e

fmt-check:
	cargo fmt --all -- --check

clippy:
	cargo clippy --all-targets -- -D warnings

# Licences, bans and sources of every dependency (deny.toml). Advisories are left out: their
# database is not reachable from here. Needs `cargo install cargo-deny` (.ci/run does it).
deny:
	cargo deny check licenses bans sources

# Each test makes its own database on this server and drops nothing: old ones go first.
test-rust: drop-test-databases
	DATABASE_URL="$$(scripts/ensure-postgres.sh essk_test)" cargo test --lib --bins --tests

# The date rules must not depend on the server's time zone.
test-time-zones:
	for tz in UTC Europe/Berlin Asia/Vladivostok; do \
		TZ=$$tz cargo test -q --lib -- domain::schedule domain::dates clock format || exit 1; \
	done

e2e:
	scripts/e2e.sh

drop-test-databases:
	@url="$$(scripts/ensure-postgres.sh postgres)"; \
	for db in $$(psql "$$url" -Atc "SELECT datname FROM pg_database WHERE datname LIKE 'essk\_test\_%' OR datname LIKE 'essk\_e2e\_%'"); do \
		psql "$$url" -qc "DROP DATABASE IF EXISTS \"$$db\" WITH (FORCE)"; \
	done

# Regenerates .sqlx/ after a query changes (needs cargo-sqlx and a migrated database).
sqlx-prepare:
	DATABASE_URL="$$(scripts/ensure-postgres.sh essk_dev)" cargo sqlx prepare -- --all-targets

.PHONY: fuzz bench bench-signatures bench-case-file bench-dates bench-list bench-lifecycle soak

# Fuzzes the signature parser (the samples as seed corpus), the upload file-name handling
# and the list's filter parameters, FUZZ_SECONDS each (60 by default). Needs
# `cargo install cargo-fuzz`; RUSTC_BOOTSTRAP=1 lets the stable toolchain take the flags
# cargo-fuzz passes.
FUZZ_SECONDS ?= 60
fuzz:
	mkdir -p fuzz/corpus/signature_parse fuzz/corpus/file_name fuzz/corpus/list_filter
	cp ../shared/samples/signatures/* fuzz/corpus/signature_parse/
	for target in signature_parse file_name list_filter; do \
		RUSTC_BOOTSTRAP=1 cargo fuzz run $$target fuzz/corpus/$$target -- \
			-max_total_time=$(FUZZ_SECONDS) || exit 1; \
	done

# Microseconds per signature verification: GOST 256 and 512, RSA, ECDSA.
bench-signatures:
	cargo bench --bench signature

# Peak server memory while receiving a 1 GB upload and streaming the archive of that case.
bench-case-file:
	scripts/bench-case-file.sh

# Seconds to refresh the dates of 100 000 running approvals (a database of its own).
bench-dates:
	DATABASE_URL="$$(scripts/ensure-postgres.sh postgres)" cargo bench --bench dates_refresh

bench-list:
	scripts/bench-list.sh

# Whole approvals through the release server's pages (create, documents, launch, eight
# decisions): lifecycles/s, decisions/s, decision latency; pgbench tpcb-like beside it.
bench-lifecycle:
	scripts/bench-load.sh lifecycle
	scripts/bench-load.sh decisions

# Ten minutes of lifecycles, readers of every role and uploads: 5xx count, latency
# percentiles, the server's memory every 30 s (SOAK_SECONDS to change).
soak:
	scripts/bench-load.sh soak

bench: bench-signatures bench-case-file bench-dates bench-list bench-lifecycle
