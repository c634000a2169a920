#!/usr/bin/python3
"""Reference hashes of personal values, computed with hashlib, independently of segrun (TestPIIHashMatchesPython).

The normalisation ad platforms match on (docs/audiences.md): email, name, address trimmed (of spaces, tabs, CR and LF) and lower-cased;
phone reduced to its digits in international form (a leading + or 00 dropped; a number written without
either is taken to start with its country code already); other trimmed. Then SHA-256 as 64 lower-case hex
digits. A value that is already 64 hex digits passes through, lower-cased; NULL and a value empty once
normalised stay NULL. Writes runner/testdata/audiences/pii.json.

Run from the repository's root: /usr/bin/python3 scripts/pii_hash_reference.py
"""
import hashlib
import json
import re

WHITESPACE = " \t\n\r"

CASES = {
    "email": ["alice@example.com", "\tbob@example.com\r\n", "  Alice@Example.COM ", "ÉLODIE@exemple.fr", "", "   ", None,
              "B4133380CCD33E9FEA010C5C961C1B766F4BF70CA30A4026A65C6854C8921FDA", "abc123"],
    "phone": ["+44 7700 900123", "0044 7700 900123", "(44) 7700-900123", "+1 (555) 010-9999", "15550109999",
              "+", "", None, "00", "+0044 1"],
    "name": ["  Ada LOVELACE ", "Émile", "", None],
    "address": [" 10 Downing Street, LONDON ", None],
    "other": [" Keep Case ", "x", "", None],
}


def normalise(value, kind):
    text = value.strip(WHITESPACE)
    if kind == "phone":
        kept = re.sub(r"[^0-9+]", "", text)
        kept = re.sub(r"^(\+|00)", "", kept)
        return re.sub(r"[^0-9]", "", kept)
    if kind == "other":
        return text
    return text.lower()


def hashed(value, kind):
    if value is None:
        return None
    text = value.strip(WHITESPACE)
    if re.fullmatch(r"[0-9a-fA-F]{64}", text):
        return text.lower()
    norm = normalise(value, kind)
    if norm == "":
        return None
    return hashlib.sha256(norm.encode()).hexdigest()


out = [{"kind": kind, "value": v, "hash": hashed(v, kind)} for kind, values in CASES.items() for v in values]
with open("runner/testdata/audiences/pii.json", "w") as f:
    json.dump(out, f, indent=1, ensure_ascii=False)
    f.write("\n")
