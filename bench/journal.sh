#!/usr/bin/env bash
# What the rollback journal costs (issue 19): graphferry's Bolt -> Bolt merge copy of a synthetic
# graph (default 100k nodes + 100k relationships) between the two Neo4j 5 test servers, with the
# journal (the default) and without it (--no-journal), RUNS times each, in two cases:
#   empty  the target is wiped first: the copy finds nothing it could match, so the journal
#          records ids only, with no lookups;
#   full   the target already holds the same graph: every record is looked up first and its
#          before-image journaled, then updated.
# Each copy under /usr/bin/time -v, followed by a count check of the target.
#
# Usage: bench/journal.sh [--runs N] [--nodes N] [--relationships N]
#   NEO4J_SOURCE (bolt://127.0.0.1:7688), NEO4J_TARGET (bolt://127.0.0.1:7689), user neo4j,
#   NEO4J_PASSWORD (graphferry-test), database neo4j. Both are WIPED.
# Prints a Markdown table: median seconds (min-max), records/s, peak RSS, journal size, and the
# journal's overhead (with / without - 1) per case. Work files in bench/out/journal-<run>/.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUNS=3
NODES=100000
RELS=100000
while (($#)); do
    case "$1" in
    --runs) RUNS="$2"; shift 2 ;;
    --nodes) NODES="$2"; shift 2 ;;
    --relationships) RELS="$2"; shift 2 ;;
    *) echo "usage: $0 [--runs N] [--nodes N] [--relationships N]" >&2; exit 2 ;;
    esac
done
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
bench_setup journal

NEO4J_SOURCE="${NEO4J_SOURCE:-bolt://127.0.0.1:7688}"
NEO4J_TARGET="${NEO4J_TARGET:-bolt://127.0.0.1:7689}"
NEO4J_PASSWORD="${NEO4J_PASSWORD:-graphferry-test}"
export NEO4J_PASSWORD

RECORDS=$((NODES + RELS))
[[ -f "$WORK/graph.jsonl" ]] ||
    "$BIN/examples/make_example_graph" --nodes "$NODES" --relationships "$RELS" --out "$WORK/graph.jsonl" 2>/dev/null
c="$WORK/nodestream.yaml"
cfg_base "$c"
cfg_file dump "$WORK/graph.jsonl" >>"$c"
cfg_neo4j src "$NEO4J_SOURCE" >>"$c"
cfg_neo4j dst "$NEO4J_TARGET" >>"$c"
neo4j_tool "$NEO4J_SOURCE" wipe
started=$(now)
"$BIN/graphferry" --config "$c" -q copy --runs-dir "$WORK/runs-load" --source dump --target src --all --mode create --no-journal >/dev/null
log "loaded into Neo4j $NEO4J_SOURCE in $(elapsed "$started") s"
check_neo4j_counts "$NEO4J_SOURCE" "$NODES" "$RELS"

journal_mb() { # RUNS_DIR: the size of the newest run's folder
    du -sk "$1" 2>/dev/null | awk '{printf "%.1f", $1 / 1024}'
}

for i in $(seq "$RUNS"); do
    for journal in on off; do
        flag=()
        [[ $journal == off ]] && flag=(--no-journal)
        runs="$WORK/runs-$journal-$i"
        neo4j_tool "$NEO4J_TARGET" wipe
        gf_copy "empty-journal-$journal" "$RECORDS" "$c" --runs-dir "$runs-empty" --source src --target dst --all "${flag[@]}"
        check_neo4j_counts "$NEO4J_TARGET" "$NODES" "$RELS"
        gf_copy "full-journal-$journal" "$RECORDS" "$c" --runs-dir "$runs-full" --source src --target dst --all "${flag[@]}"
        check_neo4j_counts "$NEO4J_TARGET" "$NODES" "$RELS"
        printf '{"name": "sizes-%s-%s", "empty_mb": %s, "full_mb": %s}\n' "$journal" "$i" \
            "$(journal_mb "$runs-empty")" "$(journal_mb "$runs-full")" >>"$WORK/sizes.jsonl"
    done
done

python3 - "$WORK" "$RECORDS" <<'PY'
import json, statistics, sys
work, records = sys.argv[1], int(sys.argv[2])
rows = [json.loads(l) for l in open(f"{work}/measurements.jsonl")]
sizes = [json.loads(l) for l in open(f"{work}/sizes.jsonl")]
print("| copy | journal | median s (min–max) | records/s | peak RSS MB | run folder MB |")
print("|---|---|---|---|---|---|")
med = {}
for case in ("empty", "full"):
    for journal in ("on", "off"):
        got = [r for r in rows if r["name"] == f"{case}-journal-{journal}" and r["kind"] == "graphferry"]
        if not got:
            print(f"| {case} | {journal} | failed | | | |")
            continue
        secs = [float(r["seconds"]) for r in got]
        m = statistics.median(secs)
        med[(case, journal)] = m
        rss = max(int(r["peak_rss_kb"]) for r in got) // 1024
        mb = statistics.median(float(s[f"{case}_mb"]) for s in sizes if s["name"].startswith(f"sizes-{journal}"))
        print(f"| Neo4j → Neo4j merge, {case} target | {journal} | {m:.2f} ({min(secs):.2f}–{max(secs):.2f}) | {records / m:,.0f} | {rss} | {mb:.1f} |")
print()
for case in ("empty", "full"):
    if (case, "on") in med and (case, "off") in med:
        print(f"- journal overhead, {case} target: {100 * (med[(case, 'on')] / med[(case, 'off')] - 1):+.1f} %")
PY
