"""Writes the offline bundle (`make bundle`, docs/DEPLOY.md): a folder that installs City Brain
on a machine with no network.

    python deploy/bundle.py [--out dist/citybrain-bundle] [--cache DIR]

The folder holds a wheel of every package of requirements.lock (checked against the lock's
hashes here and again when installed), the project's own wheel, the lock, the Debian packages
the app needs, the deployment files and `install.sh`. The wheels are the ones for this
machine's Python and platform (a Debian 12 bundle is built with Debian 12's python3, 3.11).

Downloaded wheels are kept in a cache (~/.cache/citybrain/wheels, or --cache), so a new
bundle after a code change downloads nothing unless the lock changed.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements.lock"
DEPLOY = Path(__file__).resolve().parent

#: What the app needs from Debian: the CJK font it cuts its interface font from (and chart
#: export renders Chinese with), Chromium for chart and report export, venv for install.sh.
DEBIAN_PACKAGES = ("python3-venv", "fonts-noto-cjk", "fontconfig", "chromium")


def _cache_default() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "citybrain" / "wheels"


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def locked() -> dict[str, str]:
    """The lock's packages, by normalised name, with their versions."""
    return {_normal(m.group(1)): m.group(2) for m in re.finditer(
        r"^([A-Za-z0-9_.-]+)==(\S+) \\$", LOCK.read_text(encoding="utf-8"), re.M)}


def _pip(*args: str, offline: bool = False) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "pip", *args, "--quiet", "--disable-pip-version-check"]
    if offline:
        command.append("--no-index")
    return subprocess.run(command, capture_output=True, text=True)


def download(cache: Path) -> None:
    """Every wheel of the lock into the cache: from the cache alone when it has them all,
    from the package index otherwise. pip checks each file against the lock's hashes."""
    cache.mkdir(parents=True, exist_ok=True)
    wanted = ["download", "--only-binary=:all:", "--require-hashes", "-r", str(LOCK),
              "-d", str(cache)]
    if _pip(*wanted, "--find-links", str(cache), offline=True).returncode == 0:
        return
    done = _pip(*wanted)
    if done.returncode:
        raise SystemExit(f"bundle: pip could not download the lock's wheels:\n{done.stderr}")


def project_wheel(into: Path) -> Path:
    """The project's wheel, built from a copy of the sources (setuptools would reuse a stale
    build/ folder of the checkout), without build isolation: setuptools is in the lock."""
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "source"
        shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
            ".git", ".venv", "build", "dist", "var", "test-artifacts", "out", "*.duckdb*",
            "__pycache__", "*.egg-info", ".mypy_cache", ".ruff_cache", ".pytest_cache"))
        done = _pip("wheel", "--no-deps", "--no-build-isolation", "-w", str(into), str(source))
        if done.returncode:
            raise SystemExit(f"bundle: the project's wheel did not build:\n{done.stderr}")
    return next(into.glob("citybrain-*.whl"))


def build(out: Path, cache: Path) -> Path:
    """Writes the bundle into `out` (replaced whole: a half-written bundle is never left
    under that name) and returns it."""
    download(cache)
    versions = locked()
    staging = out.with_name(out.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    wheels = staging / "wheels"
    wheels.mkdir(parents=True)
    for wheel in cache.glob("*.whl"):
        name, version = wheel.name.split("-")[:2]
        if versions.get(_normal(name)) == version:
            shutil.copy2(wheel, wheels / wheel.name)
    present = {_normal(w.name.split("-")[0]) for w in wheels.glob("*.whl")}
    if missing := sorted(set(versions) - present):
        raise SystemExit(f"bundle: no wheel in {cache} for {', '.join(missing)}")
    project_wheel(wheels)
    # install.sh checks every file against these before it touches the destination
    (staging / "SHA256SUMS").write_text("".join(
        f"{hashlib.sha256(w.read_bytes()).hexdigest()}  wheels/{w.name}\n"
        for w in sorted(wheels.glob("*.whl"))), encoding="utf-8")
    shutil.copy2(LOCK, staging / "requirements.lock")
    for name in ("install.sh", "citybrain.service"):
        shutil.copy2(DEPLOY / name, staging / name)
    shutil.copy2(ROOT / "gunicorn.conf.py", staging / "gunicorn.conf.py")
    (staging / "debian-packages.txt").write_text(
        "# Debian packages City Brain needs (install.sh checks them)\n"
        + "\n".join(DEBIAN_PACKAGES) + "\n", encoding="utf-8")
    (staging / "python-version").write_text(
        "%d.%d\n" % sys.version_info[:2], encoding="utf-8")
    (staging / "platform").write_text(f"{platform.system()} {platform.machine()}\n",
                                      encoding="utf-8")
    shutil.rmtree(out, ignore_errors=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging.rename(out)
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "dist" / "citybrain-bundle")
    parser.add_argument("--cache", type=Path, default=_cache_default())
    args = parser.parse_args(argv)
    out = build(args.out.resolve(), args.cache)
    size = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
    print(f"{out} ({len(list((out / 'wheels').glob('*.whl')))} wheels, "
          f"{size / 1e6:.0f} MB, Python {'%d.%d' % sys.version_info[:2]}, "
          f"{platform.machine()}): bash {out / 'install.sh'} DEST")


if __name__ == "__main__":
    main()
