#!/usr/bin/env bash
# graphferry's benchmarks against the floor (a bare client), in one reproducible run.
#
# Usage: bench/run.sh [--size small|large|pg] [--runs N] [--no-nodestream] [--file-only]
#   small  20,000 nodes + 20,000 relationships (a few minutes)
#   large  1,000,000 nodes + 2,000,000 relationships (graphferry and the floor only; the floor
#          writes use the batch size and concurrency the small size found best instead of
#          searching, and there is no Bolt floor write: a bare client writing 3M records into
#          ArcadeDB takes longer than every graphferry copy of the run together)
#   pg     the PostgreSQL source: bench/pg.sh (the shop schema at 1M rows -> dump and -> Bolt,
#          its floors and the guides' psycopg script; bench/RESULTS-pg.md), with --runs passed on
#   --file-only  only the file floors and file -> file (no database; quick at any size)
#
# It starts the test servers (scripts/test-servers.sh start), builds release binaries, writes the
# synthetic graph (examples/make_example_graph: several labels and types, strings, ints, floats,
# bools, lists, datetimes, skewed degrees; fixed seed) into a fresh ArcadeDB database through
# graphferry (file -> Bolt, untimed), then times, each RUNS times (median, min, max), under
# /usr/bin/time -v for the peak RSS:
#   floor-read   bare neo4rs streamed read of every node and relationship; bare dump parse
#   floor-write  the same records, pre-read into memory, written by a bare client at the best
#                batch size (1000, 5000) and concurrency (1, 4) found (Bolt, Neptune test server
#                in merge and create mode, file)
#   graphferry   copy Bolt->file, file->Bolt, Bolt->Bolt, Bolt->Neptune (merge, create),
#                file->file, each followed by a count check
# The Neptune sink here is the Neptune test server in --discard mode (decodes, authenticates and
# counts every request, stores nothing): what is timed is the client and the protocol. Its
# real-engine mode stores into ArcadeDB, whose MERGE on a label slows down with every batch
# (minutes at 20k nodes), so it would time ArcadeDB; bench/headline.sh runs it once per tool.
# and then (unless --no-nodestream) bench/headline.sh: graphferry against nodestream 0.15; at size
# small, bench/neo4j.sh: the same against the Neo4j 5 test servers, and nodestream 0.16 Neo4j -> Neo4j.
# Output: bench/results.json and bench/RESULTS.md (written by bench/report.py).
#
# Every database and server process it makes is its own (names carry this run's id) and is
# removed at exit; processes are ended by their pid only.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SIZE=small
RUNS=3
NODESTREAM=1
FILE_ONLY=0
while (($#)); do
    case "$1" in
    --size) SIZE="$2"; shift 2 ;;
    --runs) RUNS="$2"; shift 2 ;;
    --no-nodestream) NODESTREAM=0; shift ;;
    --file-only) FILE_ONLY=1 NODESTREAM=0; shift ;;
    *) echo "usage: $0 [--size small|large|pg] [--runs N] [--no-nodestream] [--file-only]" >&2; exit 2 ;;
    esac
done
if [[ "$SIZE" == pg ]]; then
    exec "$(dirname "${BASH_SOURCE[0]}")/pg.sh" --runs "$RUNS"
fi
# SEARCH: the floor writes try every batch size in BATCHES at 1 and 4 in flight; otherwise they
# use FIXED_<sink>_<mode> ("batch concurrency", the small size's finding in bench/results.json).
case "$SIZE" in
small) NODES=20000 RELS=20000 BATCHES="1000 5000" SEARCH=1 ;;
large) NODES=1000000 RELS=2000000 SEARCH=0 NODESTREAM=0 ;;
*) echo "--size small|large|pg" >&2; exit 2 ;;
esac

# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
bench_setup "$SIZE"

log "graph: $NODES nodes + $RELS relationships (make_example_graph, seed 7)"
"$BIN/examples/make_example_graph" --nodes "$NODES" --relationships "$RELS" --out "$WORK/graph.jsonl" 2>/dev/null
if ((!FILE_ONLY)); then
    fresh_db src
    SRC="$DB"
    cfg_base "$WORK/load.yaml"
    cfg_file dump "$WORK/graph.jsonl" >>"$WORK/load.yaml"
    cfg_bolt src "$SRC" >>"$WORK/load.yaml"
    started=$(now)
    "$BIN/graphferry" --config "$WORK/load.yaml" -q copy --source dump --target src --all --mode create --concurrency 1 >/dev/null
    log "loaded into ArcadeDB database $SRC in $(elapsed "$started") s"
    check_bolt_counts "$SRC" "$NODES" "$RELS"
fi
RECORDS=$((NODES + RELS))

# ---- floor ----------------------------------------------------------------------------------
for i in $(seq "$RUNS"); do
    ((FILE_ONLY)) || measure floor-read-bolt "$RECORDS" floor "$BIN/examples/bench_floor" read-bolt --db "$SRC"
    measure floor-read-file "$RECORDS" floor "$BIN/examples/bench_floor" read-file --path "$WORK/graph.jsonl"
    out="$WORK/floor-out.jsonl"
    measure floor-write-file "$RECORDS" floor "$BIN/examples/bench_floor" write --from "file:$WORK/graph.jsonl" --sink "file:$out"
    rm -f "$out"
