"""`gwanje serve` as a real process (ORD-23, ORD-30.3): with a certificate it speaks HTTPS
only (a client trusting that certificate gets the Korean login page; plain HTTP to the
same port gets no page), stops cleanly on SIGTERM; production mode refuses to serve beyond
this machine without TLS."""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def self_signed(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "gwanje.test")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(
            [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))  # fmt: skip
    return cert_path, key_path


def serve(data_dir: Path, port: int, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "gwanje.cli.main", "--data-dir", str(data_dir), "serve",
         "--port", str(port)],
        env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip


def test_https_only_with_a_certificate_and_a_clean_stop(tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    port = free_port()
    proc = serve(tmp_path / "data", port, {"GWANJE_MODE": "test", "GWANJE_TLS_CERT": str(cert),
                                           "GWANJE_TLS_KEY": str(key)})  # fmt: skip
    try:
        trust = ssl.create_default_context(cafile=str(cert))
        page = None
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and page is None:
            try:
                page = httpx.get(f"https://127.0.0.1:{port}/login", verify=trust, timeout=5)
            except httpx.TransportError:
                time.sleep(0.3)
        assert page is not None
        assert page.status_code == 200
        assert "관제" in page.text
        try:
            plain = httpx.get(f"http://127.0.0.1:{port}/login", timeout=5)
            assert plain.status_code != 200  # never the page in clear
        except httpx.TransportError:
            pass  # the TLS server drops a plain request: nothing is served in clear
    finally:
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, output
    assert f"https://127.0.0.1:{port}/" in output


def test_production_refuses_plain_http_beyond_this_machine(tmp_path: Path) -> None:
    secret = "k" * 40
    proc = serve(tmp_path / "data", free_port(), {
        "GWANJE_MODE": "production", "GWANJE_SECRET_KEY": secret, "GWANJE_HOST": "0.0.0.0"})  # noqa: S104  # fmt: skip
    output, _ = proc.communicate(timeout=60)
    assert proc.returncode == 2
    assert "tls_cert" in output
