#!/usr/bin/env python3
"""Write strict JSON Schemas (draft 2020-12) for mailverdict's documents, inferred from real
output: one schema per `schema` value, every key seen is listed, keys present in every sample
are required, no other key is allowed. Run by `MAILVERDICT_UPDATE_SCHEMAS=1 cargo test --test it
schemas` (tests/it/schemas.rs), which feeds it the documents of every command, one JSON
document a line on stdin. A key that was only ever null accepts any value."""

import json
import sys

TYPES = [
    (bool, "boolean"),
    (int, "integer"),
    (float, "number"),
    (str, "string"),
    (list, "array"),
    (dict, "object"),
]


def type_of(v):
    if v is None:
        return "null"
    for t, name in TYPES:
        if isinstance(v, t):
            return name
    raise ValueError(v)


def infer(values, key=None):
    types = {type_of(v) for v in values}
    if types <= {"null"}:
        return {}
    if "integer" in types and "number" in types:
        types.discard("integer")
    schema = {"type": sorted(types)[0] if len(types) == 1 else sorted(types)}
    if key == "schema" and types == {"string"} and len(set(values)) == 1:
        return {"const": values[0]}
    objects = [v for v in values if isinstance(v, dict)]
    if objects:
        keys = sorted({k for o in objects for k in o})
        schema["properties"] = {k: infer([o[k] for o in objects if k in o], k) for k in keys}
        schema["required"] = [k for k in keys if all(k in o for o in objects)]
        schema["additionalProperties"] = False
    arrays = [v for v in values if isinstance(v, list)]
    if arrays:
        items = [x for a in arrays for x in a]
        schema["items"] = infer(items) if items else {}
    return schema


def main(out_dir):
    docs = {}
    for line in sys.stdin:
        if line.strip():
            doc = json.loads(line)
            docs.setdefault(doc["schema"], []).append(doc)
    for name, samples in sorted(docs.items()):
        schema = {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": f"https://mailverdict.invalid/schemas/{name}.json",
            "title": name,
            "description": f"Inferred from {len(samples)} documents of today's output "
            "(schemas/infer.py); a change to the output shows as a diff of this file.",
        }
        schema.update(infer(samples))
        with open(f"{out_dir}/{name}.json", "w") as f:
            json.dump(schema, f, indent=1, sort_keys=False)
            f.write("\n")


if __name__ == "__main__":
    main(sys.argv[1])
