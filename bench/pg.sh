#!/usr/bin/env bash
# The PostgreSQL step of the benchmarks (issue 16): the shop schema scaled to ~1M rows
# (bench/pg_shop_rows.sql), copied PostgreSQL -> dump and PostgreSQL -> Bolt (ArcadeDB) by
# graphferry, side by side with
#   floor-read-*   tokio-postgres alone reading every row (examples/pg_floor.rs), three ways:
#                  keyset pages (what graphferry does), one streamed SELECT per table, binary COPY;
#   floor-write    a bare Bolt client writing the same records (examples/bench_floor.rs, from the
#                  dump graphferry wrote; create mode, 1 batch of 5000 in flight);
#   guide          the way the PostgreSQL-to-graph guides do it by hand (bench/pg_guide.py:
#                  psycopg pages of LIMIT 1000 OFFSET n, one UNWIND ... CREATE per page, through
#                  the official neo4j driver), into a fresh ArcadeDB database.
# Each under /usr/bin/time -v (peak RSS), RUNS times. Output: bench/out/pg-<run>/ and
# bench/RESULTS-pg.md.
#
# Usage: bench/pg.sh [--scale S] [--runs N] [--no-guide]   (S = 1: 1M rows; 0.1: 100k)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SCALE=1
RUNS=1
GUIDE=1
while (($#)); do
    case "$1" in
    --scale) SCALE="$2"; shift 2 ;;
    --runs) RUNS="$2"; shift 2 ;;
    --no-guide) GUIDE=0; shift ;;
    *) echo "usage: $0 [--scale S] [--runs N] [--no-guide]" >&2; exit 2 ;;
    esac
done

# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
RUN_ID="${RUN_ID:-$(date +%H%M%S)$$}"
WORK="$ROOT/bench/out/pg-$RUN_ID"
mkdir -p "$WORK"
touch "$WORK/measurements.jsonl"
PG_ADMIN="${PG_TEST_URL:-postgres://postgres:graphferry-test@127.0.0.1:54329/postgres}"
PG_DB="gfb${RUN_ID}_shop"
PG_URL="${PG_ADMIN%/*}/$PG_DB"
PSQL="$(ls -d /usr/lib/postgresql/*/bin | sort -t/ -k4 -n -r | head -n1)/psql"
psql_admin() { "$PSQL" -v ON_ERROR_STOP=1 -q "$PG_ADMIN" "$@"; }
pg_cleanup() {
    cleanup
    psql_admin -c "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null 2>&1 || true
}
trap pg_cleanup EXIT
trap 'exit 130' INT TERM

"$ROOT/scripts/test-servers.sh" start
log "building release binaries"
(cd "$ROOT" && cargo build --release --quiet --bin graphferry --example pg_floor --example bench_floor)
[[ -f "$WORK/machine.json" ]] || machine_info "pg-$SCALE" >"$WORK/machine.json"

log "loading the shop at scale $SCALE into PostgreSQL database $PG_DB"
psql_admin -c "CREATE DATABASE $PG_DB" >/dev/null
"$PSQL" -v ON_ERROR_STOP=1 -q "$PG_URL" -f "$ROOT/tests/fixtures/postgres/shop.sql" >/dev/null
"$PSQL" -v ON_ERROR_STOP=1 -q -v scale="$SCALE" "$PG_URL" -f "$ROOT/bench/pg_shop_rows.sql" >/dev/null
ROWS="$("$PSQL" -tA "$PG_URL" -c "SELECT (SELECT count(*) FROM customers) + (SELECT count(*) FROM addresses) +
    (SELECT count(*) FROM products) + (SELECT count(*) FROM orders) + (SELECT count(*) FROM order_items)")"
log "$ROWS rows in the five large tables"

if ((GUIDE)); then
    GUIDE_VENV="$ROOT/.bench/pg-guide-venv"
    if [[ ! -x "$GUIDE_VENV/bin/python" ]]; then
        log "installing psycopg and the neo4j driver into $GUIDE_VENV"
        python3 -m venv "$GUIDE_VENV"
        "$GUIDE_VENV/bin/pip" install --quiet --disable-pip-version-check "psycopg[binary]==3.3.9" "neo4j==6.4.1"
    fi
