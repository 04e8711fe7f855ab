"""The offline bundle as a deployer meets it (`make bundle`, docs/DEPLOY.md): built from the
checkout, installed by its install.sh into a fresh folder inside a network namespace with no
network at all, started from another folder, a screen opened in Chromium."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

from bench.servers import _stop, free_port, get_json

pytestmark = pytest.mark.deploy

ROOT = Path(__file__).resolve().parents[2]
#: no network inside: unshare's new network namespace has only a loopback that is down
OFFLINE = ["unshare", "--map-root-user", "--net"]
MAP_PAINTED = """() => {
  const gd = document.querySelector('#ops-map .js-plotly-plot');
  const map = gd && gd._fullLayout && gd._fullLayout.map && gd._fullLayout.map._subplot.map;
  return !!map && map.isStyleLoaded() && map.queryRenderedFeatures().length > 0;
}"""


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist") / "citybrain-bundle"
    subprocess.run([sys.executable, str(ROOT / "deploy" / "bundle.py"), "--out", str(out)],
                   check=True, cwd=ROOT)
    return out


def _install(bundle: Path, dest: Path) -> subprocess.CompletedProcess:
    # --no-compile: byte-compiling ~770 MB of packages takes ~40 s and is pip's own step;
    # the interpreter of this suite's venv stands for Debian's python3 (same version)
    env = {**os.environ, "PYTHON": sys._base_executable}
    return subprocess.run([*OFFLINE, "bash", str(bundle / "install.sh"), "--no-compile",
                           str(dest)], env=env, capture_output=True, text=True)


def test_the_bundle_holds_every_locked_wheel_and_what_a_deployer_needs(bundle):
    names = {p.name for p in bundle.iterdir()}
    assert {"install.sh", "requirements.lock", "debian-packages.txt", "python-version",
            "gunicorn.conf.py", "citybrain.service", "wheels", "SHA256SUMS"} <= names
    wheels = sorted(w.name for w in (bundle / "wheels").glob("*.whl"))
    lock = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    locked = {re.sub(r"[-_.]+", "_", line.split("==")[0]).lower() for line in lock.splitlines()
              if "==" in line and line.endswith("\\")}
    # one wheel per locked package, and the project's own
    assert sorted({w.split("-")[0].lower() for w in wheels} - {"citybrain"}) == sorted(locked)
    assert len(wheels) == len(locked) + 1
    assert "chromium" in (bundle / "debian-packages.txt").read_text()


def test_install_refuses_a_folder_that_holds_something_else(bundle, tmp_path):
    dest = tmp_path / "taken"
    dest.mkdir()
    (dest / "notes.txt").write_text("keep me")
    done = _install(bundle, dest)
    assert done.returncode != 0
    assert "not empty and holds no City Brain install" in done.stderr
    assert [p.name for p in dest.iterdir()] == ["notes.txt"]


def test_a_damaged_wheel_stops_the_install_before_it_writes_anything(bundle, tmp_path):
    damaged = tmp_path / "bundle"
    shutil.copytree(bundle, damaged, copy_function=os.link)
    victim = next((damaged / "wheels").glob("tqdm-*.whl"))
    data = victim.read_bytes()
    victim.unlink()                        # a copy of its own, not the shared hard link
    victim.write_bytes(data[:-100])
    dest = tmp_path / "opt"
    done = _install(damaged, dest)
    assert done.returncode != 0
    assert "damaged files in the bundle" in done.stderr and "tqdm" in done.stderr
    assert "FAILED" in done.stderr and not dest.exists()


def test_the_installed_bundle_serves_every_screen_from_another_folder(bundle, tmp_path,
                                                                     city_path, browser,
                                                                     request):
    dest = tmp_path / "opt" / "citybrain"
    done = _install(bundle, dest)
    assert done.returncode == 0, done.stderr
    assert "installed citybrain" in done.stdout
    version = subprocess.run([str(dest / "bin" / "citybrain"), "--version"], cwd=tmp_path,
                             capture_output=True, text=True, check=True)
    assert version.stdout.split()[-1][0].isdigit(), version.stdout
    # the installed code, not the checkout's, and the same interpreter for every part
    where = subprocess.run([str(dest / "bin" / "python"), "-c", "import app; print(app.__file__)"],
                           cwd=tmp_path, capture_output=True, text=True, check=True)
    assert Path(where.stdout.strip()).is_relative_to(dest)
    assert (dest / "share" / "citybrain" / "gunicorn.conf.py").exists()
    # what the code reads beside itself came along: the report's templates too
    installed = Path(where.stdout.strip()).parent
    for kept in ("report/templates/report.html", "report/templates/report.docx",
                 "geo/boundaries", "layouts/wall_playlist.toml", "assets/citybrain.css"):
        assert (installed / kept).exists(), kept

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shutil.copy(city_path, elsewhere / "city.duckdb")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    # short: a socket's path is <108 bytes; removed with the test's folders
    run = Path(tempfile.mkdtemp(prefix="cb-run-"))
    run.chmod(0o700)
    request.addfinalizer(lambda: shutil.rmtree(run, ignore_errors=True))
    env |= {"CITYBRAIN_DB": "city.duckdb", "CITYBRAIN_AUTH": "0", "CITYBRAIN_BUILD_DEMO": "0",
            "CITYBRAIN_BIND": f"127.0.0.1:{port}", "CITYBRAIN_RUN_DIR": str(run)}
    # the systemd unit's command: gunicorn with the installed settings, which start the
    # store's service from the installed code (gunicorn.conf.py, CITYBRAIN_STORE_WRITES)
    log = tmp_path / "gunicorn.log"
    server = subprocess.Popen([str(dest / "bin" / "gunicorn"), "-c",
                               str(dest / "share" / "citybrain" / "gunicorn.conf.py")],
                              env=env, cwd=elsewhere, stdout=log.open("wb"),
                              stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                assert get_json(url + "/healthz")["status"] == "ok"
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, \
                    log.read_text(errors="replace")[-4000:]
                time.sleep(0.2)
        assert [p.suffix for p in run.iterdir()] == [".sock"]     # the store's service

        def body(path: str) -> bytes:
            with urllib.request.urlopen(url + path, timeout=60) as answer:
                assert answer.status == 200, path
                return answer.read()
        for name in ("citybrain.css", "citybrain.js", "map_recolour.js"):
            assert body(f"/assets/{name}") == (ROOT / "assets" / name).read_bytes()
        assert b'"features"' in body("/geo/districts.geojson")
        assert b"/assets/citybrain.css" in body("/wall")      # the playlist was read

        context = browser.new_context(viewport={"width": 1920, "height": 1080})
        page = context.new_page()
        page.set_default_timeout(60_000)
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        try:
            page.goto(url + "/")
            page.wait_for_selector("#ops-kpis .kpi")
            # the map has drawn the districts' shapes (MapLibre's own account, not plotly's)
            page.wait_for_function(MAP_PAINTED)
            page.wait_for_function("() => document.fonts.check('16px \"CityBrain Sans\"')")
            page.wait_for_load_state("networkidle")
            from tests.browser.conftest import ARTIFACTS
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "bundle-overview.png"))
            assert page.locator("#ops-kpis .kpi").count() == 9
            assert errors == []
        finally:
            context.close()
    finally:
        _stop(server, timeout=60)
    # stopped, gunicorn stopped the store's service: the file is nobody's
    from data.store import Store
    Store(elsewhere / "city.duckdb", writable=True).close()
    assert list(run.iterdir()) == []