done

# The best batch size and concurrency: one run at each candidate (kind "search"), then RUNS runs
# at the fastest.
# make_sink NAME sets SINK to a fresh target: a new Bolt database, or a new Neptune test server
# on a new database.
make_sink() {
    case "$1" in
    bolt) [[ -z "${FW_DB:-}" ]] || drop_db "$FW_DB"; fresh_db fw; FW_DB="$DB"; SINK="bolt:$DB" ;;
    neptune) stop_nts; start_nts fw "$(fresh_db_name fw)" --discard; SINK="neptune:$NTS_URL" ;;
    esac
}
FIXED_neptune_merge="5000 4"
FIXED_neptune_create="1000 4"
floor_writes() { # SINK-KIND MODE
    local name="floor-write-$1-$2" best="" best_s="" b c s i fixed="FIXED_$1_$2"
    if ((SEARCH)); then
        for b in $BATCHES; do
            for c in 1 4; do
                make_sink "$1"
                s="$(floor_write "$name" "$2" "$b" "$c" "$RECORDS" search "$SINK")"
                if [[ -z "$best" ]] || awk -v a="$s" -v b="$best_s" 'BEGIN { exit !(a < b) }'; then best="$b $c" best_s="$s"; fi
            done
        done
        log "$name: best batch and concurrency $best"
    else
        best="${!fixed}"
        log "$name: batch and concurrency $best (found best at size small)"
    fi
    for i in $(seq "$RUNS"); do
        make_sink "$1"
        # shellcheck disable=SC2086 # "batch concurrency"
        floor_write "$name" "$2" $best "$RECORDS" floor "$SINK" >/dev/null
    done
    stop_nts
}
if ((!FILE_ONLY)); then
    ((SEARCH)) && floor_writes bolt merge
    floor_writes neptune merge
    floor_writes neptune create
fi

# ---- graphferry -----------------------------------------------------------------------------
for i in $(seq "$RUNS"); do
    c="$WORK/gf.yaml"
    cfg_base "$c"
    ((FILE_ONLY)) || cfg_bolt src "$SRC" >>"$c"
    cfg_file dump "$WORK/graph.jsonl" >>"$c"
    cfg_file out "$WORK/out.jsonl" >>"$c"
    rm -f "$WORK/out.jsonl"
    gf_copy "gf-file-file" "$RECORDS" "$c" --source dump --target out --all &&
        check_file_counts "$WORK/out.jsonl" "$NODES" "$RELS"
    rm -f "$WORK/out.jsonl"
    ((FILE_ONLY)) && continue

    gf_copy "gf-bolt-file" "$RECORDS" "$c" --source src --target out --all &&
        check_file_counts "$WORK/out.jsonl" "$NODES" "$RELS"
    rm -f "$WORK/out.jsonl"

    fresh_db gfb
    cfg_bolt dst "$DB" >>"$c"
    gf_copy "gf-file-bolt-merge" "$RECORDS" "$c" --source dump --target dst --all &&
        check_bolt_counts "$DB" "$NODES" "$RELS"
    drop_db "$DB"

    cfg_base "$c"
    cfg_bolt src "$SRC" >>"$c"
    fresh_db gfbb
    cfg_bolt dst "$DB" >>"$c"
    gf_copy "gf-bolt-bolt-merge" "$RECORDS" "$c" --source src --target dst --all &&
        check_bolt_counts "$DB" "$NODES" "$RELS"
    drop_db "$DB"

    for mode in merge create; do
        cfg_base "$c"
        cfg_bolt src "$SRC" >>"$c"
        start_nts "gfn$mode" "$(fresh_db_name "gfn$mode")" --discard
        cfg_neptune nep "$NTS_URL" >>"$c"
        gf_copy "gf-bolt-neptune-$mode" "$RECORDS" "$c" --source src --target nep --all --mode "$mode" &&
            check_discard_rows "$NTS_URL" "$RECORDS"
        stop_nts
    done
done

if ((NODESTREAM)); then
    "$ROOT/bench/headline.sh" --work "$WORK" --runs "$RUNS"
fi
# Neo4j 5 (the two embedded test servers), small size only: floors, graphferry Neo4j -> Neo4j,
# Neptune (discard) and file, and nodestream 0.16's Neo4j -> Neo4j copy beside graphferry's.
if [[ "$SIZE" == small ]] && ((!FILE_ONLY)); then
    ns=()
    ((NODESTREAM)) || ns=(--no-nodestream)
    "$ROOT/bench/neo4j.sh" --work "$WORK" --runs "$RUNS" "${ns[@]}"
fi
# The small full run is RESULTS.md; other sizes and file-only runs get their own files.
suffix=""
[[ "$SIZE" == small ]] || suffix="-$SIZE"
((FILE_ONLY)) && suffix="$suffix-file"
python3 "$ROOT/bench/report.py" "$WORK" "$ROOT/bench" "$suffix" >/dev/null
log "done: bench/RESULTS$suffix.md, bench/results$suffix.json (raw measurements in $WORK)"