fi

CFG="$WORK/nodestream.yaml"
# The inferred mapping with the JSON columns read as text: Neo4j stores no maps (README,
# "PostgreSQL as a source"); the same mapping for both copies, so they copy the same records.
MAPPING="$WORK/mapping.yaml"
python3 - "$ROOT/tests/fixtures/postgres/shop.mapping.yaml" "$MAPPING" "$WORK/floor-mapping.yaml" <<'PY'
import sys
text = open(sys.argv[1]).read()
marker = "    price: price\n- schema: public\n  table: warehouses\n"
assert marker in text, "the fixture's TypeSample entry moved"
open(sys.argv[2], "w").write(text.replace(marker, "    price: price\n  cast:\n    doc: text\n    doc_json: text\n" + marker[17:]))
# The Bolt write floor sends the dump's JSON as is, which has no temporal or byte values: its
# records come from a copy with the temporal columns as text and without the 2 TypeSample rows.
start = text.index("- schema: public\n  table: type_samples\n")
end = text.index("- schema: public\n  table: warehouses\n")
text = text[:start] + text[end:]
for column, nxt in [("created_at", "orders"), ("placed_on", "products")]:
    old = f"    {column}: {column}\n- schema: public\n  table: {nxt}\n"
    assert old in text, column
    text = text.replace(old, f"    {column}: {column}\n  cast:\n    {column}: text\n- schema: public\n  table: {nxt}\n")
open(sys.argv[3], "w").write(text)
PY
for ((run = 1; run <= RUNS; run++)); do
    log "run $run of $RUNS"
    for mode in keyset stream copy; do
        measure "floor-read-$mode" "$ROWS" floor "$BIN/examples/pg_floor" "$PG_URL" "$mode"
    done
    fresh_db pg
    BOLT_DB="$DB"
    { echo "targets:"; printf '  pg:\n    database: postgres\n    uri: %s\n' "$PG_URL"
      cfg_file dump "$WORK/pg.jsonl"; cfg_bolt bolt "$BOLT_DB"; } >"$CFG"
    rm -f "$WORK/pg.jsonl"
    gf_copy pg-to-file "$ROWS" "$CFG" --source pg --target dump --all --mapping "$MAPPING"
    NODES="$(grep -c '^{"kind":"node"' "$WORK/pg.jsonl")"
    RELS="$(grep -c '^{"kind":"relationship"' "$WORK/pg.jsonl")"
    log "the copy holds $NODES nodes and $RELS relationships"
    gf_copy pg-to-bolt "$((NODES + RELS))" "$CFG" --source pg --target bolt --all --mapping "$MAPPING"
    check_bolt_counts "$BOLT_DB" "$NODES" "$RELS"
    drop_db "$BOLT_DB"
    rm -f "$WORK/floor.jsonl"
    { echo "targets:"; printf '  pg:\n    database: postgres\n    uri: %s\n' "$PG_URL"
      cfg_file floor "$WORK/floor.jsonl"; } >"$WORK/floor.yaml"
    "$BIN/graphferry" --config "$WORK/floor.yaml" -q copy --source pg --target floor --all \
        --mapping "$WORK/floor-mapping.yaml" >/dev/null
    FLOOR_RECORDS="$(grep -c '^{"kind":"[nr]' "$WORK/floor.jsonl")"
    fresh_db floor
    measure floor-write-bolt "$FLOOR_RECORDS" floor "$BIN/examples/bench_floor" write --from "file:$WORK/floor.jsonl" \
        --sink "bolt:$DB" --batch 5000 --mode create --concurrency 1
    drop_db "$DB"
    if ((GUIDE)); then
        fresh_db guide
        measure guide-pg-to-bolt "$ROWS" guide env NEO4J_PASSWORD="$ARCADEDB_ROOT_PASSWORD" \
            "$GUIDE_VENV/bin/python" "$ROOT/bench/pg_guide.py" "$PG_URL" "$ARCADEDB_BOLT" root "$DB"
        drop_db "$DB"
    fi
done

python3 "$ROOT/bench/pg_report.py" "$WORK" "$ROOT/bench/RESULTS-pg.md" "$SCALE"
