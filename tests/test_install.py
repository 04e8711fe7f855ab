"""What an install on a fresh machine relies on: every package the code imports is declared in
pyproject.toml (a package that is only here by chance, as another's dependency or installed by
hand, would fail on the deployer's machine), and the locks pin every declared one."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
import tomllib
from pathlib import Path

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


# The wheel installed outside the checkout, with every dependency from the offline bundle and
# no network: tests/browser/test_bundle_browser.py.
