"""Real headless Chromium (Debian's) against the app served on loopback.

Missing Chromium is a failure, never a skip: CI must not go green without these tests.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from werkzeug.serving import make_server

CHROMIUM = os.environ.get("CITYBRAIN_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run",
                  "--disable-quic"]
#: A phone (the phone view's tests): Chromium's emulation of a 390x844 touch screen.
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
         "device_scale_factor": 2}
def phone_card(page, key: str, state: str):
    """The phone view's card of alert ``key`` once the list is drawn again with it in
    ``state``: the first few cards are the most urgent, so a card that left them is shown
    by opening the whole list."""
    page.wait_for_function(
        "([key, state]) => { const c = document.querySelector(`.m-alert[data-key='${key}']`);"
        " return !c || c.dataset.state === state; }", arg=[key, state])
    card = page.locator(f'.m-alert[data-key="{key}"]')
    if not card.count():
        page.locator('.m-more-button').first.tap()
    return card


ARTIFACTS = Path(os.environ.get("CITYBRAIN_ARTIFACTS", "test-artifacts"))
HERE = Path(__file__).resolve().parent
#: The password of the users signed-in tests create (LiveServer.add_user).
PASSWORD = "correct horse battery"


def pytest_collection_modifyitems(config, items):
    """Mark every test under tests/browser/ ``browser``, a new module's too: ``make
    test-fast`` leaves them out with ``-m "not browser"``."""
    for item in items:
        if HERE in item.path.resolve().parents:
            item.add_marker(pytest.mark.browser)


class LiveServer:
    """A Dash app on a free loopback port, in a thread, for one module of tests."""

    def __init__(self, app):
        # the interface font is cut on its first request (~4 s a weight, far more with a
        # second worker's browser busy): cut here, so a module's first page load does not
        # wait on it past its timeout (a cold app is not what these tests are about)
        client = app.server.test_client()
        for weight in (400, 700):
            assert client.get(f"/fonts/citybrain-sans-{weight}.woff2").status_code == 200
        self.app = app
        self.server = make_server("127.0.0.1", 0, app.server, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        #: its users, sessions and audit log (data/access.Access): None without sign-in
        self.access = app.server.extensions.get("citybrain_access")
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()

    def add_user(self, name: str, role: str, districts: Iterable[str] = (),
                 password: str = PASSWORD) -> None:
        """A user of ``role`` (data/access.ROLES) in the server's access file, scoped to
        ``districts`` (district codes; none: the whole city), who signs in with
        ``password``."""
        self.access.add_user(name, role, password, tuple(districts))


@pytest.fixture(scope="module")
def live_server(settings):
    from app import create_app
    with LiveServer(create_app(settings)) as server:
        yield server


@contextmanager
def signed_in_server(settings, access_dir: Path, **changes) -> Iterator[LiveServer]:
    """The app with sign-in on and its own access file in ``access_dir`` (and the settings
    ``changes``), served; create its users with ``server.add_user``. For a module-scoped
    fixture: ``with signed_in_server(settings, tmp_path_factory.mktemp("m")) as server:``."""
    from app import create_app
    app = create_app(settings.with_(auth=True, access_path=access_dir / "access.sqlite",
                                    **changes))
    with LiveServer(app) as server:
        yield server


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: run `make test`, which installs "
                    "Debian's chromium (browser tests never skip)")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        yield b
        b.close()


class PageProbe:
    """A page plus everything it asked the network for and complained about."""

    def __init__(self, page):
        self.page = page
        self.requests: list[str] = []
        self.errors: list[str] = []
        page.on("request", lambda r: self.requests.append(r.url))
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(f"{e}\n{e.stack}"))

    def screenshot(self, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path))
        return path


@pytest.fixture
def probe(browser):
    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    page = context.new_page()
    page.set_default_timeout(20_000)
    yield PageProbe(page)
    context.close()


def sign_in(page, server: LiveServer, name: str, path: str = "/",
            password: str = PASSWORD) -> None:
    """Open ``path``, be sent to the sign-in page, sign in as ``name`` and wait to be back
    (on ``path``, or the page saying the role may not see it)."""
    page.goto(f"{server.url}{path}")
    page.wait_for_url(re.compile(r"/login\?next="))
    page.fill("#username", name)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)


@contextmanager
def signed_in(browser, server: LiveServer, name: str, path: str = "/", *,
              password: str = PASSWORD, timeout: float = 30_000,
              **context_options) -> Iterator[PageProbe]:
    """A browser context of its own (a user's own cookies) signed in as ``name`` on
    ``path``, as a PageProbe (``.page``, ``.errors``, ``.screenshot``), closed at the end.
    ``context_options`` are Playwright's (default a 1920x1080 viewport; a phone:
    ``viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True``)."""
    context = browser.new_context(**({"viewport": {"width": 1920, "height": 1080}}
                                     | context_options))
    try:
        page = context.new_page()
        page.set_default_timeout(timeout)
        probe = PageProbe(page)
        sign_in(page, server, name, path, password)
        yield probe
    finally:
        context.close()
