#!/usr/bin/env bash
# Real servers for graphferry's tests: ArcadeDB (HTTP + Bolt plugin), the Neptune-protocol test
# server (tools/neptune-test-server) backed by ArcadeDB, two embedded Neo4j 5.26 Community
# instances (tools/neo4j-test-server, from Maven Central), one as a source and one as a target,
# and a throwaway PostgreSQL cluster (Debian's packages).
#
# Usage: scripts/test-servers.sh {install|start|stop|status}
#   install  create .test-servers/ (python venv + ArcadeDB and the Neo4j driver from PyPI), build
#            the Neptune server and the Neo4j test server (Maven, JDK 17), and apt-get install
#            postgresql when no server binaries are there
#   start    install if needed, start every server, wait until they answer; a no-op if running
#   stop     stop what `start` started (by pid file; PostgreSQL by pg_ctl); a no-op if nothing runs
#   status   say what runs; exit 0 when all run, 1 otherwise
#
# Conventions other code relies on (tests read the same environment variables):
#   ArcadeDB HTTP         ARCADEDB_HTTP            default http://127.0.0.1:2480
#   ArcadeDB Bolt         ARCADEDB_BOLT            default bolt://127.0.0.1:7687
#   ArcadeDB user         root
#   ArcadeDB password     ARCADEDB_ROOT_PASSWORD   default graphferry-test (throwaway test password)
#   ArcadeDB databases    source, target, neptune  (created at start; root can use all of them)
#   Neptune test server   NEPTUNE_TEST_SERVER_URL  default http://127.0.0.1:8182
#                         plain HTTP, database mode (/openCypher), no IAM, ArcadeDB database `neptune`
#   Neo4j source          NEO4J_SOURCE_BOLT        default bolt://127.0.0.1:7688
#   Neo4j target          NEO4J_TARGET_BOLT        default bolt://127.0.0.1:7689
#   Neo4j user            neo4j (each instance has one user database, `neo4j`)
#   Neo4j password        NEO4J_PASSWORD           default graphferry-test (throwaway test password)
#   PostgreSQL            PG_TEST_URL              default postgres://postgres:graphferry-test@127.0.0.1:54329/postgres
#                         a throwaway cluster in $WORK/pg (initdb + pg_ctl, Debian's PostgreSQL, no
#                         system service); port PG_TEST_PORT (default 54329); superuser `postgres`,
#                         password PG_TEST_PASSWORD (default graphferry-test); tests create and drop
#                         their own databases
# Other knobs:
#   GRAPHFERRY_TEST_SERVERS_DIR   work folder (default <repo>/.test-servers): venv, logs, pids, data
#   NEPTUNE_TEST_SERVER_PROFILE   cargo profile for the Neptune server: dev (default) or release
#   TEST_SERVERS_TIMEOUT          seconds to wait for readiness (default 60; Neo4j gets twice that,
#                                 it takes 20-40 s to start on a busy 2-core machine)
#   NEO4J_HEAP                    -Xmx of each Neo4j instance (default 1g)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WORK="${GRAPHFERRY_TEST_SERVERS_DIR:-$ROOT/.test-servers}"
VENV="$WORK/venv"
ARCADEDB_VERSION="26.10.2.post1"
ARCADEDB_PACKAGE="arcadedb-embedded==$ARCADEDB_VERSION"
# The official Neo4j Python driver: the finalize tests' independent reader (tests/it/py/).
NEO4J_DRIVER_VERSION="6.4.1"
# nodestream and its Neo4j plugin, in a venv of their own (they pin their own neo4j driver): the
# migrations interop test runs nodestream's Neo4j migrator on the same database as graphferry.
NODESTREAM_VENV="$WORK/nodestream-venv"
NODESTREAM_PACKAGES=("nodestream==0.16.2" "nodestream-plugin-neo4j==0.16.0")

