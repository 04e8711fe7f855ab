"""What an install on a fresh machine relies on: every package the code imports is declared in
pyproject.toml (a package that is only here by chance, as another's dependency or installed by
hand, would fail on the deployer's machine), and the locks pin every declared one."""

from __future__ import annotations

import ast
import importlib.metadata
import os
import re
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
FIRST_PARTY = set(PYPROJECT["tool"]["ruff"]["lint"]["isort"]["known-first-party"]) | {
    "tests", "bench"}
APP = ["app.py", "cli.py", "gunicorn.conf.py", "web", "callbacks", "report", "charts",
       "layouts", "data", "geo", "settings", "i18n"]


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~;\[ ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def _imported(parts: list[str]) -> set[str]:
    """Top-level modules imported anywhere in these files and folders (not the standard
    library's, not ours)."""
    files = [p for part in parts for p in ([ROOT / part] if part.endswith(".py")
                                           else (ROOT / part).rglob("*.py"))]
    found = set()
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return found - set(sys.stdlib_module_names) - FIRST_PARTY - {"__future__"}


def _undeclared(modules: set[str], declared: set[str]) -> dict[str, list[str]]:
    owners = importlib.metadata.packages_distributions()
    return {m: sorted({d.lower().replace("_", "-") for d in owners.get(m, [m])})
            for m in sorted(modules)
            if not {d.lower().replace("_", "-") for d in owners.get(m, [m])} & declared}


def test_every_package_the_app_imports_is_declared():
    # cnmaps: `citybrain geo cn` only, the optional extra "cn" (about 250 MB of boundaries)
    declared = {_name(r) for r in PYPROJECT["project"]["dependencies"]
                + PYPROJECT["project"]["optional-dependencies"]["cn"]}
    assert _undeclared(_imported(APP), declared) == {}


def test_every_package_the_tests_and_bench_import_is_declared_for_them():
    declared = {_name(r) for r in PYPROJECT["project"]["dependencies"]
                + PYPROJECT["project"]["optional-dependencies"]["test"]}
    assert _undeclared(_imported(["tests", "bench"]), declared) == {}


def test_the_locks_pin_every_declared_package_with_hashes():
    for lock, groups in (("requirements.lock", ["dependencies"]),
                         ("requirements-test.lock", ["dependencies", "test"])):
        text = (ROOT / lock).read_text(encoding="utf-8")
        pinned = {m.group(1).lower().replace("_", "-"): m.group(2)
                  for m in re.finditer(r"^([A-Za-z0-9_.-]+)==(\S+) \\$", text, re.M)}
        wanted = {_name(r) for group in groups for r in (
            PYPROJECT["project"]["dependencies"] if group == "dependencies"
            else PYPROJECT["project"]["optional-dependencies"][group])}
        assert sorted(wanted - set(pinned)) == [], lock
        # every pinned package carries at least one hash (pip --require-hashes refuses others)
        blocks = re.split(r"\n(?=[A-Za-z0-9_.-]+==)", text)[1:]
        assert len(blocks) == len(pinned), lock
        assert all("--hash=sha256:" in block for block in blocks), lock
        # the installed versions are the locked ones (make installs from the lock)
        if lock == "requirements-test.lock":
            drift = {name: (version, importlib.metadata.version(name))
                     for name, version in pinned.items() if name in wanted
                     and importlib.metadata.version(name) != version}
            assert drift == {}


@pytest.mark.deploy
def test_the_installed_wheel_serves_from_another_folder(city_path, tmp_path):
    """The wheel carries what the app reads beside its code (assets/, the boundaries, the
    wall's playlist): installed into a folder of its own and started from elsewhere, it
    serves the page, its scripts and styles, and the map's shapes."""
    import shutil
    import subprocess
    import time
    import urllib.request

    from bench.servers import _stop, free_port, get_json
    # built from a copy: setuptools would reuse a stale build/ folder of the checkout
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "var", "test-artifacts", "out", "*.duckdb*", "__pycache__",
        "*.egg-info", ".mypy_cache", ".ruff_cache"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w",
                    str(tmp_path / "wheel"), str(source)], check=True)
    wheel = next((tmp_path / "wheel").glob("citybrain-*.whl"))
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-index",
                    "--quiet", "--target", str(target), str(wheel)], check=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shutil.copy(city_path, elsewhere / "city.duckdb")
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(target), "CITYBRAIN_DB": "city.duckdb",
           "CITYBRAIN_AUTH": "0", "CITYBRAIN_BUILD_DEMO": "0", "CITYBRAIN_PORT": str(port)}
    where = subprocess.run([sys.executable, "-c", "import app; print(app.__file__)"], env=env,
                           cwd=elsewhere, capture_output=True, text=True, check=True)
    assert Path(where.stdout.strip()).parent == target      # the wheel's code, not ours
    server = subprocess.Popen([sys.executable, "-m", "cli", "serve"], env=env, cwd=elsewhere,
                              stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                assert get_json(url + "/healthz")["status"] == "ok"
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline
                time.sleep(0.2)

        def body(path: str) -> bytes:
            with urllib.request.urlopen(url + path, timeout=30) as answer:
                assert answer.status == 200, path
                return answer.read()
        page = body("/").decode()
        for name in ("citybrain.css", "citybrain.js", "map_recolour.js"):
            assert f"/assets/{name}" in page
            assert body(f"/assets/{name}") == (ROOT / "assets" / name).read_bytes()
        assert b'"features"' in body("/geo/districts.geojson")
        assert b"/assets/citybrain.css" in body("/wall")      # the playlist was read
    finally:
        _stop(server)
