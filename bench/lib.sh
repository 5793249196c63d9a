# Helpers shared by bench/run.sh and bench/headline.sh (sourced; they set `set -euo pipefail`).
#
# Conventions: every database this run creates is named gfb<RUN_ID>_<name> and listed in DBS;
# every process it starts is listed in PIDS; both are removed at exit, processes by pid only.
# Measurements are appended as JSON lines to $WORK/measurements.jsonl for bench/report.py.

ARCADEDB_HTTP="${ARCADEDB_HTTP:-http://127.0.0.1:2480}"
ARCADEDB_BOLT="${ARCADEDB_BOLT:-bolt://127.0.0.1:7687}"
ARCADEDB_ROOT_PASSWORD="${ARCADEDB_ROOT_PASSWORD:-graphferry-test}"
export ARCADEDB_HTTP ARCADEDB_BOLT ARCADEDB_ROOT_PASSWORD
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release"
DBS=()
PIDS=()
NTS_PID=""
NTS_URL=""

log() { printf 'bench: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }'; }

cleanup() {
    local pid db
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
    done
    for db in "${DBS[@]}"; do
        arcadedb_server "drop database $db" >/dev/null 2>&1 || true
    done
}

# bench_setup SIZE: servers, release build, the work folder, this run's id, the exit trap.
bench_setup() {
    RUN_ID="${RUN_ID:-$(date +%H%M%S)$$}"
    WORK="${WORK:-$ROOT/bench/out/$1-$RUN_ID}"
    mkdir -p "$WORK"
    touch "$WORK/measurements.jsonl"
    trap cleanup EXIT
    trap 'exit 130' INT TERM
    command -v /usr/bin/time >/dev/null || die "/usr/bin/time is missing (apt-get install time)"
    "$ROOT/scripts/test-servers.sh" start
    log "building release binaries"
    (cd "$ROOT" && cargo build --release --quiet --bin graphferry --example bench_floor --example make_example_graph \
        && cargo build --release --quiet -p neptune-test-server)
    [[ -f "$WORK/machine.json" ]] || machine_info "$1" >"$WORK/machine.json"
}

machine_info() {
    python3 - "$1" <<'EOF'
import json, os, platform, subprocess, sys, datetime
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
mem = next((int(l.split()[1]) // 1024 for l in open("/proc/meminfo") if l.startswith("MemTotal")), 0)
rustc = subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip()
commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
print(json.dumps({"cpu": cpu, "cores": os.cpu_count(), "memory_mb": mem, "kernel": platform.release(),
                  "rustc": rustc, "commit": commit, "size": sys.argv[1],
                  "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
                  "load_average_at_start": os.getloadavg()[0]}))
EOF
}

arcadedb_server() {
    curl -sSf -u "root:$ARCADEDB_ROOT_PASSWORD" -H 'content-type: application/json' \
        -d "{\"command\": \"$1\"}" "$ARCADEDB_HTTP/api/v1/server"
}

# fresh_db_name NAME: a database name of this run (the Neptune test server creates it itself).
fresh_db_name() { printf 'gfb%s_%s_%s' "$RUN_ID" "$1" "$((${#DBS[@]} + 1))"; }

# fresh_db NAME: creates an empty ArcadeDB database; its name is left in $DB.
fresh_db() {
    DB="$(fresh_db_name "$1")"
    DBS+=("$DB")
    arcadedb_server "create database $DB" >/dev/null
}

drop_db() {
    arcadedb_server "drop database $1" >/dev/null 2>&1 || true
}

# cypher_count DB QUERY: the `c` column of a Cypher count run on ArcadeDB over HTTP.
cypher_count() {
    curl -sSf -u "root:$ARCADEDB_ROOT_PASSWORD" -H 'content-type: application/json' \
        -d "{\"language\": \"cypher\", \"command\": \"$2\"}" "$ARCADEDB_HTTP/api/v1/command/$1" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["result"][0]["c"])'
}

check_counts() { # WHAT GOT_NODES GOT_RELS WANT_NODES WANT_RELS
    if [[ "$2" != "$4" || "$3" != "$5" ]]; then
        die "count check failed for $1: $2 nodes / $3 relationships, expected $4 / $5"
    fi
}

check_bolt_counts() { # DB NODES RELS
    check_counts "$1" "$(cypher_count "$1" 'MATCH (n) RETURN count(n) AS c')" \
        "$(cypher_count "$1" 'MATCH ()-[r]->() RETURN count(r) AS c')" "$2" "$3"
}

check_file_counts() { # PATH NODES RELS
    check_counts "$1" "$(grep -c '^{"kind":"node"' "$1" || true)" \
        "$(grep -c '^{"kind":"relationship"' "$1" || true)" "$2" "$3"
}

# neptune_count URL QUERY: the `c` column, through the Neptune test server's own endpoint.
neptune_count() {
    curl -sSf "$1/openCypher" --data-urlencode "query=$2" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["results"][0]["c"])'
}

check_neptune_counts() { # URL NODES RELS
    check_counts "$1" "$(neptune_count "$1" 'MATCH (n) RETURN count(n) AS c')" \
        "$(neptune_count "$1" 'MATCH ()-[r]->() RETURN count(r) AS c')" "$2" "$3"
}