ARCADEDB_HTTP="${ARCADEDB_HTTP:-http://127.0.0.1:2480}"
ARCADEDB_BOLT="${ARCADEDB_BOLT:-bolt://127.0.0.1:7687}"
ARCADEDB_ROOT_PASSWORD="${ARCADEDB_ROOT_PASSWORD:-graphferry-test}"
NEPTUNE_TEST_SERVER_URL="${NEPTUNE_TEST_SERVER_URL:-http://127.0.0.1:8182}"
NEPTUNE_TEST_SERVER_PROFILE="${NEPTUNE_TEST_SERVER_PROFILE:-dev}"
TIMEOUT="${TEST_SERVERS_TIMEOUT:-60}"
NEO4J_SOURCE_BOLT="${NEO4J_SOURCE_BOLT:-bolt://127.0.0.1:7688}"
NEO4J_TARGET_BOLT="${NEO4J_TARGET_BOLT:-bolt://127.0.0.1:7689}"
NEO4J_PASSWORD="${NEO4J_PASSWORD:-graphferry-test}"
NEO4J_HEAP="${NEO4J_HEAP:-1g}"
NEO4J_TOOL="$ROOT/tools/neo4j-test-server"
# The Maven repository the Neo4j jars are fetched into and run from, kept with the other servers.
MAVEN_REPO="$WORK/maven/repository"
PG_TEST_PORT="${PG_TEST_PORT:-54329}"
PG_TEST_PASSWORD="${PG_TEST_PASSWORD:-graphferry-test}"

ARCADEDB_PID="$WORK/arcadedb.pid"
ARCADEDB_LOG="$WORK/arcadedb.log"
NEPTUNE_PID="$WORK/neptune-test-server.pid"
NEPTUNE_LOG="$WORK/neptune-test-server.log"
PG_DIR="$WORK/pg"
PG_DATA="$PG_DIR/data"
PG_LOG="$PG_DIR/postgres.log"

