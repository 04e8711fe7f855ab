"""The wall in real Chromium: every scene at the four wall sizes (no scrollbars, no panel over
another, no text under 14 px of the 1920x1080 canvas), rotation and alerts, a refresh that
keeps the map's view and the rotation, and a soak.

Screenshots land in test-artifacts/ (wall001-*.png): look at them.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import time
from pathlib import Path

import pytest

from settings import WALL_SCENES
from tests.browser.conftest import ARTIFACTS, LiveServer
from tests.conftest import reopen_recent_events

pytestmark = pytest.mark.browser

#: The wall sizes of the issue, and how many 1920x1080 slots each holds.
SIZES = [((1920, 1080), 1), ((3840, 2160), 1), ((5760, 1080), 3), ((7680, 2160), 2)]

#: Geometry, overflow and text sizes of what the wall shows now, in CSS pixels of the canvas.
MEASURE = """() => {
  const root = document.documentElement;
  const canvas = document.querySelector('.wall-canvas').getBoundingClientRect();
  const scale = parseFloat(getComputedStyle(root).getPropertyValue('--wall-scale'));
  const visible = (el) => {
    const s = getComputedStyle(el);
    if (s.visibility !== 'visible' || s.display === 'none') return false;
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0;
  };
  const box = (el) => { const r = el.getBoundingClientRect();
    return [r.left, r.top, r.right, r.bottom]; };
  const panels = [...document.querySelectorAll(
    '.wall-scene.shown .wall-panel, .wall-scene.shown .wall-scene-title h2')].map(box);
  const overflowing = [...document.querySelectorAll('.wall-scene.shown .wall-panel > div')]
    .filter((el) => el.scrollHeight > el.clientHeight + 1).map((el) => el.id);
  // text wider than its box (an English name in a table cell, "447events" in an alert), or
  // taller where the box hides it (a tile's two-line English name squeezed to one and a half
  // by the tile's height; a glyph's reach past a tight line height is no line lost)
  const ownText = (el) => [...el.childNodes].some(
    (n) => n.nodeType === 3 && n.textContent.trim());
  const cut = [...document.querySelectorAll('.wall-scene.shown *, #wall-banner, #wall-banner *')]
    .filter((el) => !el.closest('svg') && ownText(el) && visible(el)
      && getComputedStyle(el).display !== 'inline'
      && (el.scrollWidth > el.clientWidth + 1 || getComputedStyle(el).overflowY !== 'visible'
          && el.scrollHeight > el.clientHeight + 3))
    .map((el) => el.textContent.trim().slice(0, 40));
  const svgCut = [];
  for (const svg of document.querySelectorAll('.wall-scene.shown .main-svg:first-of-type')) {
    const frame = svg.getBoundingClientRect();
    for (const t of svg.parentElement.querySelectorAll('text')) {
      const r = t.getBoundingClientRect();
      if (t.textContent.trim() && r.width > 0
          && (r.left < frame.left - 1 || r.right > frame.right + 1)) {
        svgCut.push(t.textContent.trim().slice(0, 40));
      }
    }
  }
  const banner = document.getElementById('wall-banner');
  const small = [];
  const texts = [...document.querySelectorAll('.wall-canvas *')].filter((el) =>
    [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim()) && visible(el));
  for (const el of texts) {
    const size = parseFloat(getComputedStyle(el).fontSize);
    if (size < 14) small.push([el.tagName, el.textContent.trim().slice(0, 30), size]);
  }
  return {
    inner: [window.innerWidth, window.innerHeight],
    scroll: [root.scrollWidth, root.scrollHeight, document.body.scrollWidth,
             document.body.scrollHeight],
    canvas: [canvas.left, canvas.top, canvas.right, canvas.bottom], scale: scale,
    shown: document.getElementById('wall-root').dataset.shown.split(','),
    panels: panels, banner: banner.hidden ? null : box(banner),
    texts: texts.length, small: small, overflowing: overflowing, cut: cut.concat(svgCut),
  };
}"""


def _overlap(a, b, tolerance=0.5):
    return (min(a[2], b[2]) - max(a[0], b[0]) > tolerance
            and min(a[3], b[3]) - max(a[1], b[1]) > tolerance)


def _next_frame(page) -> None:
    """Wait until the browser has painted what the page holds now (two animation frames)."""
    page.evaluate("() => new Promise((done) => requestAnimationFrame("
                  "() => requestAnimationFrame(done)))")


def _screenshot(page, path: Path) -> None:
    """The viewport as a PNG, as ``page.screenshot`` takes it but compressed for speed: at
    7680x2160 that takes half the time (~1 s), for a file ~40% bigger."""
    cdp = page.context.new_cdp_session(page)
    try:
        data = cdp.send("Page.captureScreenshot", {"format": "png", "optimizeForSpeed": True})
    finally:
        cdp.detach()
    path.write_bytes(base64.b64decode(data["data"]))


def _within(page, expression: str, seconds: float, arg=None) -> bool:
    """Whether ``expression`` comes true in the page within ``seconds``; the caller asserts
    it, so a failure reads as the test's own."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
    try:
        page.wait_for_function(expression, arg=arg, timeout=seconds * 1000)
    except PlaywrightTimeoutError:
        return False
    return True


