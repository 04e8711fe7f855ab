"""Every screen holds its text in both languages: no text runs out of its box (scrollWidth >
clientWidth), no chart title or label runs off its chart, the page never scrolls sideways,
and every control is within reach. Measured at 1920x1080 only: every screen is a fixed
1920x1080 canvas scaled to the window (assets/citybrain.js fitCanvas), so a smaller desktop
lays it out the same (scr007 and sv002 work at 1366x768, the other size analysts use). The
wall's scenes are measured the same way in tests/browser/test_wall_browser.py (wall001, at
every wall size in both languages)."""

from __future__ import annotations

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from layouts.frame import SCREENS

pytestmark = pytest.mark.browser

DESKTOPS = [(1920, 1080)]
LANGS = ["zh", "en"]

#: What is cut: elements holding text of their own whose content is wider or taller than
#: their box (an ellipsis counts as cut unless the full text is the element's tooltip, as
#: the tables give it), chart texts (titles, annotations, axis and legend labels) outside
#: their chart's drawing, and a chart's legend over its title and as-of line. Plotly's
#: hidden measuring nodes and zero-size boxes are not shown.
OVERFLOW = """() => {
  const shown = (el) => {
    const s = getComputedStyle(el);
    if (s.visibility !== 'visible' || s.display === 'none' || s.opacity === '0') return false;
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0;
  };
  const ownText = (el) => [...el.childNodes].some(
    (n) => n.nodeType === 3 && n.textContent.trim());
  const titled = (el) => {
    for (let e = el; e; e = e.parentElement) {
      if (e.title && e.title.includes(el.textContent.trim())) return true;
    }
    return false;
  };
  const cut = [];
  for (const el of document.querySelectorAll('body *')) {
    if (el.closest('svg, details:not([open]) > :not(summary), .ag-aria-description-container')
        || !ownText(el) || !shown(el)) {
      continue;
    }
    if (getComputedStyle(el).display === 'inline') continue;
    // lines past the box's foot: hidden, or drawn over what lies below (a line's descent
    // past a box of its own line height, as the version's, is no line lost)
    const clipped = el.scrollHeight > el.clientHeight + 3;
    if ((el.scrollWidth > el.clientWidth + 1 || clipped) && !titled(el)) {
      cut.push(el.tagName + '.' + el.className + ': ' + el.textContent.trim().slice(0, 40));
    }
  }
  for (const svg of document.querySelectorAll('.js-plotly-plot .main-svg:first-of-type')) {
    const frame = svg.getBoundingClientRect();
    if (frame.width === 0) continue;
    const texts = svg.parentElement.querySelectorAll(
      'text.gtitle, .annotation-text, .xtick text, .ytick text, .legendtext, .g-xtitle text,' +
      ' .g-ytitle text');
    for (const t of texts) {
      if (!t.textContent.trim()) continue;
      const r = t.getBoundingClientRect();
      if (r.width === 0) continue;
      if (r.left < frame.left - 1 || r.right > frame.right + 1) {
        cut.push('chart ' + svg.closest('[id]').id + ': ' + t.textContent.trim().slice(0, 40));
      }
    }
    // a legend wrapped onto more rows grows upward, over the title's as-of line
    const legend = svg.parentElement.querySelector('.legend');
    const heading = svg.parentElement.querySelector('.g-gtitle');
    if (legend && heading) {
      const l = legend.getBoundingClientRect();
      const h = heading.getBoundingClientRect();
      if (l.height && h.height && l.top < h.bottom - 1 && l.bottom > h.top + 1
          && l.left < h.right && l.right > h.left) {
        cut.push('chart ' + svg.closest('[id]').id + ': its legend over its title');
      }
    }
  }
  const root = document.scrollingElement;
  return {cut: cut, sideways: root.scrollWidth > root.clientWidth + 1};
}"""

#: Every button, link, input and tab of the page is inside the window or inside something
#: that scrolls to it (a pager below the screen that the page cannot scroll to was found).
UNREACHABLE = """() => {
  const scrolls = (el) => {
    for (let e = el.parentElement; e; e = e.parentElement) {
      const s = getComputedStyle(e);
      if (/(auto|scroll)/.test(s.overflowY + s.overflowX)
          && (e.scrollHeight > e.clientHeight || e.scrollWidth > e.clientWidth)) return true;
    }
    return false;
  };
  const out = [];
  for (const el of document.querySelectorAll('button, a[href], input, [role=tab], select')) {
    const s = getComputedStyle(el);
    if (s.visibility !== 'visible' || s.display === 'none') continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    if (el.closest('details:not([open])')) continue;
    const outside = r.bottom > innerHeight + 1 || r.right > innerWidth + 1;
    if (outside && !scrolls(el)) {
      out.push(`${el.tagName}.${el.className} ${el.id || el.textContent.trim().slice(0, 30)
        || el.getAttribute('aria-label')} at ${Math.round(r.right)},${Math.round(r.bottom)}`);
    }
  }
  return out;
}"""


