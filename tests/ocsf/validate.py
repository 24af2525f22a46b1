#!/usr/bin/env python3
"""Validates JSON lines against a JSON Schema (draft 2020-12).

Usage: validate.py SCHEMA.json LINES.jsonl
Prints up to five errors per invalid line and a summary `N checked, M invalid`;
exits 1 when any line is invalid. Uses the `jsonschema` package (in the pinned
test venv as a dependency of cfn-lint).
"""

import json
import sys

from jsonschema import Draft202012Validator


def main():
    with open(sys.argv[1]) as f:
        schema = json.load(f)
    Draft202012Validator.check_schema(schema)
    validator = Draft202012Validator(schema)
    checked = invalid = 0
    with open(sys.argv[2]) as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            checked += 1
            errors = sorted(validator.iter_errors(json.loads(line)), key=lambda e: list(e.absolute_path))
            for e in errors[:5]:
                path = "/".join(str(p) for p in e.absolute_path) or "(root)"
                print(f"line {number}: {path}: {e.message[:300]}")
            invalid += bool(errors)
    print(f"{checked} checked, {invalid} invalid")
    sys.exit(1 if invalid else 0)


if __name__ == "__main__":
    main()