def _open_wall(browser, url, size, init_script=None):
    context = browser.new_context(viewport={"width": size[0], "height": size[1]})
    page = context.new_page()
    page.set_default_timeout(30_000)
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"{e}\n{e.stack}"))
    if init_script:
        page.add_init_script(init_script)
    page.goto(url)
    page.wait_for_selector(".wall-scene.shown")
    # every chart drawn (the map's canvas included) before anything is measured
    page.wait_for_function(
        "() => [...document.querySelectorAll('.wall-panel-figure, .wall-panel-map')]"
        ".every((p) => (p.querySelector('.js-plotly-plot') || {})._fullLayout)")
    return context, page, errors


#: Every wall size in Chinese (the four the issue names; 3840x2160 measured every turn alike
#: to 1920x1080 in canvas pixels, but a 4K display is what centres buy, so it stays); English
#: at a single display and at a row of three (the canvas is scaled, so text that fits one
#: size of a slot arrangement fits them all).
WALLS = [(size, slots, "zh") for size, slots in SIZES] + [
    (size, slots, "en") for size, slots in SIZES if size in ((1920, 1080), (5760, 1080))]


@pytest.mark.parametrize("size, slots, lang", WALLS,
                         ids=[f"{w}x{h}-{lang}" for (w, h), _, lang in WALLS])
