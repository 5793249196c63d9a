"""Reads a whole graph with the official Neo4j Python driver, independently of graphferry, and
prints it as one JSON object on stdout, in a form that compares equal for equal graphs whatever
their internal ids:

- "nodes": sorted list of [sorted labels, properties] (each property as {"type", "value"});
- "relationships": sorted list of [type, start node, end node, properties], endpoints given as
  their [labels, properties] (so parallel relationships stay apart as equal entries);
- "labels_in_use", "relationship_types": the labels and types records carry;
- "db_labels": what db.labels() lists (schema, which may keep a label no node carries);
- "constraints", "indexes": SHOW CONSTRAINTS / SHOW INDEXES rows (name, type, entity, labels or
  types, properties).

Usage: read_graph.py URI USER DATABASE  (password in the NEO4J_PASSWORD environment variable, so
it is never on a command line).
"""

import json
import math
import os
import sys

from neo4j import GraphDatabase
from neo4j import spatial, time as ntime


def typed(value):
    """A property value as {"type", "value"}: the Bolt type name and a text that keeps every
    digit, offset, zone and sign (-0.0, NaN) the driver received."""
    if isinstance(value, bool):
        return {"type": "BOOLEAN", "value": value}
    if isinstance(value, int):
        return {"type": "INTEGER", "value": str(value)}
    if isinstance(value, float):
        if math.isnan(value):
            text = "NaN"
        else:
            text = repr(value)
        return {"type": "FLOAT", "value": text}
    if isinstance(value, str):
        return {"type": "STRING", "value": value}
    if isinstance(value, (bytes, bytearray)):
        return {"type": "BYTES", "value": bytes(value).hex()}
    if isinstance(value, list):
        return {"type": "LIST", "value": [typed(v) for v in value]}
    if isinstance(value, ntime.DateTime):
        zone = getattr(value.tzinfo, "zone", None) if value.tzinfo is not None else None
        kind = "ZONED DATETIME" if value.tzinfo is not None else "LOCAL DATETIME"
        return {"type": kind, "value": value.isoformat(), "zone": zone}
    if isinstance(value, ntime.Date):
        return {"type": "DATE", "value": value.iso_format()}
    if isinstance(value, ntime.Time):
        kind = "ZONED TIME" if value.tzinfo is not None else "LOCAL TIME"
        return {"type": kind, "value": value.isoformat()}
    if isinstance(value, ntime.Duration):
        return {"type": "DURATION", "value": [value.months, value.days, value.seconds, value.nanoseconds]}
    if isinstance(value, spatial.Point):
        return {"type": "POINT", "value": [value.srid, [repr(float(c)) for c in value]]}
    if hasattr(value, "raw_data") and hasattr(value, "error"):
        # A value the driver received but cannot represent in Python (a date before year 1, such
        # as the test graph's BCE date): compared by its raw Bolt structure, tag and fields.
        raw = value.raw_data
        return {"type": "RAW BOLT", "value": [repr(getattr(raw, "tag", None)), repr(getattr(raw, "fields", raw))]}
    if isinstance(value, dict):
        return {"type": "MAP", "value": {k: typed(v) for k, v in sorted(value.items())}}
    return {"type": type(value).__name__, "value": str(value)}


def props(entity):
    return {k: typed(v) for k, v in sorted(dict(entity).items())}


def key(x):
    return json.dumps(x, sort_keys=True)


def rows(session, text):
    return list(session.run(text))


def schema(session, text, owner_column):
    out = []
    for r in rows(session, text):
        r = dict(r)
        out.append(
            {
                "name": r.get("name"),
                "type": r.get("type"),
                "entityType": r.get("entityType"),
                "labelsOrTypes": r.get("labelsOrTypes"),
                "properties": r.get("properties"),
                owner_column: r.get(owner_column),
            }
        )
    return sorted(out, key=key)


def main():
    uri, user, database = sys.argv[1:4]
    driver = GraphDatabase.driver(uri, auth=(user, os.environ["NEO4J_PASSWORD"]))
    with driver, driver.session(database=database) as s:
        nodes = {}
        for r in rows(s, "MATCH (n) RETURN elementId(n) AS id, n"):
            n = r["n"]
            nodes[r["id"]] = [sorted(n.labels), props(n)]
        rels = []
        for r in rows(s, "MATCH (a)-[r]->(b) RETURN elementId(a) AS s, elementId(b) AS e, r"):
            rel = r["r"]
            rels.append([rel.type, nodes[r["s"]], nodes[r["e"]], props(rel)])
        graph = {
            "nodes": sorted(nodes.values(), key=key),
            "relationships": sorted(rels, key=key),
            "labels_in_use": sorted({l for labels, _ in nodes.values() for l in labels}),
            "relationship_types": sorted({r[0] for r in rels}),
            "db_labels": sorted(r["label"] for r in rows(s, "CALL db.labels() YIELD label RETURN label")),
            "constraints": schema(s, "SHOW CONSTRAINTS", "ownedIndex"),
            "indexes": schema(s, "SHOW INDEXES", "owningConstraint"),
        }
    json.dump(graph, sys.stdout, sort_keys=True)


if __name__ == "__main__":
    main()
