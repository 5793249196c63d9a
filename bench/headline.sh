#!/usr/bin/env bash
# The headline comparison of issue 8: graphferry against nodestream 0.15 on the same Bolt ->
# Neptune copy, with the Neptune test server in discard mode and in real-engine mode.
#
# Usage: bench/headline.sh [--runs N] [--work DIR]    (bench/run.sh calls it; it also runs alone)
#        REAL_RUNS=N (default 1) runs per tool in real-engine mode
#
# Data: 20,000 Person {id, name, age, score, tags, active} and 20,000 KNOWS {since} between
# distinct random pairs (examples/bench_floor.rs load-headline, seed 8), loaded as plain Cypher
# into a fresh ArcadeDB database. Each tool copies it with `--all`:
#   graphferry                 defaults (batch 1000, concurrency 4, merge)
#   nodestream (default)       `nodestream copy --all`
#   nodestream (tuned)         `--concurrency-limit 4 --flush-concurrency 4 --batch-size 1000`
# Recorded per run: wall time, peak RSS (/usr/bin/time -v), the server's counters (requests,
# write requests, rows, errors) and, in real-engine mode, the nodes and relationships stored.
# One extra, untimed run per tool in discard mode goes through bench/count_proxy.py to split the
# rows into node rows and relationship rows.
#
# nodestream lives in its own venv (.bench/nodestream-venv, gitignored), installed on first use.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUNS=3
# Real-engine mode stores through ArcadeDB, whose MERGE on a label slows with every batch: one
# run per tool unless asked.
REAL_RUNS="${REAL_RUNS:-1}"
while (($#)); do
    case "$1" in
    --runs) RUNS="$2"; shift 2 ;;
    --work) WORK="$2"; shift 2 ;;
    *) echo "usage: $0 [--runs N] [--work DIR]" >&2; exit 2 ;;
    esac
done
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
bench_setup headline

NODES=20000
RELS=20000
RECORDS=$((NODES + RELS))
VENV="$ROOT/.bench/nodestream-venv"
if [[ ! -x "$VENV/bin/nodestream" ]]; then
    log "installing nodestream 0.15 into $VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check 'nodestream>=0.15,<0.16' \
        nodestream-plugin-neo4j nodestream-plugin-neptune
fi
NODESTREAM_VERSION="$("$VENV/bin/pip" show nodestream 2>/dev/null | sed -n 's/^Version: //p')"
# nodestream's Neptune target signs with boto3: dummy credentials and a region, and no EC2
# metadata lookup (without them it sends nothing and still exits 0).
export AWS_ACCESS_KEY_ID=AKIDBENCHMARK AWS_SECRET_ACCESS_KEY=bench-secret AWS_DEFAULT_REGION=us-east-1
export AWS_EC2_METADATA_DISABLED=true

fresh_db headline
HL="$DB"
started=$(now)
"$BIN/examples/bench_floor" load-headline --db "$HL" --nodes "$NODES" --rels "$RELS" >/dev/null
log "headline graph loaded into $HL in $(elapsed "$started") s"
check_bolt_counts "$HL" "$NODES" "$RELS"

# The nodestream project: the two types and Person's key, which its copy needs.
NS="$WORK/nodestream"
mkdir -p "$NS/pipelines"
cp "$ROOT/bench/headline-people.yaml" "$NS/pipelines/people.yaml"

ns_config() { # NEPTUNE_URL
    cat >"$NS/nodestream.yaml" <<EOF
scopes:
  default:
    pipelines:
      - path: pipelines/people.yaml
targets:
  src:
    database: neo4j
    uri: $ARCADEDB_BOLT
    username: root
    password: $ARCADEDB_ROOT_PASSWORD
    database_name: $HL
  nep:
    database: neptune
    mode: database
    host: $1
    region: us-east-1
EOF
}

