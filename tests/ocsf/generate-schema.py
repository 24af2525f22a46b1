#!/usr/bin/env python3
"""Writes the JSON Schema (draft 2020-12) of one OCSF event class.

Input: a checkout of the OCSF schema repository (github.com/ocsf/ocsf-schema,
Apache-2.0) at a release tag, compiled with the `ocsf-lib` package from PyPI
(`python -m ocsf.compile REPO`), which resolves `extends`, includes, profiles
and the dictionary into one document. This script then turns the class and
every object it reaches into JSON Schema, its own way:

- scalar OCSF types become their JSON type (timestamps and ports are integers,
  ip/url/... strings); regex and length limits of types are not carried over;
- `*_id` attributes with an enumeration accept only its values (99 "Other"
  included), and `class_uid`, `category_uid`, `type_uid` likewise;
- required attributes are required; a profile's attributes are allowed only for
  the profiles named with --profiles, and required only if the profile requires
  them; no other attribute is allowed (`additionalProperties: false`), except in
  `unmapped` and other free-form (`object_t`, `json_t`) values;
- object constraints `at_least_one` / `just_one` become anyOf / oneOf. They are
  read from the repository's own files (an object's nearest definition along its
  `extends` chain that declares any), because ocsf-lib 0.10.4 gives a child object
  its parent's constraints (network_endpoint got _entity's "name or uid");
- the generic `object` type (no attributes of its own, as `unmapped`) is any
  JSON object.

Usage (tests/ocsf/README.md):
  python -m venv /tmp/ocsf && /tmp/ocsf/bin/pip install ocsf-lib==0.10.4
  /tmp/ocsf/bin/python tests/ocsf/generate-schema.py --repo PATH_AT_TAG \
      --class detection_finding --profiles cloud,host,security_control \
      --out tests/ocsf/detection_finding-1.8.0.schema.json
"""

import argparse
import glob
import json
import os
import subprocess
import sys

SCALARS = {
    "string_t": {"type": "string"},
    "integer_t": {"type": "integer"},
    "long_t": {"type": "integer"},
    "float_t": {"type": "number"},
    "boolean_t": {"type": "boolean"},
    "json_t": {},
    "object_t": {"type": "object"},
}


def base_type(types, name):
    """Follows derived types (timestamp_t -> long_t) down to a scalar."""
    seen = set()
    while name not in SCALARS and name in types and name not in seen:
        seen.add(name)
        name = types[name].get("type") or name
    return name


def def_name(obj):
    return obj.replace("/", "__")


def source_definitions(repo, kind):
    """name -> (constraints, extends) from the repository's JSON files of `kind`
    (`objects` or `events`), core and extensions."""
    out = {}
    patterns = [os.path.join(repo, kind, "**", "*.json"),
                os.path.join(repo, "extensions", "*", kind, "**", "*.json")]
    for pattern in patterns:
        for path in sorted(glob.glob(pattern, recursive=True)):
            with open(path) as f:
                d = json.load(f)
            name = d.get("name")
            if name and name not in out:
                out[name] = (d.get("constraints"), d.get("extends"))
    return out


def own_constraints(defs, name):
    seen = set()
    while name in defs and name not in seen:
        seen.add(name)
        constraints, parent = defs[name]
        if constraints:
            return constraints
        name = parent
    return None


class Generator:
    def __init__(self, compiled, profiles, repo):
        self.c = compiled
        self.profiles = set(profiles)
        self.defs = {}
        self.object_sources = source_definitions(repo, "objects")
        self.event_sources = source_definitions(repo, "events")

    def attr_schema(self, attr):
        t = attr.get("type")
        if t in self.c["objects"]:
            self.object(t)
            s = {"$ref": "#/$defs/" + def_name(t)}
        else:
            s = dict(SCALARS.get(base_type(self.c["types"], t), {}))
            enum = attr.get("enum")
            if enum and s.get("type") == "integer":
                s["enum"] = sorted(int(k) for k in enum)
        if attr.get("is_array"):
            s = {"type": "array", "items": s}
        return s

    def properties(self, attrs):
        props, required = {}, []
        for name, attr in sorted(attrs.items()):
            profile = attr.get("profile")
            if profile and profile not in self.profiles:
                continue
            props[name] = self.attr_schema(attr)
            if attr.get("requirement") == "required":
                required.append(name)
        return props, required

    def with_constraints(self, schema, constraints, props):
        for kind, key in (("at_least_one", "anyOf"), ("just_one", "oneOf")):
            names = [n for n in (constraints or {}).get(kind, []) if n in props]
            if names:
                schema[key] = [{"required": [n]} for n in names]
        return schema

    def object(self, name):
        key = def_name(name)
        if key in self.defs:
            return
        self.defs[key] = {}  # placeholder: objects refer to each other
        obj = self.c["objects"][name]
        if not obj["attributes"]:
            self.defs[key] = {"title": obj.get("caption", name), "type": "object"}
            return
        props, required = self.properties(obj["attributes"])
        schema = {
            "title": obj.get("caption", name),
            "type": "object",
            "properties": props,
            "additionalProperties": False,
        }
        if required:
            schema["required"] = required
        constraints = own_constraints(self.object_sources, name)
        self.defs[key] = self.with_constraints(schema, constraints, props)

    def event_class(self, name):
        cls = self.c["classes"][name]
        props, required = self.properties(cls["attributes"])
        schema = {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$comment": (
                f"OCSF {self.c['version']} class {name} ({cls['uid']}) with profiles "
                f"{', '.join(sorted(self.profiles))}; generated by tests/ocsf/generate-schema.py "
                "from the OCSF schema (Apache-2.0, see tests/ocsf/LICENSE-OCSF)."
            ),
            "title": cls.get("caption", name),
            "type": "object",
            "properties": props,
            "required": required,
            "additionalProperties": False,
        }
        self.with_constraints(schema, own_constraints(self.event_sources, name), props)
        schema["$defs"] = dict(sorted(self.defs.items()))
        return schema


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repo", required=True, help="ocsf-schema checkout at a release tag")
    ap.add_argument("--class", dest="cls", default="detection_finding")
    ap.add_argument("--profiles", default="")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    out = subprocess.run(
        [sys.executable, "-m", "ocsf.compile", a.repo], check=True, capture_output=True, text=True
    ).stdout
    compiled = json.loads(out)
    profiles = [p for p in a.profiles.split(",") if p]
    for p in profiles:
        if p not in compiled["classes"][a.cls].get("profiles", []):
            sys.exit(f"{a.cls} has no profile {p}")
    schema = Generator(compiled, profiles, a.repo).event_class(a.cls)
    with open(a.out, "w") as f:
        json.dump(schema, f, indent=1, sort_keys=False)
        f.write("\n")


if __name__ == "__main__":
    main()
