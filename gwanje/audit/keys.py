"""The data directory's Ed25519 audit signing key (checkpoint signatures, ORD-30.3).

Invariants:
- one key per data directory, created once: a temporary file opened O_CREAT|O_EXCL with
  mode 0600 is written and fsynced, then `link()`ed to the final name, which fails when
  another process won the race (we then load theirs); the directory is fsynced. A crash
  leaves no key or a complete key, never a torn one;
- a private key file readable by group or others is refused, not used;
- the public key is exportable (PEM) and identified by `key_id` (16 bytes of SHA-256 of
  the raw public key, hex).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from gwanje.fsutil import create_once

KEY_DIR = "keys"
PRIVATE_NAME = "audit-ed25519.key"
PUBLIC_NAME = "audit-ed25519.pub.pem"


class AuditKeyError(RuntimeError):
    """The signing key is missing, unreadable or unsafely stored; the message says which."""


def key_id(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:32]


def public_pem(public_key: Ed25519PublicKey) -> str:
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


def load_public_pem(data: bytes) -> Ed25519PublicKey:
    """Parse a PEM public key; refuse anything that is not Ed25519."""
    try:
        key = serialization.load_pem_public_key(data)
    except ValueError as exc:
        raise AuditKeyError(f"not a PEM public key: {exc}") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise AuditKeyError("the public key is not Ed25519")
    return key


def verify_signature(public_key: Ed25519PublicKey, signature_hex: str, message: bytes) -> bool:
    try:
        public_key.verify(bytes.fromhex(signature_hex), message)
    except (InvalidSignature, ValueError):
        return False
    return True


@dataclass(frozen=True)
class AuditKey:
    """The private signing key and its public half."""

    private: Ed25519PrivateKey

    @property
    def public(self) -> Ed25519PublicKey:
        return self.private.public_key()

    @property
    def key_id(self) -> str:
        return key_id(self.public)

    def sign(self, message: bytes) -> str:
        return self.private.sign(message).hex()


def _load(path: Path) -> AuditKey:
    if path.stat().st_mode & 0o077:
        raise AuditKeyError(f"{path} is readable by group or others; chmod 600 it")
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except ValueError as exc:
        raise AuditKeyError(f"{path} is not a readable PEM private key: {exc}") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise AuditKeyError(f"{path} is not an Ed25519 key")
    return AuditKey(key)


def _create(path: Path) -> None:
    """Publish a new key at `path` unless one already exists (see module invariants)."""
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    create_once(path, pem)


def load_or_create(data_dir: Path) -> AuditKey:
    """The data directory's signing key, created on first use."""
    directory = data_dir / KEY_DIR
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = directory / PRIVATE_NAME
    if not path.exists():
        _create(path)
    key = _load(path)
    _write_public(directory / PUBLIC_NAME, key.public)
    return key


def _write_public(path: Path, public_key: Ed25519PublicKey) -> None:
    text = public_pem(public_key)
    if not path.exists() or path.read_text(encoding="ascii") != text:
        path.write_text(text, encoding="ascii")


def public_key_of(data_dir: Path) -> Ed25519PublicKey | None:
    """The data directory's public key, or None when no key was ever created."""
    path = data_dir / KEY_DIR / PRIVATE_NAME
    return _load(path).public if path.exists() else None
