"""Independent verification of an exported checkpoint file, for outside auditors.

Uses only Python's standard library and `cryptography` (no Gwanje imports), so an
auditor can read all of it and run it on their own machine:

    python standalone.py --public-key audit.pub.pem --checkpoints cp.json [--sqlite gwanje.db]

Checks (docs/design/audit-ledger.md, "Independent verification"): the pinned public key
is the one named in the file; every checkpoint signature; with `--sqlite`, the whole hash
chain of a copy of the database (invariant 2) and that each checkpoint's hash is in it.
Exit 0 when everything holds, 1 with the first problem otherwise.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sqlite3
import sys
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

COLUMNS = (
    "seq, at, event_type, actor_id, actor_name, actor_kind, source_ip, outcome, "
    "camera_ids, range_start, range_end, details, prev_hash, entry_hash"
)


def check_signatures(pem: bytes, document: dict[str, Any]) -> dict[int, str]:
    """seq -> entry_hash of the checkpoints whose signatures verify; raises otherwise."""
    key = serialization.load_pem_public_key(pem)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("the public key is not Ed25519")
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    if hashlib.sha256(raw).hexdigest()[:32] != document["key_id"]:
        raise ValueError("the file was signed by a different key than the one you trust")
    signed: dict[int, str] = {}
    for c in document["checkpoints"]:
        message = f"gwanje-audit-checkpoint/v1\n{c['seq']}\n{c['entry_hash']}\n{c['at']}\n"
        try:
            key.verify(bytes.fromhex(c["signature"]), message.encode("ascii"))
        except InvalidSignature as exc:
            raise ValueError(f"checkpoint seq {c['seq']}: signature does not verify") from exc
        signed[int(c["seq"])] = c["entry_hash"]
    return signed


def check_chain(db: Path, signed: dict[int, str]) -> int:
    """Walk a SQLite copy of the ledger; returns the number of entries, raises on a fault."""
    encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    head, expect = "0" * 64, 1
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        for row in conn.execute(f"SELECT {COLUMNS} FROM audit_entries ORDER BY seq"):
            if row[0] != expect:
                raise ValueError(f"seq {expect}: missing")
            if row[12] != head:
                raise ValueError(f"seq {expect}: chain broken")
            head = hashlib.sha256((head + "\n" + encode(list(row[:12]))).encode()).hexdigest()
            if head != row[13]:
                raise ValueError(f"seq {expect}: altered")
            if signed.get(expect, head) != head:
                raise ValueError(f"seq {expect}: differs from the signed checkpoint")
            expect += 1
    if signed and max(signed) >= expect:
        raise ValueError(f"seq {expect}: truncated (a checkpoint covers seq {max(signed)})")
    return expect - 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Verify Gwanje audit checkpoints.")
    parser.add_argument("--public-key", type=Path, required=True)
    parser.add_argument("--checkpoints", type=Path, required=True)
    parser.add_argument("--sqlite", type=Path, help="a copy of gwanje.db to re-hash")
    args = parser.parse_args(argv)
    try:
        document = json.loads(args.checkpoints.read_text(encoding="utf-8"))
        signed = check_signatures(args.public_key.read_bytes(), document)
        entries = check_chain(args.sqlite, signed) if args.sqlite else None
    except (OSError, ValueError, KeyError) as exc:
        print(f"FAILED: {exc}")
        return 1
    print(f"OK: {len(signed)} signatures" + (f", {entries} entries" if entries is not None else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