def test_wall001_every_scene_fits_every_wall_size(browser, live_server, size, slots, lang):
    context, page, errors = _open_wall(browser, f"{live_server.url}/wall?seconds=600&lang={lang}",
                                       size)
    try:
        scenes_seen = set()
        # enough turns for every scene to pass through every slot arrangement (on one screen
        # every other turn is a scene with a standing alert)
        turns = 2 * len(WALL_SCENES)
        frames = page.evaluate(f"() => [...Array({turns}).keys()]"
                               ".map((t) => window.citybrain.wall.frame(t))")
        measured = set()
        cut: dict[int, list[str]] = {}
        for turn in range(turns):
            # a turn changes only which scenes are visible (all are laid out), where, and the
            # banner: a slot arrangement measured at an earlier turn would measure the same
            if tuple(frames[turn]) in measured:
                continue
            measured.add(tuple(frames[turn]))
            page.evaluate(f"() => {{ window.citybrain.wall.turn = {turn}; "
                          "window.citybrain.wall.show(); }")
            _next_frame(page)
            m = page.evaluate(MEASURE)
            scenes_seen.update(m["shown"])
            w, h = m["inner"]
            assert m["shown"] == frames[turn]
            assert len(m["shown"]) == slots
            assert max(m["scroll"][0], m["scroll"][2]) <= w and \
                max(m["scroll"][1], m["scroll"][3]) <= h, "scrollbars"
            left, top, right, bottom = m["canvas"]
            assert left >= -0.5 and top >= -0.5 and right <= w + 0.5 and bottom <= h + 0.5
            # scaled, not stretched: the canvas keeps the slots' 16:9 shape ...
            assert abs((right - left) / (bottom - top) - slots * 1920 / 1080) < 0.01
            # ... and fills the display in one direction
            assert min(abs(right - left - w), abs(bottom - top - h)) < 1
            boxes = m["panels"] + ([m["banner"]] if m["banner"] else [])
            for i, a in enumerate(boxes):
                for b in boxes[i + 1:]:
                    assert not _overlap(a, b), f"turn {turn}: {a} overlaps {b}"
            assert m["overflowing"] == [], f"turn {turn}: cut off"
            if m["cut"]:
                cut[turn] = m["cut"]
            assert m["texts"] > 50
            assert m["small"] == [], f"turn {turn}: text under 14 px: {m['small'][:5]}"
            svg_small = page.evaluate(
                "() => [...document.querySelectorAll('.wall-scene.shown svg text')]"
                ".filter((t) => t.textContent.trim() && t.getBoundingClientRect().width > 0)"
                ".map((t) => parseFloat(t.style.fontSize || getComputedStyle(t).fontSize))"
                ".filter((s) => s < 14)")
            assert svg_small == [], f"turn {turn}: chart text under 14 px"
            if turn < 6:
                ARTIFACTS.mkdir(parents=True, exist_ok=True)
                _screenshot(page, ARTIFACTS / f"wall001-{size[0]}x{size[1]}-{lang}-{turn}.png")
        assert cut == {}, "text cut: wider than its box, or taller where the box hides it"
        # every scene of the playlist, and those with standing alerts (the emergency scene's
        # red flood warning)
        assert scenes_seen == set(page.evaluate("() => window.citybrain.wall.pool()"))
        assert "emergency" in scenes_seen
        assert errors == []
    finally:
        context.close()


def test_wall002_rotates_and_brings_alert_scenes_forward(browser, live_server):
    context, page, errors = _open_wall(browser, f"{live_server.url}/wall?seconds=1",
                                       (1920, 1080))
    try:
        banner = page.locator("#wall-banner")
        assert banner.is_visible()
        alerts = page.evaluate("() => window.citybrain.wall.alerts")
        text = banner.inner_text()     # one standing alert, its number and how many there are
        assert any(a["text"] in text for a in alerts) and f"/{len(alerts)}条" in text
        pinned = list(dict.fromkeys(a["scene"] for a in alerts))
        # the demo's red flood warning is the most severe alert, then the surge
        assert pinned[:2] == ["emergency", "grid"]
        first = page.evaluate("() => window.citybrain.wall.turn")
        # ~1 a second: 4 turns within 6 s
        assert _within(page, "f => window.citybrain.wall.turn - f >= 4", 6, arg=first), \
            page.evaluate("() => window.citybrain.wall.turn") - first
        # a single screen: every other turn shows a scene with a standing alert
        turns = page.evaluate("""() => { const w = window.citybrain.wall;
            return [...Array(8).keys()].map((t) => w.frame(t)[0]); }""")
        assert all(turns[i] in pinned for i in range(0, 8, 2))
        assert {turns[i] for i in range(1, 8, 2)} <= {"overview", "economy", "services",
                                                       "tasks"}
        assert errors == []
    finally:
        context.close()


@pytest.fixture(scope="module")
def reload_server(settings, city_path, tmp_path_factory):
    """An app refreshing every 3 s on its own copy of the test city, and a changed copy to
    load: ``reload()`` renames it over the served file, as a load does."""
    import os
    import shutil

    from app import create_app

    folder = tmp_path_factory.mktemp("reload")
    served = shutil.copy(city_path, folder / "served.duckdb")
    changed = reopen_recent_events(city_path, folder / "changed.duckdb")
    app = create_app(settings.with_(db_path=served, wall_refresh_seconds=3))
    with LiveServer(app) as server:
        server.reload = lambda: os.replace(changed, served)
        yield server


