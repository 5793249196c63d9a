#!/usr/bin/env bash
# The cost of the transform stage (issue 18): the same file -> file copy with and without a
# transform of five operations, timed in alternation (plain, transformed, plain, ...) so the
# machine's drift hits both alike. No server needed.
#
# Usage: bench/transform.sh [--nodes N] [--relationships N] [--runs N]
#   default 500,000 nodes + 500,000 relationships (1M records), 5 runs of each
# The five operations touch every record (none is dropped, so both copies write the same count):
# rename a label and a relationship type, cleanse a string, coerce an integer to a string, set a
# constant on everything. Output: one line per run, then the medians and their ratio; the dumps
# are count-checked. Then the memory the transform's state takes: the peak RSS of one copy
# without a transform and of one that de-duplicates every Person by name (most of them are
# duplicates) and gives every Company a new id, so nearly every node leaves an entry.
# Work files go to bench/out/transform-<id>/ and are removed at exit.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NODES=500000
RELS=500000
RUNS=5
while (($#)); do
    case "$1" in
    --nodes) NODES="$2"; shift 2 ;;
    --relationships) RELS="$2"; shift 2 ;;
    --runs) RUNS="$2"; shift 2 ;;
    *) echo "usage: $0 [--nodes N] [--relationships N] [--runs N]" >&2; exit 2 ;;
    esac
done
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release"
WORK="$ROOT/bench/out/transform-$(date +%H%M%S)$$"
mkdir -p "$WORK"
trap 'rm -rf "$WORK"' EXIT
log() { printf 'bench: %s\n' "$*" >&2; }

log "building release binaries"
(cd "$ROOT" && cargo build --release --quiet --bin graphferry --example make_example_graph)
"$BIN/examples/make_example_graph" --nodes "$NODES" --relationships "$RELS" --out "$WORK/graph.jsonl" 2>/dev/null
cat >"$WORK/nodestream.yaml" <<YAML
targets:
  graph:
    database: file
    path: graph.jsonl
  out:
    database: file
    path: out.jsonl
YAML
cat >"$WORK/five.yaml" <<'YAML'
operations:
  - operation: RenameNodeType
    arguments: {old_type: Person, new_type: Customer}
  - operation: RenameRelationshipType
    arguments: {old_type: KNOWS, new_type: FRIEND_OF}
  - operation: Cleanse
    arguments: {node_type: Customer, property_name: name, steps: [trim, lower]}
  - operation: Coerce
    arguments: {node_type: Customer, property_name: age, to: string}
  - operation: SetProperty
    arguments: {property_name: source, value: legacy}
YAML

# run NAME [ARGS...]: one timed copy; prints "wall cpu" seconds (cpu: user + sys of the process,
# steadier than wall time on a shared machine) and checks the records written.
run() {
    local name="$1" lines
    shift
    /usr/bin/time -f '%e %U %S' -o "$WORK/time" \
        "$BIN/graphferry" --config "$WORK/nodestream.yaml" -q copy --source graph --target out --all "$@" >/dev/null
    lines=$(grep -c '"kind":"\(node\|relationship\)"' "$WORK/out.jsonl")
    [[ "$lines" == $((NODES + RELS)) ]] || { log "$name wrote $lines records, not $((NODES + RELS))"; exit 1; }
    awk '{ printf "%.3f %.3f\n", $1, $2 + $3 }' "$WORK/time"
}

plain=()
transformed=()
plain_cpu=()
transformed_cpu=()
for i in $(seq "$RUNS"); do
    read -r wall cpu < <(run plain)
    plain+=("$wall")
    plain_cpu+=("$cpu")
    read -r wall cpu < <(run five --transform "$WORK/five.yaml")
    transformed+=("$wall")
    transformed_cpu+=("$cpu")
    log "run $i: plain ${plain[-1]} s (cpu ${plain_cpu[-1]} s), five operations ${transformed[-1]} s (cpu ${transformed_cpu[-1]} s)"
done
grep -q '"FRIEND_OF"' "$WORK/out.jsonl" || { log "the transformed dump has no FRIEND_OF"; exit 1; }
median() { printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
mp=$(median "${plain[@]}")
mt=$(median "${transformed[@]}")
cp=$(median "${plain_cpu[@]}")
ct=$(median "${transformed_cpu[@]}")
records=$((NODES + RELS))

cat >"$WORK/state.yaml" <<'YAML'
operations:
  - operation: Deduplicate
    arguments: {node_type: Person, key: name}
  - operation: IdTemplate
    arguments: {node_type: Company, template: "{label}_{id}"}
YAML
peak() { /usr/bin/time -f '%M' "$BIN/graphferry" --config "$WORK/nodestream.yaml" -q copy --source graph --target out --all "$@" 2>&1 >/dev/null | tail -n 1; }
rss_plain=$(peak)
rss_state=$(peak --transform "$WORK/state.yaml")
kept=$(grep -c '"kind":"node"' "$WORK/out.jsonl")
log "peak RSS: plain ${rss_plain} KB; de-duplicating and re-identifying ${rss_state} KB ($((NODES - kept)) nodes merged, $kept kept)"
awk -v p="$mp" -v t="$mt" -v cp="$cp" -v ct="$ct" -v r="$records" 'BEGIN {
    printf "file -> file, %d records: plain median %.3f s (%.0f records/s), five operations median %.3f s (%.0f records/s), ratio %.3f\n", r, p, r / p, t, r / t, t / p
    printf "cpu (user + sys): plain median %.3f s, five operations median %.3f s, ratio %.3f\n", cp, ct, ct / cp
}'
