"""Writes bench/RESULTS-pg.md from a bench/pg.sh run folder (also for a run cut short).

Usage: pg_report.py WORK OUT SCALE
"""
import json, statistics, sys
work, out, scale = sys.argv[1:4]
machine = json.load(open(f"{work}/machine.json"))
rows = [json.loads(l) for l in open(f"{work}/measurements.jsonl")]
by = {}
for r in rows:
    by.setdefault(r["name"], []).append(r)
def med(name):
    return statistics.median(r["seconds"] for r in by[name]) if name in by else None
def line(name, what, floor=None):
    rs = by.get(name)
    if not rs:
        return f"| {name} | {what} | – | – | – | – |"
    secs = [float(r["seconds"]) for r in rs]
    m = statistics.median(secs)
    # A copy to a file writes the records the copy to Bolt does (same mapping); the guide script
    # counts what it wrote itself.
    rec = rs[0]["records"]
    if name == "pg-to-file" and "pg-to-bolt" in by:
        rec = by["pg-to-bolt"][0]["records"]
    if isinstance(rs[0].get("extra"), dict) and "records" in rs[0]["extra"]:
        rec = rs[0]["extra"]["records"]
    rss = max(int(r["peak_rss_kb"]) for r in rs) // 1024
    ratio = f"{m / float(med(floor)):.2f}" if floor and med(floor) else "–"
    return f"| {name} | {what} | {m:.2f} ({min(secs):.2f}–{max(secs):.2f}) | {rec / m:,.0f} | {rss} | {ratio} |"
text = f"""# PostgreSQL source benchmark (bench/pg.sh)

{machine['date']}, commit {machine['commit']}, {machine['cores']} cores ({machine['cpu']}), load average
at start {machine['load_average_at_start']:.1f}; scale {scale}; PostgreSQL and ArcadeDB on the same machine.
Times are medians of the runs (min–max); records/s is records / median; peak RSS from `/usr/bin/time -v`;
the ratio is this time over its floor's (read floor: one streamed SELECT per table, as the source reads; Bolt: the bare write).

| step | what | seconds | records/s | peak RSS MB | ratio to floor |
|---|---|---|---|---|---|
{line('floor-read-keyset', 'tokio-postgres alone, keyset pages of 5000 by primary key (rows)')}
{line('floor-read-stream', 'tokio-postgres alone, one streamed SELECT per table (rows)')}
{line('floor-read-copy', 'tokio-postgres alone, COPY … TO STDOUT (FORMAT binary), bytes only (rows)')}
{line('pg-to-file', 'graphferry PostgreSQL → dump (records written)', 'floor-read-stream')}
{line('floor-write-bolt', 'bare Bolt client writing the same records (create, 5000 × 1)')}
{line('pg-to-bolt', 'graphferry PostgreSQL → Bolt, merge (records written)', 'floor-write-bolt')}
{line('guide-pg-to-bolt', 'psycopg LIMIT/OFFSET 1000 + neo4j driver UNWIND … CREATE (records written)', 'floor-write-bolt')}
"""
open(out, "w").write(text)
print(text)