#: Counts plotly draws per graph, so a test can tell a redraw from none.
COUNT_DRAWS = """
window.__draws = {};
const wrap = () => {
  if (!window.Plotly || window.Plotly.__wrapped) { return; }
  for (const name of ['react', 'newPlot']) {
    const original = window.Plotly[name];
    window.Plotly[name] = function (gd) {
      const id = (typeof gd === 'string') ? gd : (gd.id || (gd.parentNode || {}).id);
      window.__draws[id] = (window.__draws[id] || 0) + 1;
      return original.apply(this, arguments);
    };
  }
  window.Plotly.__wrapped = true;
};
document.addEventListener('DOMContentLoaded', () => { wrap(); setInterval(wrap, 50); });
"""


def test_wall003_refresh_sends_only_changes_and_keeps_view_and_rotation(browser,
                                                                        reload_server):
    # three slots at scale 1: the grid scene (its alert) first, the overview and its map next
    context, page, errors = _open_wall(browser, f"{reload_server.url}/wall?seconds=600",
                                       (5760, 1080), init_script=COUNT_DRAWS)
    try:
        statuses = []

        def is_refresh(response):
            return ("_dash-update-component" in response.url and response.request.post_data
                    and "wall-refresh" in response.request.post_data)

        page.on("response", lambda r: statuses.append(r.status) if is_refresh(r) else None)
        while len(statuses) < 2:                  # two idle refreshes
            page.wait_for_event("response", predicate=is_refresh)
        assert statuses and set(statuses) == {204}, statuses   # nothing changed: nothing sent
        graph = "document.querySelector('#wall-overview-map .js-plotly-plot')"
        read_view = f"() => {{ const m = {graph}._fullLayout.map; " \
                    "return [m.zoom, m.center.lon, m.center.lat]; }"
        assert page.evaluate("() => document.getElementById('wall-root').dataset.shown") \
            .split(",")[1] == "overview"
        drawn = page.evaluate(read_view)
        # somebody at the wall drags the map: a view the figure does not have
        box = page.locator("#wall-overview-map").bounding_box()
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        page.mouse.move(x, y)
        page.mouse.down()
        page.mouse.move(x + 120, y + 80, steps=8)
        page.mouse.up()
        # the drag (and its inertia) is over, and plotly has read the view off the map
        page.wait_for_function(
            f"d => {{ const m = {graph}._fullLayout.map; return !m._subplot.map.isMoving() && "
            "(Math.abs(m.center.lon - d[1]) > 1e-3 || Math.abs(m.center.lat - d[2]) > 1e-3); }",
            arg=drawn)
        dragged = page.evaluate(read_view)
        assert dragged[1:] != pytest.approx(drawn[1:], abs=1e-3)
        draws = page.evaluate("() => ({...window.__draws})")
        turn = page.evaluate("() => window.citybrain.wall.turn")
        reload_server.reload()
        page.wait_for_function("() => (window.__draws['wall-grid-funnel'] || 0) > "
                               f"{draws.get('wall-grid-funnel', 0)}", timeout=40_000)
        # the same answer redraws the map (asserted below), and a frame later everything it
        # redraws has been: a scene redrawn in error would be by then
        _within(page, "n => (window.__draws['wall-overview-map'] || 0) > n", 5,
                arg=draws.get("wall-overview-map", 0))
        _next_frame(page)
        after = page.evaluate("() => ({...window.__draws})")
        redrawn = {k for k in after if after[k] > draws.get(k, 0)}
        assert {"wall-overview-map", "wall-grid-funnel"} <= redrawn
        assert not {k for k in redrawn if k.split("-")[1] in ("economy", "environment",
                                                                "services")}, redrawn
        assert page.evaluate(read_view) == pytest.approx(dragged, abs=1e-6)
        assert page.evaluate("() => window.citybrain.wall.turn") >= turn   # not restarted
        assert errors == []
    finally:
        context.close()


