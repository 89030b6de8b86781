"""Writes the wheel: the Python packages under python/, the shared object (stripped) inside
``sparrow/_lib``, and the metadata of PEP 427/566. Platform tag: manylinux for this machine's glibc
and architecture (the shared object links only glibc, libstdc++, libgcc_s and libm).

    python3 python/tools/make_wheel.py --library .build-wheel/release/libsparrowc.so --output dist
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import platform
import re
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ["sparrow", "sparrow_ray"]


def version() -> str:
    text = (ROOT / "pyproject.toml").read_text()
    return re.search(r'^version = "([^"]+)"', text, re.M).group(1)


def platform_tag() -> str:
    libc, libc_version = platform.libc_ver()
    if libc != "glibc":
        raise SystemExit(f"cannot tag a wheel for {libc or 'an unknown C library'}")
    major, minor = libc_version.split(".")[:2]
    return f"manylinux_{major}_{minor}_{platform.machine()}"


def record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--library", required=True, help="libsparrowc.so to put in the wheel")
    parser.add_argument("--output", default="dist")
    args = parser.parse_args()

    v = version()
    tag = f"py3-none-{platform_tag()}"
    dist_info = f"sparrow-{v}.dist-info"
    files: dict[str, bytes] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix in {".py", ".typed"}:
                files[str(path.relative_to(ROOT))] = path.read_bytes()
    with tempfile.TemporaryDirectory() as tmp:
        stripped = Path(tmp) / "libsparrowc.so"
        shutil.copyfile(args.library, stripped)
        subprocess.run(["strip", "--strip-unneeded", str(stripped)], check=True)
        files["sparrow/_lib/libsparrowc.so"] = stripped.read_bytes()

    readme = (ROOT / "README.md").read_text()
    files[f"{dist_info}/METADATA"] = (
        "Metadata-Version: 2.1\n"
        "Name: sparrow\n"
        f"Version: {v}\n"
        "Summary: Sparse retrieval (SPLADE, BM25) with exact and approximate top-k search, from Swift\n"
        "License: Apache-2.0\n"
        "Requires-Python: >=3.9\n"
        "Requires-Dist: numpy>=1.21\n"
        "Provides-Extra: scipy\n"
        'Requires-Dist: scipy>=1.7; extra == "scipy"\n'
        "Provides-Extra: ray\n"
        'Requires-Dist: ray[serve,data]>=2.9; extra == "ray"\n'
        "Description-Content-Type: text/markdown\n\n" + readme
    ).encode()
    files[f"{dist_info}/WHEEL"] = (
        f"Wheel-Version: 1.0\nGenerator: sparrow make_wheel.py\nRoot-Is-Purelib: false\nTag: {tag}\n"
    ).encode()
    files[f"{dist_info}/top_level.txt"] = "\n".join(PACKAGES).encode() + b"\n"
    record = [record_line(name, data) for name, data in files.items()] + [f"{dist_info}/RECORD,,"]
    files[f"{dist_info}/RECORD"] = ("\n".join(record) + "\n").encode()

    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    wheel = out / f"sparrow-{v}-{tag}.whl"
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            info.external_attr = (0o755 if name.endswith(".so") else 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data)
    print(wheel)


if __name__ == "__main__":
    main()
