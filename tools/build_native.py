"""Compile the RTP packet path with mypyc, in place (`./dev setup` and `./dev test` run it).

    .venv/bin/python tools/build_native.py           # build if a source changed
    .venv/bin/python tools/build_native.py --force   # build anyway
    .venv/bin/python tools/build_native.py --clean   # remove what it built

Compiles `gwanje.media.rtsp.native.MODULES` into extension modules beside their sources
(one mypyc group, its shared library `gwanje/media/rtsp/_native__mypyc*.so`), then writes
the manifest of each source's SHA-256 that `native.guard()` checks at import. Nothing is
downloaded: mypyc comes with the mypy in .venv, the C compiler and Python headers from the
machine. A build that cannot run (no compiler, no headers) exits 1 with the reason and
leaves no compiled module behind: Gwanje then runs the same modules as Python.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import sysconfig
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gwanje.media.rtsp import native  # noqa: E402  (after the path is set)


def built_files() -> list[Path]:
    return sorted(native.HERE.glob("*.so"))


def clean() -> None:
    for path in built_files():
        path.unlink()
    native.MANIFEST.unlink(missing_ok=True)


def up_to_date() -> bool:
    digests = native.built_digests()
    return all(
        native.compiled_file(name) is not None and digests.get(name) == native.source_digest(name)
        for name in native.MODULES
    )


def missing_tools() -> str | None:
    include = Path(sysconfig.get_paths()["include"]) / "Python.h"
    if not include.exists():
        return f"no Python headers ({include}; Debian: apt-get install python3-dev)"
    if shutil.which(os.environ.get("CC", "cc")) is None and shutil.which("gcc") is None:
        return "no C compiler (Debian: apt-get install gcc)"
    return None


def build() -> None:
    import warnings

    from mypyc.build import mypycify
    from setuptools import setup

    warnings.filterwarnings("ignore", module="setuptools")  # it reads pyproject.toml too

    sources = [f"gwanje/media/rtsp/{name}.py" for name in native.MODULES]
    digests = {name: native.source_digest(name) for name in native.MODULES}
    with tempfile.TemporaryDirectory(prefix="gwanje-native-") as temp:
        os.chdir(ROOT)  # mypyc names modules by their paths from here
        extensions = mypycify(
            sources, opt_level="3", target_dir=f"{temp}/c", group_name="gwanje.media.rtsp._native"
        )
        setup(
            name="gwanje-native",
            ext_modules=extensions,
            script_args=["-q", "build_ext", "--inplace", "--build-temp", f"{temp}/o",
                         "--build-lib", f"{temp}/lib"],
        )  # fmt: skip
    native.MANIFEST.write_text(json.dumps({"sources": digests}, indent=1) + "\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--force", action="store_true")
    parser.add_argument("--clean", action="store_true")
    args = parser.parse_args()
    if args.clean:
        clean()
        return 0
    if not args.force and up_to_date():
        return 0
    reason = missing_tools()
    if reason is not None:
        clean()
        print(f"packet path not compiled: {reason}; it runs as Python", file=sys.stderr)
        return 1
    clean()
    try:
        build()
    except (Exception, SystemExit) as exc:  # setuptools reports failures as SystemExit
        clean()
        print(f"packet path not compiled: {exc}; it runs as Python", file=sys.stderr)
        return 1
    print(f"packet path compiled: {', '.join(native.MODULES)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