#: How long the soak rotates: 20 s in the suite, 10 minutes in `make soak`.
SOAK_SECONDS = int(os.environ.get("CITYBRAIN_SOAK_SECONDS", "20"))

#: Every scene of the wall's pool shown at least once since the first call.
EVERY_SCENE_SHOWN = """() => {
  const w = window.citybrain.wall;
  window.__shown = window.__shown || new Set();
  w.frame(w.turn).forEach((scene) => window.__shown.add(scene));
  return w.pool().every((scene) => window.__shown.has(scene));
}"""


@pytest.mark.soak
def test_wall004_soak_rotation_every_second(browser, settings):
    """Rotation every second and a refresh every 5 s for SOAK_SECONDS (20 s unless
    CITYBRAIN_SOAK_SECONDS says otherwise): no console error, JS heap growth under 10%."""
    from app import create_app
    with LiveServer(create_app(settings.with_(wall_refresh_seconds=5))) as server:
        context, page, errors = _open_wall(browser, f"{server.url}/wall?seconds=1",
                                           (1920, 1080))
        try:
            cdp = context.new_cdp_session(page)
            cdp.send("HeapProfiler.enable")

            def heap():
                cdp.send("HeapProfiler.collectGarbage")
                return cdp.send("Runtime.getHeapUsage")["usedSize"]

            page.wait_for_function(EVERY_SCENE_SHOWN, timeout=60_000)   # warm-up
            start, samples, t0 = heap(), [], time.monotonic()
            turn0 = page.evaluate("() => window.citybrain.wall.turn")
            every = min(60, SOAK_SECONDS / 10)     # a heap sample a minute, ten at least
            while time.monotonic() - t0 < SOAK_SECONDS:
                # a sleep on purpose: the soak is time passing while the wall rotates
                page.wait_for_timeout(min(every, max(1, SOAK_SECONDS - (
                    time.monotonic() - t0))) * 1000)
                samples.append((round(time.monotonic() - t0), heap()))
            end = samples[-1][1]
            turns = page.evaluate("() => window.citybrain.wall.turn") - turn0
            growth = (end - start) / start
            report = {"seconds": SOAK_SECONDS, "turns": turns, "heap_start": start,
                      "heap_end": end, "growth": round(growth, 4), "samples": samples,
                      "errors": errors[:5]}
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            (ARTIFACTS / "wall004-soak.json").write_text(json.dumps(report, indent=1))
            print(f"\nwall soak: {report}")
            assert turns >= SOAK_SECONDS * 0.8    # it really rotated every second
            assert errors == []
            # not scaled to the soak's length: the heap after a forced collection moves by
            # up to 8% within a minute (24.8-26.8 MB), more than a tenth of 10%, so a leak
            # slower than 10% a minute shows in `make soak` (10 minutes) only
            assert growth < 0.10, report
        finally:
            context.close()


#: The grid scene's event count and the overview scene's closure rate, as the wall shows them.
WALL_TILES = """() => Object.fromEntries(['event_count', 'closure_rate'].map((code) => [code,
  (document.querySelector(`.wall-tile[data-code="${code}"] .wall-tile-value`) || {})
    .textContent]))"""