gf_config() { # NEPTUNE_URL
    cfg_base "$WORK/headline.yaml"
    cfg_bolt src "$HL" >>"$WORK/headline.yaml"
    cfg_neptune nep "$1" >>"$WORK/headline.yaml"
}

# run_tool TOOL URL: one copy, timed; leaves wall seconds in SECS and peak RSS in RSS.
run_tool() {
    local tool="$1" url="$2" started rc=0
    started=$(now)
    case "$tool" in
    graphferry)
        gf_config "$url"
        /usr/bin/time -v -o "$WORK/time.txt" "$BIN/graphferry" --config "$WORK/headline.yaml" --json -q \
            copy --source src --target nep --all >"$WORK/tool.out" 2>"$WORK/tool.err" || rc=$?
        ;;
    nodestream-default | nodestream-tuned)
        local extra=()
        [[ "$tool" == nodestream-tuned ]] && extra=(--concurrency-limit 4 --flush-concurrency 4 --batch-size 1000)
        ns_config "$url"
        (cd "$NS" && /usr/bin/time -v -o "$WORK/time.txt" "$VENV/bin/nodestream" copy -p nodestream.yaml \
            --from src --to nep --all "${extra[@]}" >"$WORK/tool.out" 2>"$WORK/tool.err") || rc=$?
        ;;
    esac
    SECS="$(elapsed "$started")"
    RSS="$(rss_of "$WORK/time.txt")"
    EXIT="$rc"
}

for mode in discard real; do
    runs="$RUNS"
    [[ "$mode" == real ]] && runs="$REAL_RUNS"
    for tool in graphferry nodestream-default nodestream-tuned; do
        for i in $(seq "$runs"); do
            flags=()
            [[ "$mode" == discard ]] && flags=(--discard)
            start_nts "hl-$mode" "$(fresh_db_name "hl$mode")" "${flags[@]}"
            run_tool "$tool" "$NTS_URL"
            counters="$(nts_counters "$NTS_URL")"
            stored=null
            if [[ "$mode" == real ]]; then
                stored="{\"nodes\": $(neptune_count "$NTS_URL" 'MATCH (n:Person) RETURN count(n) AS c'), \"relationships\": $(neptune_count "$NTS_URL" 'MATCH ()-[r:KNOWS]->() RETURN count(r) AS c')}"
            fi
            stop_nts
            errors="$(tail -c 600 "$WORK/tool.err" | python3 -c 'import json,sys; print(json.dumps(sys.stdin.read()))')"
            record "headline-$mode-$tool" headline "$RECORDS" "$SECS" "$RSS" \
                "{\"exit\": $EXIT, \"counters\": $counters, \"stored\": $stored, \"stderr_tail\": $errors, \"nodestream\": \"$NODESTREAM_VERSION\"}"
            log "headline $mode $tool: $SECS s (exit $EXIT)"
            if [[ "$tool" == graphferry && "$EXIT" != 0 ]]; then
                die "graphferry failed: $(tail -n 5 "$WORK/tool.err")"
            fi
        done
    done
done

# The counting runs: discard mode behind the proxy, once per tool.
for tool in graphferry nodestream-default; do
    start_nts "hl-count" "$(fresh_db_name hlcount)" --discard
    python3 "$ROOT/bench/count_proxy.py" "$NTS_URL" "$WORK/proxy-$tool.json" >"$WORK/proxy.out" 2>"$WORK/proxy.err" &
    proxy=$!
    PIDS+=("$proxy")
    for _ in $(seq 50); do grep -q '^listening on ' "$WORK/proxy.out" && break; sleep 0.1; done
    run_tool "$tool" "$(sed -n 's/^listening on //p' "$WORK/proxy.out")"
    kill "$proxy" 2>/dev/null && wait "$proxy" 2>/dev/null || true
    stop_nts
    record "headline-count-$tool" count "$RECORDS" "$SECS" "$RSS" "$(cat "$WORK/proxy-$tool.json")"
    log "headline count $tool: $(cat "$WORK/proxy-$tool.json")"
done
