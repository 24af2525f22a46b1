"""A Python baseline for tests/bench/replay.

Parses every record (orjson when it is installed, else the standard json module),
unwraps EventBridge envelopes and CloudTrail `Records` files, and dispatches each
record by eventName (or an aws-cli user agent) to the detections' event names,
counting the candidates. It is not a detector, only the least a Python one does
per record: a lower bound on its cost.

Usage: python_baseline.py NAMES PATH...   (NAMES: comma-separated event names)
"""

import gzip
import json
import os
import sys

try:
    import orjson

    loads, PARSER = orjson.loads, "orjson"
except ImportError:
    loads, PARSER = json.loads, "json"


def files(paths):
    for p in paths:
        if os.path.isdir(p):
            for root, _, names in sorted(os.walk(p)):
                for n in sorted(names):
                    yield os.path.join(root, n)
        else:
            yield p


def records(path):
    with open(path, "rb") as f:
        gz = f.read(2) == b"\x1f\x8b"
    with (gzip.open if gz else open)(path, "rb") as f:
        if gz:
            doc = loads(f.read())
            yield from doc.get("Records", [doc]) if isinstance(doc, dict) else doc
            return
        for line in f:
            if line.strip():
                yield loads(line)


def main():
    names = set(sys.argv[1].split(","))
    seen = candidates = 0
    for path in files(sys.argv[2:]):
        for rec in records(path):
            if "detail" in rec:
                rec = rec["detail"]
            seen += 1
            if rec.get("eventName") in names or str(rec.get("userAgent", "")).startswith("aws-cli/"):
                candidates += 1
    print(f"{PARSER}: {seen} records, {candidates} candidates", file=sys.stderr)


main()