def test_wall005_a_posted_event_is_on_the_wall_within_its_refresh(browser, settings,
                                                                  city_path, tmp_path):
    """A hotline system posts ten new open events to the feed API of a server that writes
    its store in place: they are in the queries at once (the answer comes after the commit)
    and on the wall's counters within the wall's refresh interval plus 5 s."""
    import shutil
    import urllib.request

    import pandas as pd

    from app import create_app
    from data.access import Access
    from tests.test_in_place import FILE_COLUMNS
    city = shutil.copy(city_path, tmp_path / "city.duckdb")
    token = Access(tmp_path / "access.sqlite").add_feed_token("hotline", "events")
    refresh = 10
    app = create_app(settings.with_(db_path=city, access_path=tmp_path / "access.sqlite",
                                    wall_refresh_seconds=refresh, store_writes="in-place"))
    runtime = app.citybrain_runtime
    try:
        # open events reported an hour before the city's as-of time, under new ids
        rows = runtime.store.df(f"SELECT {', '.join(FILE_COLUMNS)} FROM grid_events "
                                "ORDER BY event_id LIMIT 10")
        shift = pd.Timestamp(runtime.as_of) - pd.Timedelta(hours=1) - rows["reported_at"]
        for stage in ("reported_at", "accepted_at", "deadline_at"):
            rows[stage] = rows[stage] + shift
        for stage in ("dispatched_at", "handled_at", "verified_at", "closed_at"):
            rows[stage] = None
        rows["satisfaction"] = None
        rows["event_id"] += 996_000_000
        with LiveServer(app) as server:
            context, page, errors = _open_wall(browser, f"{server.url}/wall?seconds=600",
                                               (1920, 1080))
            try:
                before = page.evaluate(WALL_TILES)
                count = runtime.queries.store.rows("SELECT count(*) FROM grid_events")[0][0]
                request = urllib.request.Request(
                    server.url + "/api/v1/feeds/events", method="POST",
                    data=rows[FILE_COLUMNS].to_csv(index=False).encode(),
                    headers={"Authorization": f"Bearer {token}", "Content-Type": "text/csv"})
                with urllib.request.urlopen(request, timeout=60) as answer:
                    assert json.loads(answer.read())["accepted"] == 10
                posted = time.monotonic()
                assert runtime.queries.store.rows(
                    "SELECT count(*) FROM grid_events")[0][0] == count + 10
                page.wait_for_function(
                    f"b => {{ const now = ({WALL_TILES})(); return now.event_count !== "
                    "b.event_count && now.closure_rate !== b.closure_rate; }",
                    arg=before, timeout=(refresh + 5) * 1000)
                took = time.monotonic() - posted
                after = page.evaluate(WALL_TILES)
                assert _number(after["event_count"]) == _number(before["event_count"]) + 10
                assert _number(after["closure_rate"]) < _number(before["closure_rate"])
                assert took < refresh + 5 and errors == []
            finally:
                context.close()
    finally:
        runtime.store.close()


def _number(text: str) -> float:
    return float("".join(c for c in text if c.isdigit() or c == "."))