def _settled(page) -> None:
    """Every chart of the screen drawn at its panel's size and no request in flight. A chart
    that sizes itself to its panel (no width of its own) may first be drawn at plotly's
    default width while the page is still being laid out, and resized a moment later: its
    first drawing is not what the user is left with (one that never fits times out here)."""
    page.wait_for_load_state("networkidle")
    # the interface font (served by the app) changes every text's width once it is in: what
    # the user is left with is measured after it
    page.evaluate("() => document.fonts.ready.then(() => true)")
    # (and inside the window: a chart drawn at the default width can stick out while its own
    # size and its drawing already agree, for a moment before the layout catches up)
    page.wait_for_function(
        "() => [...document.querySelectorAll('.js-plotly-plot')]"
        ".every((g) => g._fullLayout && g.data && (g.layout.width"
        " || (Math.abs(g._fullLayout.width - g.clientWidth) <= 2"
        " && g.getBoundingClientRect().right <= innerWidth + 1)))")
    page.wait_for_load_state("networkidle")


def _measured(page) -> tuple[dict, list]:
    """What is cut and what is out of reach once the screen has stopped changing. A late
    answer can redraw a chart after ``_settled``; on a loaded machine one was drawn at
    plotly's default width (its tool bar past the window's edge) and resized a moment later.
    A problem that lasts 10 s is what the user is left with, and is returned."""
    clean = (f"() => {{ const f = ({OVERFLOW})(); return !f.cut.length && !f.sideways"
             f" && !({UNREACHABLE})().length; }}")
    try:
        page.wait_for_function(clean, timeout=10_000, polling=250)
    except PlaywrightTimeout:
        pass
    return page.evaluate(OVERFLOW), page.evaluate(UNREACHABLE)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("size", DESKTOPS, ids=[f"{w}x{h}" for w, h in DESKTOPS])
def test_lay001_every_screen_holds_its_text(browser, live_server, size, lang):
    context = browser.new_context(viewport={"width": size[0], "height": size[1]})
    page = context.new_page()
    page.set_default_timeout(30_000)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    problems = {}
    try:
        for name, path, _ in SCREENS:
            page.goto(f"{live_server.url}/{path}?lang={lang}")
            _settled(page)
            found, unreachable = _measured(page)
            if found["cut"] or found["sideways"] or unreachable:
                problems[name] = {**found, "unreachable": unreachable}
        assert problems == {}
        assert errors == []
    finally:
        context.close()


#: Every frame from the page's start: a chart sizing itself to its panel (no width of its own)
#: whose drawing is not its panel's width, as [id, drawn, panel].
MISDRAWN = """
window.__misdrawn = [];
(function watch() {
  for (const g of document.querySelectorAll('.js-plotly-plot')) {
    const drawn = g._fullLayout && g._fullLayout.width;
    if (drawn && !(g.layout && g.layout.width) && Math.abs(drawn - g.clientWidth) > 2) {
      window.__misdrawn.push([g.closest('[id]').id, Math.round(drawn), g.clientWidth]);
    }
  }
  requestAnimationFrame(watch);
})();
"""


def test_lay002_overview_charts_are_drawn_at_their_panels_width(browser, live_server):
    """The map arrives a moment after the charts around it; its column had no width until
    then, so the charts were first drawn 937 px wide and depended on a resize to fit their
    543 px panels. On a loaded machine that resize was lost for good (lay001 found tool bars
    past the window's edge): the map's column now has the map's width from the start."""
    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    context.add_init_script(MISDRAWN)
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        page.goto(f"{live_server.url}/?lang=en")
        # the five charts and the map, each drawn (``_settled`` holds for none yet)
        page.wait_for_function("() => [...document.querySelectorAll('.js-plotly-plot')]"
                               ".filter((g) => g._fullLayout).length === 6")
        _settled(page)
        assert page.evaluate("window.__misdrawn") == []
    finally:
        context.close()