log() { printf 'test-servers: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# host_of URL / port_of URL: split "scheme://host:port[/...]"; the servers bind exactly there.
host_of() { local x="${1#*://}"; x="${x%%/*}"; printf '%s' "${x%:*}"; }
port_of() { local x="${1#*://}"; x="${x%%/*}"; printf '%s' "${x##*:}"; }

# A pid file counts only while its process is alive, so a stale file after a crash or reboot
# never blocks `start`.
running_pid() {
    local file="$1" pid
    [[ -f "$file" ]] || return 1
    pid="$(cat "$file")"
    [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 1
    printf '%s' "$pid"
}

arcadedb_ready() {
    curl -sf --max-time 2 -u "root:$ARCADEDB_ROOT_PASSWORD" \
        "$ARCADEDB_HTTP/api/v1/exists/source" 2>/dev/null | grep -q 'true'
}

neptune_ready() {
    curl -sf --max-time 2 "$NEPTUNE_TEST_SERVER_URL/status" >/dev/null 2>&1
}

# neo4j_ready URL: a real Bolt login with the test password and `RETURN 1`, through the official
# driver. The server sets the password only once the DBMS is up, so this passing means ready.
neo4j_ready() {
    [[ -x "$VENV/bin/python" ]] || return 1
    NEO4J_READY_URL="$1" NEO4J_READY_PASSWORD="$NEO4J_PASSWORD" "$VENV/bin/python" - 2>/dev/null <<'PY'
import os, neo4j
with neo4j.GraphDatabase.driver(os.environ["NEO4J_READY_URL"],
        auth=("neo4j", os.environ["NEO4J_READY_PASSWORD"]), connection_timeout=2) as d:
    d.execute_query("RETURN 1", database_="neo4j")
PY
}
neo4j_source_ready() { neo4j_ready "$NEO4J_SOURCE_BOLT"; }
neo4j_target_ready() { neo4j_ready "$NEO4J_TARGET_BOLT"; }

# wait_until NAME CHECK PIDFILE LOG: poll CHECK until it passes; on timeout or early death of the
# process, show the log tail and fail, so CI output says why.
wait_until() {
    local name="$1" check="$2" pidfile="$3" logfile="$4" deadline=$((SECONDS + ${5:-$TIMEOUT}))
    while ! "$check"; do
        if ! running_pid "$pidfile" >/dev/null; then
            log "$name exited during start-up; last log lines ($logfile):"
            tail -n 40 "$logfile" >&2 || true
            exit 1
        fi
        if ((SECONDS >= deadline)); then
            log "$name not ready after ${5:-$TIMEOUT}s; last log lines ($logfile):"
            tail -n 40 "$logfile" >&2 || true
            exit 1
        fi
        sleep 0.5
    done
}

arcadedb_package_dir() {
    "$VENV/bin/python" -c \
        "import importlib.util as u; print(u.find_spec('arcadedb_embedded').submodule_search_locations[0])"
}

# The pinned ArcadeDB version installed in the venv, or nothing. Reads the package metadata
# directly (tens of milliseconds) rather than through pip (half a second, on every start).
installed_arcadedb_version() {
    "$VENV/bin/python" -c \
        "import importlib.metadata as m; print(m.version('arcadedb-embedded'))" 2>/dev/null || true
}

# The pinned Neo4j Python driver installed in the venv, or nothing.
installed_driver_version() {
    "$VENV/bin/python" -c "import importlib.metadata as m; print(m.version('neo4j'))" 2>/dev/null || true
}

# Installs the pinned Neo4j driver (with its dependencies, pure Python) into the venv; a quick
# no-op when that version is there.
install_neo4j_driver() {
    if [[ "$(installed_driver_version)" == "$NEO4J_DRIVER_VERSION" ]]; then
        return
    fi
    log "installing neo4j==$NEO4J_DRIVER_VERSION (the tests' independent Bolt reader)"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "neo4j==$NEO4J_DRIVER_VERSION"
}

# Creates the venv and installs the pinned ArcadeDB and Neo4j driver on a fresh machine; a quick
# no-op when those versions are already there (any other version is replaced).
install_arcadedb() {
    mkdir -p "$WORK"
    if [[ -x "$VENV/bin/python" && "$(installed_arcadedb_version)" == "$ARCADEDB_VERSION" ]]; then
        install_neo4j_driver
        return
    fi
    if [[ ! -x "$VENV/bin/python" ]]; then
        log "creating python venv in $VENV"
        python3 -m venv "$VENV"
    fi
    log "installing $ARCADEDB_PACKAGE (bundles its own Java runtime)"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps "$ARCADEDB_PACKAGE"
    install_neo4j_driver
}

neptune_binary() {
    local dir="${CARGO_TARGET_DIR:-$ROOT/target}"
    if [[ "$NEPTUNE_TEST_SERVER_PROFILE" == "release" ]]; then
        printf '%s/release/neptune-test-server' "$dir"
    else
        printf '%s/debug/neptune-test-server' "$dir"
    fi
}

build_neptune() {
    log "building neptune-test-server (profile $NEPTUNE_TEST_SERVER_PROFILE)"
    (cd "$ROOT" && cargo build --quiet -p neptune-test-server --profile "$NEPTUNE_TEST_SERVER_PROFILE")
}

# The Neo4j test server is built when its jar or run class path is missing or older than its
# sources; otherwise this is a no-op (no Maven start-up on every `start`).
neo4j_built() {
    local jar="$NEO4J_TOOL/target/neo4j-test-server-0.1.0.jar" cp="$NEO4J_TOOL/target/classpath.txt" f
    [[ -f "$jar" && -f "$cp" && -f "$NEO4J_TOOL/target/plugins/apoc-core-5.26.0-core.jar" ]] || return 1
    # The run class path points into the Maven repository it was built with: another work folder
    # (GRAPHFERRY_TEST_SERVERS_DIR) needs a build of its own.
    grep -q "$MAVEN_REPO/" "$cp" || return 1
    for f in "$NEO4J_TOOL/pom.xml" $(find "$NEO4J_TOOL/src" -type f); do
        [[ "$f" -nt "$cp" || "$f" -nt "$jar" ]] && return 1
    done
    return 0
}

build_neo4j() {
    if neo4j_built; then
        return
    fi
    command -v mvn >/dev/null || die "mvn (Maven 3.8+) and a JDK 17 are needed for the Neo4j test server"
    log "building neo4j-test-server (Maven; Neo4j 5.26 + APOC from Maven Central into $MAVEN_REPO)"
    mkdir -p "$MAVEN_REPO"
    (cd "$NEO4J_TOOL" && mvn -q -B -Dmaven.repo.local="$MAVEN_REPO" package)
}

# A quick no-op when the pinned nodestream is there.
install_nodestream() {
    local have
    have="$("$NODESTREAM_VENV/bin/python" -c "import importlib.metadata as m; print(m.version('nodestream'))" 2>/dev/null || true)"
    if [[ "nodestream==$have" == "${NODESTREAM_PACKAGES[0]}" ]]; then
        return
    fi
    [[ -x "$NODESTREAM_VENV/bin/python" ]] || python3 -m venv "$NODESTREAM_VENV"
    log "installing ${NODESTREAM_PACKAGES[*]} into $NODESTREAM_VENV (the migrations interop test)"
    "$NODESTREAM_VENV/bin/python" -m pip install --quiet --disable-pip-version-check "${NODESTREAM_PACKAGES[@]}"
}

cmd_install() {
    install_arcadedb
    install_nodestream
    build_neptune
    build_neo4j
    install_postgres
}

start_arcadedb() {
    local pid
    if pid="$(running_pid "$ARCADEDB_PID")"; then
        log "ArcadeDB already running (pid $pid)"
        wait_until ArcadeDB arcadedb_ready "$ARCADEDB_PID" "$ARCADEDB_LOG"
        return
    fi
    if arcadedb_ready; then
        log "ArcadeDB already answers at $ARCADEDB_HTTP (not started by this script); using it"
        return
    fi
    install_arcadedb
    local pkg data
    pkg="$(arcadedb_package_dir)"
    data="$WORK/arcadedb"
    mkdir -p "$data/databases" "$data/config" "$data/log"
    log "starting ArcadeDB: HTTP $ARCADEDB_HTTP, Bolt $ARCADEDB_BOLT (log $ARCADEDB_LOG)"
    # cd into the root dir: ArcadeDB writes config/ and log/ relative to it.
    (
        cd "$data"
        exec setsid "$pkg/jre/bin/java" -Xmx2g \
            -Darcadedb.server.rootPath="$data" \
            -Darcadedb.server.databaseDirectory="$data/databases" \
            -Darcadedb.server.rootPassword="$ARCADEDB_ROOT_PASSWORD" \
            -Darcadedb.server.defaultDatabases='source[root];target[root];neptune[root]' \
            -Darcadedb.server.httpIncomingHost="$(host_of "$ARCADEDB_HTTP")" \
            -Darcadedb.server.httpIncomingPort="$(port_of "$ARCADEDB_HTTP")" \
            -Darcadedb.server.plugins=Bolt:com.arcadedb.bolt.BoltProtocolPlugin \
            -Darcadedb.bolt.host="$(host_of "$ARCADEDB_BOLT")" \
            -Darcadedb.bolt.port="$(port_of "$ARCADEDB_BOLT")" \
            -cp "$pkg/jars/*" com.arcadedb.server.ArcadeDBServer
    ) </dev/null >"$ARCADEDB_LOG" 2>&1 &
    echo $! >"$ARCADEDB_PID"
    wait_until ArcadeDB arcadedb_ready "$ARCADEDB_PID" "$ARCADEDB_LOG"
    log "ArcadeDB ready"
}

start_neptune() {
    local pid
    if pid="$(running_pid "$NEPTUNE_PID")"; then
        log "Neptune test server already running (pid $pid)"
        wait_until "Neptune test server" neptune_ready "$NEPTUNE_PID" "$NEPTUNE_LOG"
        return
    fi
    if neptune_ready; then
        log "Neptune test server already answers at $NEPTUNE_TEST_SERVER_URL (not started by this script); using it"
        return
    fi
    build_neptune
    local listen
    listen="$(host_of "$NEPTUNE_TEST_SERVER_URL"):$(port_of "$NEPTUNE_TEST_SERVER_URL")"
    log "starting Neptune test server at $NEPTUNE_TEST_SERVER_URL (log $NEPTUNE_LOG)"
    setsid "$(neptune_binary)" \
        --listen "$listen" \
        --arcadedb-url "$ARCADEDB_HTTP" \
        --arcadedb-user root \
        --arcadedb-password "$ARCADEDB_ROOT_PASSWORD" \
        --database neptune \
        </dev/null >"$NEPTUNE_LOG" 2>&1 &
    echo $! >"$NEPTUNE_PID"
    wait_until "Neptune test server" neptune_ready "$NEPTUNE_PID" "$NEPTUNE_LOG"
    log "Neptune test server ready"
}

# start_neo4j NAME(source|target) URL CHECK: one instance, its data in $WORK/neo4j-NAME.
start_neo4j() {
    local name="$1" url="$2" check="$3" pid
    local pidfile="$WORK/neo4j-$name.pid" logfile="$WORK/neo4j-$name.log" home="$WORK/neo4j-$name"
    if pid="$(running_pid "$pidfile")"; then
        log "Neo4j $name already running (pid $pid)"
        wait_until "Neo4j $name" "$check" "$pidfile" "$logfile" $((TIMEOUT * 2))
        return
    fi
    if "$check"; then
        log "Neo4j $name already answers at $url (not started by this script); using it"
        return
    fi
    build_neo4j
    local tool="$NEO4J_TOOL/target"
    log "starting Neo4j $name: Bolt $url (log $logfile, data $home)"
    # Small page cache (set in the server) and heap: two instances share the machine with ArcadeDB.
    setsid java -Xms256m -Xmx"$NEO4J_HEAP" -XX:+UseSerialGC \
        -cp "$tool/neo4j-test-server-0.1.0.jar:$(cat "$tool/classpath.txt")" \
        graphferry.Neo4jTestServer --home "$home" --port "$(port_of "$url")" \
        --password "$NEO4J_PASSWORD" --plugins "$tool/plugins" \
        </dev/null >"$logfile" 2>&1 &
    echo $! >"$pidfile"
}

# PostgreSQL: Debian's server binaries (any installed major version, newest first), a cluster of
# our own under $PG_DIR; never the system service.
pg_bindir() {
    local d
    for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k4 -n -r); do
        [[ -x "$d/initdb" && -x "$d/pg_ctl" ]] && { printf '%s' "$d"; return 0; }
    done
    return 1
}

install_postgres() {
    if pg_bindir >/dev/null; then
        return
    fi
    log "installing PostgreSQL from Debian's packages (apt-get install -y postgresql)"
    local sudo=""
    [[ "$(id -u)" == 0 ]] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql >/dev/null
    # The package starts a system cluster on 5432; ours runs on its own port, so leave it be.
    pg_bindir >/dev/null || die "apt-get installed postgresql but no initdb under /usr/lib/postgresql/*/bin"
}

# pg_as CMD...: PostgreSQL refuses to run as root, so as root the cluster belongs to the
# `postgres` user the Debian package creates (TESTING.md).
pg_as() {
    if [[ "$(id -u)" == 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

postgres_ready() {
    "$(pg_bindir)/pg_isready" -q -h 127.0.0.1 -p "$PG_TEST_PORT" -t 2 >/dev/null 2>&1
}

start_postgres() {
    install_postgres
    local bin
    bin="$(pg_bindir)"
    if postgres_ready; then
        log "PostgreSQL already answers on 127.0.0.1:$PG_TEST_PORT; using it"
        return
    fi
    mkdir -p "$PG_DIR"
    [[ "$(id -u)" == 0 ]] && chown postgres: "$PG_DIR"
    if [[ ! -f "$PG_DATA/PG_VERSION" ]]; then
        log "creating a PostgreSQL cluster in $PG_DATA"
        local pwfile="$PG_DIR/pwfile"
        printf '%s\n' "$PG_TEST_PASSWORD" >"$pwfile"
        [[ "$(id -u)" == 0 ]] && chown postgres: "$pwfile"
        pg_as "$bin/initdb" -D "$PG_DATA" -U postgres --pwfile="$pwfile" --auth=scram-sha-256 \
            --encoding=UTF8 --locale=C.UTF-8 >"$PG_DIR/initdb.log" 2>&1 ||
            { tail -n 20 "$PG_DIR/initdb.log" >&2; die "initdb failed"; }
        rm -f "$pwfile"
    fi
    log "starting PostgreSQL on 127.0.0.1:$PG_TEST_PORT (log $PG_LOG)"
    # -k: the Unix socket lives in our folder, not /var/run/postgresql (which may not exist).
    pg_as "$bin/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t "$TIMEOUT" \
        -o "-p $PG_TEST_PORT -h 127.0.0.1 -k $PG_DIR -c fsync=off -c full_page_writes=off" start >/dev/null ||
        { tail -n 20 "$PG_LOG" >&2; die "PostgreSQL did not start"; }
    local deadline=$((SECONDS + TIMEOUT))
    until postgres_ready; do
        ((SECONDS < deadline)) || { tail -n 20 "$PG_LOG" >&2; die "PostgreSQL not ready after ${TIMEOUT}s"; }
        sleep 0.3
    done
    log "PostgreSQL ready"
}

stop_postgres() {
    local bin
    if ! bin="$(pg_bindir)" || [[ ! -f "$PG_DATA/postmaster.pid" ]]; then
        log "PostgreSQL not running"
        return
    fi
    pg_as "$bin/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null 2>&1 || true
    log "PostgreSQL stopped"
}

cmd_start() {
    mkdir -p "$WORK"
    # Always installed, even when servers already answer: tests start private ArcadeDB
    # instances from this venv (server kill and restart tests).
    install_arcadedb
    install_nodestream
    start_arcadedb
    start_neptune
    # Both Neo4j instances start at once and are waited for together: each takes 20-40 s.
    start_neo4j source "$NEO4J_SOURCE_BOLT" neo4j_source_ready
    start_neo4j target "$NEO4J_TARGET_BOLT" neo4j_target_ready
    wait_until "Neo4j source" neo4j_source_ready "$WORK/neo4j-source.pid" "$WORK/neo4j-source.log" $((TIMEOUT * 2))
    wait_until "Neo4j target" neo4j_target_ready "$WORK/neo4j-target.pid" "$WORK/neo4j-target.log" $((TIMEOUT * 2))
    log "Neo4j source and target ready"
    start_postgres
}

# stop_one NAME PIDFILE: TERM, wait up to 20 s (ArcadeDB flushes its databases on TERM), then KILL.
stop_one() {
    local name="$1" file="$2" pid i
    if ! pid="$(running_pid "$file")"; then
        rm -f "$file"
        log "$name not running"
        return
    fi
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 40; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.5
    done
    if kill -0 "$pid" 2>/dev/null; then
        log "$name (pid $pid) ignored TERM; killing it"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$file"
    log "$name stopped"
}

cmd_stop() {
    stop_postgres
    # The Neptune server first: it depends on ArcadeDB.
    stop_one "Neptune test server" "$NEPTUNE_PID"
    stop_one ArcadeDB "$ARCADEDB_PID"
    stop_one "Neo4j source" "$WORK/neo4j-source.pid"
    stop_one "Neo4j target" "$WORK/neo4j-target.pid"
}

cmd_status() {
    local ok=0 pid
    if arcadedb_ready; then
        pid="$(running_pid "$ARCADEDB_PID" || echo 'not ours')"
        echo "ArcadeDB: running (pid $pid) HTTP $ARCADEDB_HTTP Bolt $ARCADEDB_BOLT"
    else
        echo "ArcadeDB: not running"
        ok=1
    fi
    if neptune_ready; then
        pid="$(running_pid "$NEPTUNE_PID" || echo 'not ours')"
        echo "Neptune test server: running (pid $pid) $NEPTUNE_TEST_SERVER_URL"
    else
        echo "Neptune test server: not running"
        ok=1
    fi
    local name url
    for name in source target; do
        url="$NEO4J_SOURCE_BOLT"
        [[ "$name" == target ]] && url="$NEO4J_TARGET_BOLT"
        if neo4j_ready "$url"; then
            pid="$(running_pid "$WORK/neo4j-$name.pid" || echo 'not ours')"
            echo "Neo4j $name: running (pid $pid) Bolt $url"
        else
            echo "Neo4j $name: not running"
            ok=1
        fi
    done
    if pg_bindir >/dev/null && postgres_ready; then
        echo "PostgreSQL: running 127.0.0.1:$PG_TEST_PORT ($PG_DATA)"
    else
        echo "PostgreSQL: not running"
        ok=1
    fi
    return "$ok"
}

case "${1:-}" in
install) cmd_install ;;
start) cmd_start ;;
stop) cmd_stop ;;
status) cmd_status ;;
*)
    echo "usage: $0 {install|start|stop|status}" >&2
    exit 2
    ;;
esac
