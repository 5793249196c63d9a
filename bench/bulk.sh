#!/usr/bin/env bash
# The bulk-load exports against file -> file, from the same synthetic dump: what `neptune-csv`
# and `neo4j-admin-csv` cost next to the plainest copy graphferry makes. No server needed.
#
# Usage: bench/bulk.sh [NODES RELATIONSHIPS [RUNS]]   (default 1000000 2000000 1)
# Prints a Markdown table (median seconds with min-max, records/s, peak RSS, output size) for
# file -> file, file -> neptune-csv (plain and gzip) and file -> neo4j-admin-csv, each under
# /usr/bin/time -v, release build, default settings. Work files go to a temporary folder that is
# removed at exit.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NODES="${1:-1000000}"
RELS="${2:-2000000}"
RUNS="${3:-1}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

command -v /usr/bin/time >/dev/null || { echo "/usr/bin/time is missing (apt-get install time)" >&2; exit 1; }
(cd "$ROOT" && cargo build --release --quiet --bin graphferry --example make_example_graph)
BIN="$ROOT/target/release"
"$BIN/examples/make_example_graph" --nodes "$NODES" --relationships "$RELS" --out "$WORK/graph.jsonl" 2>/dev/null
cat >"$WORK/nodestream.yaml" <<YAML
targets:
  src:
    database: file
    path: graph.jsonl
  file:
    database: file
    path: out.jsonl
  neptune-csv:
    database: neptune-csv
    path: out-neptune
  neptune-csv-gzip:
    database: neptune-csv
    path: out-neptune-gz
    gzip: true
  neo4j-admin-csv:
    database: neo4j-admin-csv
    path: out-admin
YAML

records=$((NODES + RELS))
echo "| copy | median s (min–max) | records/s | peak RSS MB | output MB |"
echo "|---|---|---|---|---|"
for target in file neptune-csv neptune-csv-gzip neo4j-admin-csv; do
    times=()
    rss=0
    for _ in $(seq "$RUNS"); do
        (cd "$WORK" && /usr/bin/time -v "$BIN/graphferry" --config nodestream.yaml copy --source src --target "$target" --all \
            >/dev/null 2>"$WORK/time.txt") || { cat "$WORK/time.txt" >&2; exit 1; }
        t=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$WORK/time.txt")
        r=$(awk -F': ' '/Maximum resident set size/ {print int($2/1024)}' "$WORK/time.txt")
        times+=("$t")
        ((r > rss)) && rss=$r
    done
    out=$(cd "$WORK" && du -sm "$( [[ $target == file ]] && echo out.jsonl || grep -A2 "^  $target:" nodestream.yaml | awk '/path:/ {print $2}')" | cut -f1)
    python3 - "$target" "$records" "$rss" "$out" "${times[@]}" <<'PY'
import statistics, sys
target, records, rss, out, *times = sys.argv[1:]
t = sorted(float(x) for x in times)
med = statistics.median(t)
print(f"| file → {target} | {med:.2f} ({t[0]:.2f}–{t[-1]:.2f}) | {int(records) / med:,.0f} | {rss} | {out} |")
PY
done
