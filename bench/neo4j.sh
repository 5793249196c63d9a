#!/usr/bin/env bash
# Neo4j 5 at the small size (issue 15): the two embedded Neo4j 5.26 test servers as source and
# target, with a bare-client floor on Neo4j, and nodestream 0.16's Neo4j -> Neo4j copy beside
# graphferry's. bench/run.sh calls it at size small; it also runs alone.
#
# Usage: bench/neo4j.sh [--runs N] [--work DIR] [--no-nodestream]
#   NEO4J_SOURCE (bolt://127.0.0.1:7688), NEO4J_TARGET (bolt://127.0.0.1:7689), user neo4j,
#   NEO4J_PASSWORD (graphferry-test), database neo4j. Both are WIPED (nodes, constraints, indexes).
#
# Times, each RUNS times, under /usr/bin/time -v:
#   floor-read-neo4j        bare neo4rs streamed read of the synthetic graph from the source
#   floor-write-neo4j-merge bare neo4rs UNWIND upsert into the target (1 × 5000, the Bolt default)
#   gf-neo4j-neo4j-merge, gf-neo4j-neptune-merge (discard test server), gf-neo4j-file
# then, unless --no-nodestream: the headline graph (20k Person + 20k KNOWS, seed 8) in the source,
# copied into the target by graphferry (defaults) and by nodestream 0.16 (`nodestream copy`, which
# copies every type when given no --node/--relationship; 0.16 has no --all), default and tuned,
# counted in the target after each run.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUNS=3
NODESTREAM=1
while (($#)); do
    case "$1" in
    --runs) RUNS="$2"; shift 2 ;;
    --work) WORK="$2"; shift 2 ;;
    --no-nodestream) NODESTREAM=0; shift ;;
    *) echo "usage: $0 [--runs N] [--work DIR] [--no-nodestream]" >&2; exit 2 ;;
    esac
done
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
bench_setup small

NEO4J_SOURCE="${NEO4J_SOURCE:-bolt://127.0.0.1:7688}"
NEO4J_TARGET="${NEO4J_TARGET:-bolt://127.0.0.1:7689}"
NEO4J_PASSWORD="${NEO4J_PASSWORD:-graphferry-test}"
export NEO4J_PASSWORD
# nodestream 0.16 with its Neo4j plugin, and the Neo4j driver the helper uses.
NS_VENV="${NS16_VENV:-$ROOT/.test-servers/nodestream-venv}"
[[ -x "$NS_VENV/bin/nodestream" ]] || die "nodestream 0.16 venv missing: $NS_VENV"
NS_VERSION="$("$NS_VENV/bin/pip" show nodestream 2>/dev/null | sed -n 's/^Version: //p')"
# floor_env URI CMD...: the floor binary pointed at a Neo4j server (env, so /usr/bin/time can run it).
floor_env() { env FLOOR_BOLT_URI="$1" FLOOR_BOLT_USER=neo4j FLOOR_BOLT_PASSWORD="$NEO4J_PASSWORD" "${@:2}"; }

NODES=20000
RELS=20000
# nodestream 0.16 copies Neo4j -> Neo4j at about 100 records/s here (slowing as the target fills):
# a full copy would take many minutes per run, so each run is cut at NS_TIMEOUT seconds and its
# rate is what the target holds by then over the time taken.
NS_TIMEOUT="${NS_TIMEOUT:-100}"
RECORDS=$((NODES + RELS))
[[ -f "$WORK/graph.jsonl" ]] ||
    "$BIN/examples/make_example_graph" --nodes "$NODES" --relationships "$RELS" --out "$WORK/graph.jsonl" 2>/dev/null

neo4j_tool "$NEO4J_SOURCE" wipe
neo4j_tool "$NEO4J_TARGET" wipe
c="$WORK/neo4j.yaml"
cfg_base "$c"
cfg_file dump "$WORK/graph.jsonl" >>"$c"
cfg_neo4j src "$NEO4J_SOURCE" >>"$c"
started=$(now)
"$BIN/graphferry" --config "$c" -q copy --source dump --target src --all --mode create >/dev/null
log "loaded into Neo4j $NEO4J_SOURCE in $(elapsed "$started") s"
check_neo4j_counts "$NEO4J_SOURCE" "$NODES" "$RELS"

