"""`make llama-server`: build llama.cpp's llama-server from the llama.cpp source vendored in
llama-cpp-python's sdist (the version installed here), once; later runs reuse the build.

The sdist comes from PyPI through pip (a build-time download, like `make install`'s); the build
itself downloads nothing (the web UI is left out). The binary goes to
``$XDG_CACHE_HOME/hearth-lsp/llama-server/<sdist sha256>-<flags hash>/`` with a ``build.json``.

Without a C++ toolchain it says so and exits 0: the tests that need the server then skip and
say why. A failed build exits 1.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from lsp_server.llama_server import (
    BINARY,
    BUILD_INFO,
    builds,
    cache_root,
    installed_llama_cpp_version,
    toolchain_missing,
)
from lsp_server.models import sha256_of

# LLAMA_USE_PREBUILT_UI is on by default and would download the web UI; the server is used
# through its API only. The CPU's instruction sets come from the script that also builds
# llama-cpp-python (never AMX, which crashes in virtual machines that advertise it).
CMAKE_FLAGS = (
    "-DCMAKE_BUILD_TYPE=Release", "-DBUILD_SHARED_LIBS=OFF", "-DLLAMA_BUILD_TESTS=OFF",
    "-DLLAMA_BUILD_EXAMPLES=OFF", "-DLLAMA_BUILD_APP=OFF", "-DLLAMA_BUILD_UI=OFF",
    "-DLLAMA_USE_PREBUILT_UI=OFF", "-DLLAMA_OPENSSL=OFF",
)
CPU_FLAGS_SCRIPT = Path(__file__).resolve().parent / "llama_cmake_args.sh"


def cmake_flags() -> list[str]:
    cpu = subprocess.run(["sh", str(CPU_FLAGS_SCRIPT)], check=True, capture_output=True,
                         text=True).stdout.split()
    return [*CMAKE_FLAGS, *(cpu or ["-DGGML_NATIVE=OFF"])]


def say(message: str) -> None:
    print(f"llama-server: {message}", flush=True)


def download_sdist(version: str, folder: Path) -> Path:
    say(f"downloading the llama-cpp-python {version} sdist from PyPI")
    subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                    "--no-binary", ":all:", f"llama-cpp-python=={version}",
                    "-d", str(folder)], check=True)
    found = sorted(folder.glob("llama_cpp_python-*.tar.gz"))
    if not found:
        raise SystemExit("llama-server: pip downloaded no sdist")
    return found[0]


def extract_llama_cpp(sdist: Path, folder: Path) -> Path:
    with tarfile.open(sdist) as archive:
        archive.extractall(folder, filter="data")
    found = [p for p in folder.glob("*/vendor/llama.cpp") if (p / "tools" / "server").is_dir()]
    if not found:
        raise SystemExit(f"llama-server: {sdist.name} has no vendor/llama.cpp/tools/server")
    return found[0]


def build(source: Path, jobs: int, flags: list[str]) -> Path:
    out = source / "build"
    generator = ["-G", "Ninja"] if shutil.which("ninja") else []
    subprocess.run(["cmake", "-S", str(source), "-B", str(out), *generator, *flags],
                   check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["cmake", "--build", str(out), "--target", BINARY, "-j", str(jobs)],
                   check=True)
    binary = out / "bin" / BINARY
    if not binary.is_file():
        raise SystemExit(f"llama-server: the build finished without {binary}")
    return binary


def install(binary: Path, target: Path, info: dict[str, object]) -> Path:
    target.mkdir(parents=True, exist_ok=True)
    partial = target / f".{BINARY}.partial"
    shutil.copy2(binary, partial)
    partial.chmod(0o755)
    partial.replace(target / BINARY)
    (target / BUILD_INFO).write_text(json.dumps(info, indent=2) + "\n")
    return target / BINARY


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--force", action="store_true", help="build even if a build exists")
    args = parser.parse_args()

    version = installed_llama_cpp_version()
    if not version:
        say("llama-cpp-python is not installed here: run `make install` first")
        return 1
    missing = toolchain_missing()
    if missing:
        say(f"not built: {missing}. Install a C++ toolchain (e.g. `apt-get install cmake g++`)"
            " to build it; the tests that need it are skipped until then.")
        return 0
    flags = cmake_flags()
    if not args.force:
        for existing in builds():
            if existing.version == version and existing.info.get("cmake_flags") == flags:
                say(f"reusing {existing.binary} (llama-cpp-python {version})")
                return 0
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="hearth-llama-server-") as tmp:
        sdist = download_sdist(version, Path(tmp))
        digest = sha256_of(sdist)
        # Keyed by the sdist (the source) and the flags (what this CPU gets).
        flags_key = hashlib.sha256(" ".join(flags).encode()).hexdigest()[:12]
        target = cache_root() / f"{digest}-{flags_key}"
        info: dict[str, object] = {"llama_cpp_python": version, "sdist": sdist.name,
                                   "sdist_sha256": digest, "cmake_flags": flags}
        if (target / BINARY).is_file() and not args.force:
            say(f"reusing {target / BINARY} (same sdist and flags)")
            install(target / BINARY, target, {**info, "reused": True})
            return 0
        source = extract_llama_cpp(sdist, Path(tmp))
        say(f"building from {sdist.name} with {args.jobs} jobs (about 8 minutes on 2 cores)")
        binary = build(source, args.jobs, flags)
        seconds = round(time.monotonic() - started)
        path = install(binary, target, {**info, "build_seconds": seconds,
                                        "built": time.strftime("%Y-%m-%dT%H:%M:%S%z")})
    say(f"built {path} in {seconds} s")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except subprocess.CalledProcessError as exc:
        print(f"llama-server: build step failed ({exc})", file=sys.stderr)
        sys.exit(1)
