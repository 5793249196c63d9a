#!/usr/bin/env python3
"""Wipes or counts a Neo4j 5 database for bench/neo4j.sh (the official driver, from the
nodestream venv).

    neo4j_tool.py URI wipe     # every node and relationship, then every constraint and index
    neo4j_tool.py URI count    # prints "NODES RELS"
User neo4j; password NEO4J_PASSWORD (default graphferry-test); database neo4j.
"""
import os
import sys

from neo4j import GraphDatabase

uri, what = sys.argv[1], sys.argv[2]
auth = ("neo4j", os.environ.get("NEO4J_PASSWORD", "graphferry-test"))
with GraphDatabase.driver(uri, auth=auth) as d, d.session(database="neo4j") as s:
    if what == "wipe":
        s.run("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS").consume()
        for r in list(s.run("SHOW CONSTRAINTS YIELD name")):
            s.run(f"DROP CONSTRAINT `{r['name']}` IF EXISTS").consume()
        for r in list(s.run("SHOW INDEXES YIELD name, type WHERE type <> 'LOOKUP'")):
            s.run(f"DROP INDEX `{r['name']}` IF EXISTS").consume()
    else:
        n = s.run("MATCH (n) RETURN count(n) AS c").single()["c"]
        r = s.run("MATCH ()-[r]->() RETURN count(r) AS c").single()["c"]
        print(n, r)