# start_nts NAME DATABASE [FLAGS...]: a Neptune test server of this run on a free port, release
# build; sets NTS_URL and NTS_PID.
start_nts() {
    local name="$1" db="$2" out
    shift 2
    out="$WORK/nts-$name-$db.out"
    DBS+=("$db")
    NTS_DB="$db"
    RUST_LOG=neptune_test_server=warn "$BIN/neptune-test-server" --listen 127.0.0.1:0 --database "$db" \
        --arcadedb-url "$ARCADEDB_HTTP" --arcadedb-password "$ARCADEDB_ROOT_PASSWORD" "$@" \
        </dev/null >"$out" 2>"$WORK/nts-$name-$db.log" &
    NTS_PID=$!
    PIDS+=("$NTS_PID")
    local i
    for ((i = 0; i < 100; i++)); do
        if grep -q '^listening on ' "$out" 2>/dev/null; then
            NTS_URL="$(sed -n 's/^listening on //p' "$out" | head -n1)"
            return
        fi
        kill -0 "$NTS_PID" 2>/dev/null || break
        sleep 0.1
    done
    die "neptune-test-server did not start; see $WORK/nts-$name-$db.log"
}

stop_nts() {
    [[ -n "$NTS_PID" ]] || return 0
    kill "$NTS_PID" 2>/dev/null && wait "$NTS_PID" 2>/dev/null || true
    drop_db "$NTS_DB"
    NTS_PID=""
}

nts_counters() { curl -sSf "$1/admin/counters"; }

# check_discard_rows URL RECORDS: a discard-mode server counted every row as written, no errors.
check_discard_rows() {
    local got
    got="$(nts_counters "$1" | python3 -c 'import json,sys; c=json.load(sys.stdin); print(c["rows_written"] if not c["errors"] else -1)')"
    [[ "$got" == "$2" ]] || die "count check failed for $1: the server counted $got rows (-1: errors), expected $2"
}

# ---- graphferry config --------------------------------------------------------------------------
cfg_base() { echo "targets:" >"$1"; }
cfg_file() { printf '  %s:\n    database: file\n    path: %s\n' "$1" "$2"; }
cfg_bolt() {
    printf '  %s:\n    database: neo4j\n    uri: %s\n    username: root\n    password: %s\n    database_name: %s\n' \
        "$1" "$ARCADEDB_BOLT" "$ARCADEDB_ROOT_PASSWORD" "$2"
}
cfg_neptune() { printf '  %s:\n    database: neptune\n    mode: database\n    host: %s\n    iam_auth: false\n' "$1" "$2"; }

# ---- the two Neo4j 5 test servers (bench/neo4j.sh, bench/journal.sh) ---------------------------
# neo4j_tool URI wipe|count: bench/neo4j_tool.py through the official driver in the nodestream
# 0.16 venv; check_neo4j_counts URI NODES RELS; cfg_neo4j NAME URI: a config entry.
neo4j_tool() { "${NS16_VENV:-$ROOT/.test-servers/nodestream-venv}/bin/python" "$ROOT/bench/neo4j_tool.py" "$@"; }
check_neo4j_counts() {
    local got
    read -r -a got <<<"$(neo4j_tool "$1" count)"
    check_counts "$1" "${got[0]}" "${got[1]}" "$2" "$3"
}
cfg_neo4j() {
    printf '  %s:\n    database: neo4j\n    uri: %s\n    username: neo4j\n    password: %s\n    database_name: neo4j\n' \
        "$1" "$2" "${NEO4J_PASSWORD:-graphferry-test}"
}

# ---- measuring ----------------------------------------------------------------------------------
# record NAME KIND RECORDS SECONDS RSS_KB [EXTRA_JSON]: one measurement line.
record() {
    printf '{"name": "%s", "kind": "%s", "records": %s, "seconds": %s, "peak_rss_kb": %s, "extra": %s}\n' \
        "$1" "$2" "$3" "$4" "$5" "${6:-null}" >>"$WORK/measurements.jsonl"
}

rss_of() { sed -n 's/^\s*Maximum resident set size (kbytes): //p' "$1"; }

# measure NAME RECORDS KIND CMD...: the floor binary; its own JSON gives the timed phase.
measure() {
    local name="$1" records="$2" kind="$3" out
    shift 3
    out="$(/usr/bin/time -v -o "$WORK/time.txt" "$@")" || die "$name failed: $out"
    local secs
    secs="$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["seconds"])' "$out")"
    record "$name" "$kind" "$records" "$secs" "$(rss_of "$WORK/time.txt")" "$out"
    log "$name: $secs s"
}

# floor_write NAME MODE BATCH CONCURRENCY RECORDS KIND SINK: a bare write from the Bolt source;
# prints its seconds.
floor_write() {
    local name="$1" mode="$2" batch="$3" concurrency="$4" records="$5" kind="$6" sink="$7"
    measure "$name" "$records" "$kind" "$BIN/examples/bench_floor" write --from "bolt:$SRC" --sink "$sink" \
        --batch "$batch" --mode "$mode" --concurrency "$concurrency"
    python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).read().splitlines()[-1])["seconds"])' \
        "$WORK/measurements.jsonl"
}

# gf_copy NAME RECORDS CONFIG ARGS...: a graphferry copy, wall time of the whole process.
gf_copy() {
    local name="$1" records="$2" config="$3" started secs summary
    shift 3
    started=$(now)
    if ! summary="$(/usr/bin/time -v -o "$WORK/time.txt" "$BIN/graphferry" --config "$config" --json -q copy "$@" 2>"$WORK/gf.err")"; then
        # A failed copy is a result too: recorded (with its error) and reported, not hidden.
        local err
        err="$(tail -c 400 "$WORK/gf.err" | python3 -c 'import json,sys; print(json.dumps(sys.stdin.read()))')"
        record "$name" graphferry-failed "$records" "$(elapsed "$started")" "$(rss_of "$WORK/time.txt")" "{\"error\": $err}"
        log "$name FAILED: $(tail -c 300 "$WORK/gf.err")"
        return 1
    fi
    secs="$(elapsed "$started")"
    record "$name" graphferry "$records" "$secs" "$(rss_of "$WORK/time.txt")" "$(printf '%s' "$summary" | tail -n1)"
    log "$name: $secs s"
}