#: What the wall shows of its alerts now: the banner's alert and whether its line fits, the
#: alert list's items shown and any whose text is cut.
ALERTS_SHOWN = """() => {
  const banner = document.getElementById('wall-banner');
  const items = [...document.querySelectorAll('.wall-alert-item')]
    .filter((li) => getComputedStyle(li).display !== 'none');
  return {
    banner: banner.dataset.key, href: banner.getAttribute('href'),
    bannerFits: banner.scrollWidth <= banner.clientWidth,
    bannerSize: parseFloat(getComputedStyle(banner).fontSize),
    listed: items.map((li) => li.dataset.key),
    cut: items.filter((li) => li.scrollHeight > li.clientHeight + 1
                      || li.scrollWidth > li.clientWidth + 1).map((li) => li.dataset.key),
    page: (document.querySelector('.wall-alert-page') || {}).textContent,
  };
}"""


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_wall006_every_standing_alert_is_shown_and_fits(browser, live_server, lang):
    """The banner steps through every standing alert on its own (every alert's seconds: 8 s at
    most) and the alert list turns its pages, so none of them is never shown; no banner line
    or list item is cut, in either language."""
    context, page, errors = _open_wall(
        browser, f"{live_server.url}/wall?seconds=600&lang={lang}", (1920, 1080))
    try:
        # the alerts, the step and what is shown read at one moment: the banner may turn
        # (or a refresh arrive) between two of the test's calls into the page
        at_once = f"() => [window.citybrain.wall.alerts, window.citybrain.wall.step, " \
                  f"({ALERTS_SHOWN})()]"
        alerts, step, first = page.evaluate(at_once)
        keys = [a["key"] for a in alerts]
        assert len(keys) > 2 * 3             # more than the list's two pages and the banner
        pages = -(-len(keys) // 3)

        def expect(step):       # the banner's alert and the list's page at a step
            page_at = step % pages
            return keys[step % len(keys)], keys[3 * page_at:3 * page_at + 3]

        assert (first["banner"], first["listed"]) == expect(step)
        # the banner and the list turn by themselves ...
        assert _within(page, "s => window.citybrain.wall.step > s", 10, arg=step)
        alerts_now, step, shown = page.evaluate(at_once)
        assert [a["key"] for a in alerts_now] == keys
        assert (shown["banner"], shown["listed"]) == expect(step)
        # ... and, stepped on through every alert, show each of them, none cut
        banners, listed = {first["banner"], shown["banner"]}, set(first["listed"])
        for _ in range(len(keys)):
            page.evaluate("() => window.citybrain.wall.tick(true)")
            _next_frame(page)
            now = page.evaluate(ALERTS_SHOWN)
            banners.add(now["banner"])
            listed.update(now["listed"])
            assert now["bannerFits"] and now["cut"] == [], now
            assert now["bannerSize"] >= 16
            assert now["href"] == next(a["href"] for a in alerts if a["key"] == now["banner"])
        assert banners == set(keys) and listed == set(keys)
        assert now["page"] in {f"第{i}/{pages}页" for i in range(1, pages + 1)} | \
            {f"page {i} of {pages}" for i in range(1, pages + 1)}
        _screenshot(page, ARTIFACTS / f"wall006-alerts-{lang}.png")
        assert errors == []
    finally:
        context.close()


def test_wall007_an_alerts_link_opens_the_overview_on_its_area_and_window(browser,
                                                                          live_server):
    """A click on the banner (a district's on-time rate past its line) opens the overview
    filtered to that district, the alert's window and indicator: its KPI card shows the
    alert's value. An item of the alert list links the same way."""
    from tests.conftest import TEST_NOW
    context, page, errors = _open_wall(browser, f"{live_server.url}/wall?seconds=600",
                                       (1920, 1080))
    try:
        alerts = page.evaluate("() => window.citybrain.wall.alerts")
        at = next(i for i, a in enumerate(alerts) if a["key"].startswith(
            "threshold:on_time_rate:"))
        district = alerts[at]["key"].split(":")[-1]
        items = page.evaluate("() => [...document.querySelectorAll('.wall-alert-item a')]"
                              ".map((a) => a.getAttribute('href'))")
        assert items == [a["href"] for a in alerts]
        page.evaluate(f"() => {{ const w = window.citybrain.wall; w.step = {at}; "
                      "w.tick(false); }")
        value = alerts[at]["text"].split("按期办结率 ")[1].split("（")[0]     # 48.7%
        page.locator("#wall-banner").click()
        page.wait_for_selector("#ops-kpis .kpi")
        page.wait_for_function("() => location.pathname === '/'")
        query = dict(part.split("=") for part in page.evaluate(
            "() => location.search.slice(1)").split("&"))
        end = TEST_NOW.date()
        start = end - dt.timedelta(days=29)
        assert query["district"] == district and query["indicator"] == "on_time_rate"
        assert (query["from"], query["to"]) == (start.isoformat(), end.isoformat())
        card = page.locator("""#ops-kpis .kpi[id*='"code":"on_time_rate"'] .kpi-value""")
        assert _within(page, "v => [...document.querySelectorAll('#ops-kpis .kpi-value')]"
                             ".some((el) => el.textContent.trim() === v)", 20, arg=value)
        assert card.inner_text().strip() == value
        assert errors == []
    finally:
        context.close()
