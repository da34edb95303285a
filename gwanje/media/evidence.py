"""Evidence packages: exported video with a signed manifest, and their verification.

A package is a ZIP file:
- `video/<camera>_<start>.mp4`: the video as recorded (fragmented MP4, video only, not
  re-encoded), clipped to the grant;
- `manifest.json`: canonical JSON (sorted keys, UTF-8): what was exported, from which
  camera and time range, under which request and grant, on which legal basis, for whom,
  by whom, when, until when it may be kept, and the SHA-256 and size of every file;
- `manifest.sig`: Ed25519 signature (hex) over `gwanje-evidence/1\\n` + manifest bytes,
  by the center's signing key (`gwanje.audit.keys`: the key that signs the ledger's
  checkpoints);
- `public_key.pem`: that key's public half, for convenience; trust comes from comparing
  its key id with the center's published key (`gwanje export verify --key`).

Optionally the whole ZIP is encrypted (AES-256-GCM, key from scrypt over a password the
recipient gets separately): `GWJX1` + salt (16) + nonce (12) + ciphertext.

`verify_package` checks the signature, every file's hash and size, and that the package
holds nothing the manifest does not list; any problem is reported, never raised.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from gwanje.audit.keys import AuditKey, key_id, load_public_pem, public_pem, verify_signature

FORMAT = "gwanje-evidence/1"
MAGIC = b"GWJX1"
MANIFEST, SIGNATURE, PUBLIC_KEY = "manifest.json", "manifest.sig", "public_key.pem"
_SALT, _NONCE = 16, 12


@dataclass(frozen=True)
class VideoFile:
    name: str  # path inside the package, under video/
    chunks: Iterable[bytes]
    entry: dict[str, Any]  # the manifest's item for this file (camera, ranges …)


def canonical(manifest: dict[str, Any]) -> bytes:
    return json.dumps(manifest, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def _signed_message(manifest_bytes: bytes) -> bytes:
    return f"{FORMAT}\n".encode() + manifest_bytes


def _key(password: str, salt: bytes) -> bytes:
    return Scrypt(salt=salt, length=32, n=2**15, r=8, p=1).derive(password.encode())


def build_package(
    target: Path, manifest: dict[str, Any], files: list[VideoFile], key: AuditKey,
    password: str | None = None,
) -> str:  # fmt: skip
    """Write the package to `target` (via a temporary file, fsynced, renamed); returns
    the SHA-256 of what was written."""
    buffer = io.BytesIO()
    items = []
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for video in files:
            digest, size = hashlib.sha256(), 0
            with archive.open(video.name, "w") as out:
                for chunk in video.chunks:
                    out.write(chunk)
                    digest.update(chunk)
                    size += len(chunk)
            items.append({"re_encoded": False, **video.entry, "file": video.name,
                          "sha256": digest.hexdigest(), "bytes": size})  # fmt: skip
        body = canonical({**manifest, "format": FORMAT, "key_id": key.key_id, "items": items})
        archive.writestr(MANIFEST, body)
        archive.writestr(SIGNATURE, key.sign(_signed_message(body)))
        archive.writestr(PUBLIC_KEY, public_pem(key.public))
    data = buffer.getvalue()
    if password:
        salt, nonce = os.urandom(_SALT), os.urandom(_NONCE)
        data = MAGIC + salt + nonce + AESGCM(_key(password, salt)).encrypt(nonce, data, MAGIC)
    temporary = target.with_name(target.name + ".part")
    with open(temporary, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    temporary.replace(target)
    return hashlib.sha256(data).hexdigest()


@dataclass
class VerifyReport:
    problems: list[str] = field(default_factory=list)
    key_id: str | None = None
    manifest: dict[str, Any] | None = None
    files: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_package(
    path: Path, password: str | None = None, trusted_key: Ed25519PublicKey | None = None
) -> VerifyReport:
    report = VerifyReport()
    try:
        data = path.read_bytes()
    except OSError as exc:
        report.problems.append(f"cannot read the package: {exc}")
        return report
    if data.startswith(MAGIC):
        if not password:
            report.problems.append("the package is encrypted: give its password")
            return report
        salt = data[len(MAGIC) : len(MAGIC) + _SALT]
        nonce = data[len(MAGIC) + _SALT : len(MAGIC) + _SALT + _NONCE]
        try:
            data = AESGCM(_key(password, salt)).decrypt(
                nonce, data[len(MAGIC) + _SALT + _NONCE :], MAGIC
            )
        except Exception:
            report.problems.append("wrong password, or the encrypted package was altered")
            return report
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        report.problems.append(f"not a package: {exc}")
        return report
    with archive:
        _check(archive, report, trusted_key)
    return report


def _check(
    archive: zipfile.ZipFile, report: VerifyReport, trusted: Ed25519PublicKey | None
) -> None:
    names = set(archive.namelist())
    for required in (MANIFEST, SIGNATURE, PUBLIC_KEY):
        if required not in names:
            report.problems.append(f"{required} is missing")
            return
    try:
        body = archive.read(MANIFEST)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        report.problems.append(f"{MANIFEST}: altered ({exc})")
        return
    try:
        public = trusted or load_public_pem(archive.read(PUBLIC_KEY))
    except Exception as exc:
        report.problems.append(f"unreadable public key: {exc}")
        return
    report.key_id = key_id(public)
    signature = archive.read(SIGNATURE).decode("ascii", "replace").strip()
    if not verify_signature(public, signature, _signed_message(body)):
        report.problems.append("the manifest's signature does not verify (altered or foreign)")
    try:
        manifest = json.loads(body)
    except ValueError:
        report.problems.append("the manifest is not JSON")
        return
    report.manifest = manifest
    if manifest.get("key_id") != report.key_id:
        report.problems.append("the manifest names another signing key")
    listed = set()
    for item in manifest.get("items", []):
        name = str(item.get("file"))
        listed.add(name)
        if name not in names:
            report.problems.append(f"{name} is missing")
            continue
        try:
            content = archive.read(name)
        except (zipfile.BadZipFile, OSError, ValueError) as exc:  # its CRC no longer matches
            report.problems.append(f"{name}: altered (the package's own checksum fails: {exc})")
            continue
        report.files += 1
        if len(content) != item.get("bytes"):
            report.problems.append(
                f"{name}: {len(content)} bytes, the manifest says {item.get('bytes')}"
            )
        if hashlib.sha256(content).hexdigest() != item.get("sha256"):
            report.problems.append(f"{name}: SHA-256 differs from the manifest (altered)")
    extra = names - listed - {MANIFEST, SIGNATURE, PUBLIC_KEY}
    for name in sorted(extra):
        report.problems.append(f"{name} is not listed in the manifest")
