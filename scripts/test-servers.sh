#!/usr/bin/env bash
# Real servers for graphferry's tests: ArcadeDB (HTTP + Bolt plugin) and the Neptune-protocol test
# server (tools/neptune-test-server) backed by ArcadeDB, and a throwaway PostgreSQL cluster.
#
# Usage: scripts/test-servers.sh {install|start|stop|status}
#   install  create .test-servers/ (python venv + ArcadeDB and the Neo4j driver from PyPI), build
#            the Neptune server, and apt-get install postgresql when no server binaries are there
#   start    install if needed, start the servers, wait until they answer; a no-op if running
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
#   PostgreSQL            PG_TEST_URL              default postgres://postgres:graphferry-test@127.0.0.1:54329/postgres
#                         a throwaway cluster in $WORK/pg (initdb + pg_ctl, Debian's PostgreSQL, no
#                         system service); port PG_TEST_PORT (default 54329); superuser `postgres`,
#                         password PG_TEST_PASSWORD (default graphferry-test); tests create and drop
#                         their own databases
# Other knobs:
#   GRAPHFERRY_TEST_SERVERS_DIR   work folder (default <repo>/.test-servers): venv, logs, pids, data
#   NEPTUNE_TEST_SERVER_PROFILE   cargo profile for the Neptune server: dev (default) or release
#   TEST_SERVERS_TIMEOUT          seconds to wait for readiness (default 60)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WORK="${GRAPHFERRY_TEST_SERVERS_DIR:-$ROOT/.test-servers}"
VENV="$WORK/venv"
ARCADEDB_VERSION="26.10.2.post1"
ARCADEDB_PACKAGE="arcadedb-embedded==$ARCADEDB_VERSION"
# The official Neo4j Python driver: the finalize tests' independent reader (tests/it/py/).
NEO4J_DRIVER_VERSION="6.4.1"

ARCADEDB_HTTP="${ARCADEDB_HTTP:-http://127.0.0.1:2480}"
ARCADEDB_BOLT="${ARCADEDB_BOLT:-bolt://127.0.0.1:7687}"
ARCADEDB_ROOT_PASSWORD="${ARCADEDB_ROOT_PASSWORD:-graphferry-test}"
NEPTUNE_TEST_SERVER_URL="${NEPTUNE_TEST_SERVER_URL:-http://127.0.0.1:8182}"
NEPTUNE_TEST_SERVER_PROFILE="${NEPTUNE_TEST_SERVER_PROFILE:-dev}"
TIMEOUT="${TEST_SERVERS_TIMEOUT:-60}"
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

# wait_until NAME CHECK PIDFILE LOG: poll CHECK until it passes; on timeout or early death of the
# process, show the log tail and fail, so CI output says why.
wait_until() {
    local name="$1" check="$2" pidfile="$3" logfile="$4" deadline=$((SECONDS + TIMEOUT))
    while ! "$check"; do
        if ! running_pid "$pidfile" >/dev/null; then
            log "$name exited during start-up; last log lines ($logfile):"
            tail -n 40 "$logfile" >&2 || true
            exit 1
        fi
        if ((SECONDS >= deadline)); then
            log "$name not ready after ${TIMEOUT}s; last log lines ($logfile):"
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

cmd_install() {
    install_arcadedb
    build_neptune
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
    start_arcadedb
    start_neptune
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