for i in $(seq "$RUNS"); do
    measure floor-read-neo4j "$RECORDS" floor env FLOOR_BOLT_URI="$NEO4J_SOURCE" FLOOR_BOLT_USER=neo4j FLOOR_BOLT_PASSWORD="$NEO4J_PASSWORD" "$BIN/examples/bench_floor" read-bolt --db neo4j
    neo4j_tool "$NEO4J_TARGET" wipe
    measure floor-write-neo4j-merge "$RECORDS" floor env FLOOR_BOLT_URI="$NEO4J_TARGET" FLOOR_BOLT_USER=neo4j FLOOR_BOLT_PASSWORD="$NEO4J_PASSWORD" FLOOR_BOLT_SOURCE_URI="$NEO4J_SOURCE" \
        "$BIN/examples/bench_floor" write --from bolt:neo4j --sink bolt:neo4j --batch 5000 --mode merge --concurrency 1
    check_neo4j_counts "$NEO4J_TARGET" "$NODES" "$RELS"
done

for i in $(seq "$RUNS"); do
    cfg_base "$c"
    cfg_neo4j src "$NEO4J_SOURCE" >>"$c"
    cfg_neo4j dst "$NEO4J_TARGET" >>"$c"
    cfg_file out "$WORK/out.jsonl" >>"$c"
    neo4j_tool "$NEO4J_TARGET" wipe
    gf_copy gf-neo4j-neo4j-merge "$RECORDS" "$c" --source src --target dst --all &&
        check_neo4j_counts "$NEO4J_TARGET" "$NODES" "$RELS"
    rm -f "$WORK/out.jsonl"
    gf_copy gf-neo4j-file "$RECORDS" "$c" --source src --target out --all &&
        check_file_counts "$WORK/out.jsonl" "$NODES" "$RELS"
    rm -f "$WORK/out.jsonl"
    start_nts gfn4j "$(fresh_db_name gfn4j)" --discard
    cfg_neptune nep "$NTS_URL" >>"$c"
    gf_copy gf-neo4j-neptune-merge "$RECORDS" "$c" --source src --target nep --all --mode merge &&
        check_discard_rows "$NTS_URL" "$RECORDS"
    stop_nts
done
((NODESTREAM)) || exit 0

# ---- graphferry and nodestream 0.16, Neo4j -> Neo4j, the headline graph ----------------------
neo4j_tool "$NEO4J_SOURCE" wipe
floor_env "$NEO4J_SOURCE" "$BIN/examples/bench_floor" load-headline --db neo4j --nodes "$NODES" --rels "$RELS" >/dev/null
check_neo4j_counts "$NEO4J_SOURCE" "$NODES" "$RELS"
NS="$WORK/nodestream-neo4j"
mkdir -p "$NS/pipelines"
cp "$ROOT/bench/headline-people.yaml" "$NS/pipelines/people.yaml"
cat >"$NS/nodestream.yaml" <<EOF2
scopes:
  default:
    pipelines:
      - path: pipelines/people.yaml
targets:
  src:
    database: neo4j
    uri: $NEO4J_SOURCE
    username: neo4j
    password: $NEO4J_PASSWORD
    database_name: neo4j
  dst:
    database: neo4j
    uri: $NEO4J_TARGET
    username: neo4j
    password: $NEO4J_PASSWORD
    database_name: neo4j
EOF2
cfg_base "$c"
cfg_neo4j src "$NEO4J_SOURCE" >>"$c"
cfg_neo4j dst "$NEO4J_TARGET" >>"$c"
for tool in graphferry nodestream-default nodestream-tuned; do
    for i in $(seq "$RUNS"); do
        neo4j_tool "$NEO4J_TARGET" wipe
        rc=0
        started=$(now)
        case "$tool" in
        graphferry)
            /usr/bin/time -v -o "$WORK/time.txt" "$BIN/graphferry" --config "$c" --json -q \
                copy --source src --target dst --all >"$WORK/tool.out" 2>"$WORK/tool.err" || rc=$?
            ;;
        nodestream-*)
            extra=()
            [[ "$tool" == nodestream-tuned ]] && extra=(--concurrency-limit 4 --flush-concurrency 4 --batch-size 1000)
            (cd "$NS" && timeout "$NS_TIMEOUT" /usr/bin/time -v -o "$WORK/time.txt" "$NS_VENV/bin/nodestream" copy -p nodestream.yaml \
                --from src --to dst "${extra[@]}" >"$WORK/tool.out" 2>"$WORK/tool.err") || rc=$?
            ;;
        esac
        secs="$(elapsed "$started")"
        read -r sn sr <<<"$(neo4j_tool "$NEO4J_TARGET" count)"
        errors="$(tail -c 600 "$WORK/tool.err" | python3 -c 'import json,sys; print(json.dumps(sys.stdin.read()))')"
        record "neo4j-headline-$tool" headline "$RECORDS" "$secs" "$(rss_of "$WORK/time.txt")" \
            "{\"exit\": $rc, \"stored\": {\"nodes\": $sn, \"relationships\": $sr}, \"stderr_tail\": $errors, \"nodestream\": \"$NS_VERSION\"}"
        log "neo4j headline $tool: $secs s (exit $rc, stored $sn / $sr)"
    done
done
