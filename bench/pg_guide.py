"""PostgreSQL -> Neo4j the way the migration guides do it by hand, for bench/pg.sh to compare
graphferry with: psycopg reads each table in `LIMIT 1000 OFFSET n` pages, and the official neo4j
driver writes each page with one `UNWIND $rows AS row CREATE ...` (nodes), then matches both ends
by key for each foreign key and join-table page (relationships), with an index per label first.
As in those guides, numeric values become floats (Decimal cannot be sent) and a page is a
transaction. Prints one JSON line: {"seconds", "records"}.

Usage: pg_guide.py PG_URL BOLT_URI USER DATABASE  (password in NEO4J_PASSWORD)
"""

import decimal
import json
import os
import sys
import time

import psycopg
from neo4j import GraphDatabase

PAGE = 1000
# label, table, key, columns copied as properties
NODES = [
    ("Customer", "customers", "id", "id, email, name, created_at"),
    ("Address", "addresses", "id", "id, street, city, country"),
    ("Product", "products", "sku", "sku, title, price, tags"),
    ("Order", "orders", "id", "id, status::text AS status, placed_on"),
]
# type, table, order by, start (label, key, column), end (label, key, column), properties
RELATIONSHIPS = [
    ("CUSTOMER", "addresses", "id", ("Address", "id", "id"), ("Customer", "id", "customer_id"), ""),
    ("CUSTOMER", "orders", "id", ("Order", "id", "id"), ("Customer", "id", "customer_id"), ""),
    ("BILLING_ADDRESS", "orders", "id", ("Order", "id", "id"), ("Address", "id", "billing_address_id"), ""),
    ("SHIPPING_ADDRESS", "orders", "id", ("Order", "id", "id"), ("Address", "id", "shipping_address_id"), ""),
    ("ORDER_ITEM", "order_items", "order_id, product_sku", ("Order", "id", "order_id"),
     ("Product", "sku", "product_sku"), ", quantity, unit_price"),
]


def plain(row):
    return {k: float(v) if isinstance(v, decimal.Decimal) else v for k, v in row.items()}


def main():
    pg_url, uri, user, database = sys.argv[1:5]
    started = time.time()
    records = 0
    driver = GraphDatabase.driver(uri, auth=(user, os.environ["NEO4J_PASSWORD"]))
    with driver, driver.session(database=database) as s, psycopg.connect(pg_url) as pg:
        for label, _, key, _ in NODES:
            s.run(f"CREATE INDEX IF NOT EXISTS FOR (n:{label}) ON (n.{key})").consume()
        cur = pg.cursor(row_factory=psycopg.rows.dict_row)
        for label, table, key, columns in NODES:
            offset = 0
            while True:
                rows = cur.execute(f"SELECT {columns} FROM {table} ORDER BY {key} LIMIT {PAGE} OFFSET {offset}").fetchall()
                if not rows:
                    break
                s.run(f"UNWIND $rows AS row CREATE (n:{label}) SET n = row", rows=[plain(r) for r in rows]).consume()
                records += len(rows)
                offset += PAGE
        for rel_type, table, order, (sl, sk, sc), (el, ek, ec), props in RELATIONSHIPS:
            offset = 0
            while True:
                rows = cur.execute(
                    f"SELECT {sc} AS s, {ec} AS e{props} FROM {table} WHERE {ec} IS NOT NULL "
                    f"ORDER BY {order} LIMIT {PAGE} OFFSET {offset}"
                ).fetchall()
                if not rows:
                    break
                set_props = "SET r.quantity = row.quantity, r.unit_price = row.unit_price" if props else ""
                s.run(
                    f"UNWIND $rows AS row MATCH (a:{sl} {{{sk}: row.s}}), (b:{el} {{{ek}: row.e}}) "
                    f"CREATE (a)-[r:{rel_type}]->(b) {set_props}",
                    rows=[plain(r) for r in rows],
                ).consume()
                records += len(rows)
                offset += PAGE
    print(json.dumps({"seconds": time.time() - started, "records": records}))


if __name__ == "__main__":
    main()
