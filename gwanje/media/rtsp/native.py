"""The packet path compiled with mypyc, when it was built, and never a stale copy of it.

Owns: which modules are compiled (`MODULES`), the build manifest's place, `guard()` (run
by the package before anything imports those modules), `status()` and `load_source()`.

Why: every byte a camera sends goes through `interleave` (splitting the TCP stream into
RTP packets) and `depacketize` (RTP to access units), some 430 packets a second per 1080p
stream; as plain Python that was the largest share of the recorder's CPU. `./dev setup`
compiles the two modules with mypyc (`tools/build_native.py`, from the mypy the venv
already has) into extension modules beside their sources. Python prefers an extension
module over a `.py` of the same name, so a source edited after the build would silently
lose to its old compiled copy: the build writes a manifest of each source's SHA-256, and
`guard()` loads the `.py` instead of any compiled module whose source no longer matches
(with a warning naming the rebuild). Without a compiler the build is skipped and the same
modules run as Python: same behaviour (the tests run both), more CPU.
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
import json
import logging
import sys
from pathlib import Path
from types import ModuleType

log = logging.getLogger(__name__)

PACKAGE = "gwanje.media.rtsp"
MODULES = ("interleave", "depacketize")
HERE = Path(__file__).resolve().parent
MANIFEST = HERE / "_native.json"  # written by tools/build_native.py; not in git


def source_digest(name: str) -> str:
    return hashlib.sha256((HERE / f"{name}.py").read_bytes()).hexdigest()


def compiled_file(name: str) -> Path | None:
    """The extension module built for `name`, if there is one."""
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        path = HERE / f"{name}{suffix}"
        if path.exists():
            return path
    return None


def built_digests() -> dict[str, str]:
    try:
        data = json.loads(MANIFEST.read_text())
    except (OSError, ValueError):
        return {}
    sources = data.get("sources") if isinstance(data, dict) else None
    return {str(k): str(v) for k, v in sources.items()} if isinstance(sources, dict) else {}


def load_source(name: str, module_name: str | None = None) -> ModuleType:
    """Execute `<name>.py` itself as a module (registered under `module_name`, by default
    its own name); the tests use a private name to run the Python next to the compiled."""
    full = module_name or f"{PACKAGE}.{name}"
    spec = importlib.util.spec_from_file_location(full, HERE / f"{name}.py")
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[full] = module
    spec.loader.exec_module(module)
    return module


def guard() -> None:
    """Load from source every compiled module whose source changed since it was built."""
    digests: dict[str, str] | None = None
    for name in MODULES:
        if f"{PACKAGE}.{name}" in sys.modules or compiled_file(name) is None:
            continue
        if digests is None:
            digests = built_digests()
        if digests.get(name) != source_digest(name):
            log.warning(
                "%s.%s: its compiled copy is older than the source; running the source "
                "(rebuild with ./dev setup)", PACKAGE, name,
            )  # fmt: skip
            load_source(name)


def status() -> dict[str, str]:
    """Per module: 'compiled' (the extension is in use) or 'source' (the .py runs)."""
    result = {}
    for name in MODULES:
        module = sys.modules.get(f"{PACKAGE}.{name}")
        path = str(getattr(module, "__file__", "") or "")
        result[name] = "source" if path.endswith(".py") or not path else "compiled"
    return result
