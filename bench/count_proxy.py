#!/usr/bin/env python3
"""A counting HTTP proxy for the Neptune test server: forwards every request unchanged and
counts writes by what they write, so nodestream's end-node upserts (sent again with every
relationship batch) can be told apart from the nodes and relationships themselves.

    count_proxy.py UPSTREAM_URL COUNTS_JSON      # prints "listening on http://127.0.0.1:PORT"

A write is a query with CREATE/MERGE/SET; it counts as a relationship write when its text has a
relationship pattern (`]->(`), else as a node write. Rows are the length of the first list
parameter. The counts are written to COUNTS_JSON after every request. Only for counting runs:
the extra hop makes it useless for timing.
"""
import http.client
import json
import re
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

UPSTREAM = urllib.parse.urlparse(sys.argv[1])
OUT = sys.argv[2]
LOCK = threading.Lock()
COUNTS = {"requests": 0, "node_write_requests": 0, "node_rows": 0, "relationship_write_requests": 0,
          "relationship_rows": 0, "other_requests": 0}
WRITE = re.compile(r"\b(CREATE|MERGE|SET)\b", re.I)


def decode(headers, body):
    """The query text and parameters of a Database request (form or the SDK's JSON)."""
    if "json" in headers.get("content-type", ""):
        d = json.loads(body or b"{}")
        params = d.get("parameters") or "{}"
        return d.get("query", ""), json.loads(params) if isinstance(params, str) else params
    form = urllib.parse.parse_qs(body.decode())
    return form.get("query", [""])[0], json.loads(form.get("parameters", ["{}"])[0])


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        try:
            query, params = decode(self.headers, body)
        except (ValueError, UnicodeDecodeError):
            query, params = "", {}
        rows = next((len(v) for v in params.values() if isinstance(v, list)), 1)
        with LOCK:
            COUNTS["requests"] += 1
            if not WRITE.search(query):
                COUNTS["other_requests"] += 1
            elif "]->(" in query.replace(" ", ""):
                COUNTS["relationship_write_requests"] += 1
                COUNTS["relationship_rows"] += rows
            else:
                COUNTS["node_write_requests"] += 1
                COUNTS["node_rows"] += rows
            with open(OUT, "w") as f:
                json.dump(COUNTS, f)
        conn = http.client.HTTPConnection(UPSTREAM.hostname, UPSTREAM.port, timeout=600)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
        conn.request("POST", self.path, body=body, headers=headers)
        r = conn.getresponse()
        data = r.read()
        self.send_response(r.status)
        for k, v in r.getheaders():
            if k.lower() not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(k, v)
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        conn.close()


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(f"listening on http://127.0.0.1:{server.server_address[1]}", flush=True)
server.serve_forever()
