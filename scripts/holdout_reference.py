#!/usr/bin/python3
"""Reference holdout assignments, computed with hashlib, independently of segrun (TestHoldoutMatchesPython).

An entity's uniform is SHA-256(salt as UTF-8, one 0x00 byte, the entity's text), its first 8 bytes as a
big-endian unsigned integer divided by 2**64; it is in the control group when the uniform is below the
share (docs/audiences.md). The entity's text is an integer's decimal digits, or a text entity as it is.
Writes runner/testdata/audiences/holdout.json: for each salt and entity, the uniform and the group at
each share.

Run from the repository's root: /usr/bin/python3 scripts/holdout_reference.py
"""
import hashlib
import json

SALTS = ["global-2024", "winback-2026", "ünïcode salt"]
INT_ENTITIES = list(range(1, 41)) + [0, -7, 9_007_199_254_740_993]
TEXT_ENTITIES = ["C-001", "alice@example.com", "", "ä", "x" * 70]
SHARES = [0.1, 0.3, 0.5]


def uniform(salt, text):
    h = hashlib.sha256(salt.encode() + b"\x00" + text.encode()).digest()
    return int.from_bytes(h[:8], "big") / 2**64


out = {"shares": SHARES, "int": [], "text": []}
for salt in SALTS:
    for kind, entities in (("int", INT_ENTITIES), ("text", TEXT_ENTITIES)):
        for e in entities:
            u = uniform(salt, str(e))
            out[kind].append({"salt": salt, "entity": e if kind == "text" else str(e), "uniform": u,
                              "control": [u < s for s in SHARES]})

with open("runner/testdata/audiences/holdout.json", "w") as f:
    json.dump(out, f, indent=1, ensure_ascii=False)
    f.write("\n")
