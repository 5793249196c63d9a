#!/usr/bin/env bash
# graphferry's test command: the one the README gives and .ci/run runs, on a fresh machine too.
# Checks formatting and lints, installs and starts the real test servers (ArcadeDB with its Bolt
# plugin, the Neptune-protocol test server, two embedded Neo4j 5.26 instances), then runs every
# test of the workspace against them (the Bolt tests on ArcadeDB and on Neo4j each).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

step() { printf '\n==> %s\n' "$*" >&2; }

step "cargo fmt --check"
cargo fmt --all --check

step "cargo clippy (warnings are errors)"
cargo clippy --workspace --all-targets -- -D warnings

step "starting the test servers (scripts/test-servers.sh start)"
scripts/test-servers.sh start
if [[ "${CI:-}" == "true" ]]; then
    # On CI nothing outlives the run; on a developer's machine the servers stay up for the next run
    # (scripts/test-servers.sh stop ends them).
    trap 'scripts/test-servers.sh stop || true' EXIT
fi

step "cargo test --workspace"
cargo test --workspace
