"""An independent reader of Hemaflow's witness: checks each checkpoint's Ed25519 signature
with the `cryptography` library and that the SQLite ledger holds the signed hash at the signed
sequence. Written from docs/tamper-evidence.md and crates/anchor/src/checkpoint.rs only.

usage: check_witness.py DATABASE.db WITNESS PUBLIC_KEY
Prints `witness OK: N checkpoints, last at entry S of E` and exits 0, or names the first
problem and exits 1.
"""
import json
import sqlite3
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


def signed_text(c):
    return (
        "hemaflow-checkpoint-v1\n"
        f"ledger={c['ledger']}\nsequence={c['sequence']}\nhead={c['head']}\n"
        f"recorded_at={c['recorded_at']}\nsigned_at={c['signed_at']}\n"
    ).encode("utf-8")


def main(database, witness, public_key):
    key_hex = open(public_key).read().strip()
    key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(key_hex))
    db = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    hashes = dict(db.execute("SELECT sequence, hash FROM entries"))
    last_entry = max(hashes, default=0)
    count, last = 0, 0
    for number, line in enumerate(open(witness, encoding="utf-8"), start=1):
        c = json.loads(line)
        if c["key"] != key_hex:
            return f"line {number}: signed by another key"
        try:
            key.verify(bytes.fromhex(c["signature"]), signed_text(c))
        except InvalidSignature:
            return f"line {number}: bad signature"
        if hashes.get(1) != c["ledger"]:
            return f"line {number}: another ledger"
        if c["sequence"] > last_entry:
            return f"line {number}: ledger ends at {last_entry}, checkpoint at {c['sequence']}"
        if hashes[c["sequence"]] != c["head"]:
            return f"line {number}: entry {c['sequence']} rewritten"
        count, last = count + 1, max(last, c["sequence"])
    print(f"witness OK: {count} checkpoints, last at entry {last} of {last_entry}")
    return None


if __name__ == "__main__":
    problem = main(*sys.argv[1:4])
    if problem:
        print(f"witness NOT OK: {problem}")
        sys.exit(1)
