"""The leader's phone view (/m): one column at 390 px, legible without zooming. Its header
(city, as-of, language, sign-out), the area shown and the links to the others, the KPI
cards, the open alerts with their holders and one-tap acknowledge / assign / close, the open
督办, and the area's map. Rows come from charts/ through callbacks/phone.py."""

from __future__ import annotations

from dash import dcc, html

import i18n
from layouts import frame
from layouts.command import ROW_STEPS
from layouts.ids import Phone

#: The map's canvas: the phone's width less the page's margins; below the map, the colour
#: bar across and the no-data key (MAP_KEY_ROOM px).
MAP_SIZE = (366, 380)
MAP_KEY_ROOM = 86
MAP_FIT = (MAP_SIZE[0], MAP_SIZE[1] - MAP_KEY_ROOM)
#: The alerts shown before "+n more" (they come escalated and overdue first).
FIRST_ALERTS = 6
#: The steps a phone offers (the rest are the /command screen's): what a leader does away
#: from the centre.
PHONE_STEPS = ("acknowledge", "assign", "close")
#: The alerts and 督办 are drawn again this often (ms): a phone left open stays current.
REFRESH_MS = 60_000
#: Touch: no scroll zoom (the page scrolls), no drag (a finger on the map scrolls the page),
#: no tool bar; a tap still names an area and opens it.
MAP_CONFIG = {"scrollZoom": False, "displayModeBar": False, "doubleClick": False}


def narrow_map(figure):
    """The overview's map made for a phone's width: no title (the section's heading says
    it), no drag (a finger scrolls the page), the colour bar across below the map and the
    no-data key beside it, instead of a column of their own at the right."""
    below = -4 / (MAP_SIZE[1] - MAP_KEY_ROOM)      # paper y just under the map
    figure.update_layout(title=None, dragmode=False,
                         margin={"l": 0, "r": 0, "t": 0, "b": MAP_KEY_ROOM,
                                 "autoexpand": False})
    figure.update_traces(selector=0, colorbar={
        "orientation": "h", "x": 1, "xanchor": "right", "y": below, "yanchor": "top",
        "len": 0.62, "thickness": 10, "title": {"side": "top"}})
    for shape in figure.layout.shapes:
        shape.update(xanchor=0, yanchor=below - 0.09)
    for words in figure.layout.annotations:
        words.update(x=0, y=below - 0.09)
    return figure


def header(*, lang: str, city_name: str, as_of: str, is_demo: bool, lang_href: str,
           full_href: str, user: str | None, logout_href: str, csrf_token: str):
    return html.Header(className="m-header", children=[
        html.Div(className="m-header-top", children=[
            html.H1([html.Span(city_name, className="city"), " ", i18n.t("title", lang)]),
            html.A(i18n.t("language", lang), href=lang_href, id=Phone.LANG,
                   className="lang-link m-lang"),
        ]),
        html.Div(className="m-header-sub", children=[
            html.Span([i18n.t("as_of", lang), " ", html.B(as_of)], className="as-of"),
            html.Span(i18n.t("demo", lang), className="demo-badge") if is_demo else None,
            html.A(i18n.t("m_full", lang), href=full_href, className="m-full"),
            frame.sign_out(user, logout_href, csrf_token, lang) if user else None,
        ]),
    ])


def scope(lang: str, area: str, others: list[tuple[str, str]]):
    """The area shown, and the others as links (a summary that opens: 18 districts do not
    fit a phone's width as buttons)."""
    return html.Details(className="m-scope", children=[
        html.Summary([html.Span(i18n.t("m_scope", lang), className="m-label"),
                      html.B(area), html.Span(i18n.t("m_choose_scope", lang),
                                              className="m-more")]),
        html.Nav(className="m-scope-links", children=[
            dcc.Link(name, href=href, className="m-chip") for name, href in others]),
    ])


def section(title: str, count_id: str | None, body_id: str, extra=None):
    return html.Section(className="m-section", children=[
        html.H2([title, html.Span(id=count_id, className="m-count") if count_id else None]),
        *([extra] if extra is not None else []),
        html.Div(id=body_id, className=f"{body_id}-body"),
    ])


def _step_button(step: str, key: str, lang: str):
    return html.Button(i18n.t(f"cmd_{step}", lang), className=f"m-btn m-btn-{step}",
                       id={"type": Phone.STEP, "step": step, "key": key}, n_clicks=0)


def alert_cards(rows: list[dict], lang: str, may_act: bool, district_href) -> list:
    """The open alerts as cards (``rows``: charts/command.screen_alerts): state, the alert's
    line (a link to its district's view when it has one), district and holder, and the
    steps this user may take (acknowledge, assign, close)."""
    if not rows:
        return [html.P(i18n.t("cmd_none", lang), className="hint m-none")]
    cards = [_alert_card(row, lang, may_act, district_href) for row in rows]
    if len(cards) <= FIRST_ALERTS:
        return cards
    return [*cards[:FIRST_ALERTS], html.Details(className="m-rest", children=[
        html.Summary(i18n.t("cmd_more", lang).format(n=len(cards) - FIRST_ALERTS)),
        *cards[FIRST_ALERTS:]])]


def _alert_card(row: dict, lang: str, may_act: bool, district_href):
    """One alert's card."""
    late = row["escalated"] or row["overdue"]
    href = district_href(row["district"]) if row.get("district") else None
    steps = [s for s in ROW_STEPS[row["state"]] if s in PHONE_STEPS] if may_act else []
    return html.Article(
        className="m-card m-alert" + (" late" if late else ""),
        **{"data-key": row["key"], "data-state": row["state"]}, children=[
            html.Div(className="m-card-head", children=[
                html.Span(row["state_label"], className=f"cmd-state cmd-state-{row['state']}"
                          + (" late" if late else "")),
                html.Span(row["district_name"], className="m-district")]),
            html.P(dcc.Link(row["text"], href=href) if href else row["text"],
                   className="m-alert-text"),
            html.P(row["holder"], className="m-holder"),
            html.Div(className="m-steps", children=[
                _step_button(step, row["key"], lang) for step in steps]) if steps
            else None])


def assign_form(lang: str, departments: list[dict], deadline: str):
    """The assign form, hidden until an alert's 指派 is tapped."""
    return html.Div(id=Phone.FORM, className="m-form", hidden=True, children=[
        html.P(id=Phone.CHOSEN_TEXT, className="m-chosen"),
        html.Label([i18n.t("cmd_department", lang),
                    dcc.Dropdown(id=Phone.DEPARTMENT, options=departments, clearable=False,
                                 searchable=False,
                                 placeholder=i18n.t("cmd_department", lang))]),
        html.Label([i18n.t("cmd_deadline", lang),
                    dcc.Input(id=Phone.DEADLINE, type="text", value=deadline,
                              inputMode="numeric", placeholder="2026-12-05 18:00")]),
        html.Label([i18n.t("cmd_note", lang),
                    dcc.Input(id=Phone.NOTE, type="text", maxLength=500)]),
        html.Div(className="m-steps", children=[
            html.Button(i18n.t("cmd_assign", lang), id=Phone.ASSIGN, n_clicks=0,
                        className="m-btn m-btn-assign m-assign-submit"),
            html.Button(i18n.t("m_cancel", lang), id=Phone.CANCEL, n_clicks=0,
                        className="m-btn m-btn-cancel"),
        ]),
    ])


def supervision_cards(rows: list[dict], lang: str) -> list:
    """The open 督办 (charts/supervision.open_rows), overdue first: the event, its district
    and the department holding it, the deadline and how often it was reminded."""
    if not rows:
        return [html.P(i18n.t("sv_open_none", lang), className="hint m-none")]
    ordered = sorted(rows, key=lambda r: (not r["overdue"], r["deadline"] or ""))
    return [html.Article(className="m-card m-sv" + (" late" if r["overdue"] else ""), children=[
        html.P(i18n.t("m_supervision_line", lang).format(
            event=r["event_id"], district=r["district"], department=r["department"])),
        html.P([html.Span(i18n.t("sv_overdue", lang), className="m-late-badge")
                if r["overdue"] else None,
                i18n.t("m_supervision_due", lang).format(
                    deadline=(r["deadline"] or "")[5:16].replace("T", " "),
                    reminders=r["reminders"])], className="m-holder"),
    ]) for r in ordered]


def page(*, lang: str, head, scope_part, departments: list[dict], deadline: str,
         may_act: bool):
    """The phone view: its own URL and refresh, then header, area, KPI cards, alerts, 督办
    and the area's map."""
    return html.Div(id=f"{Phone.PREFIX}-root", className=f"m-screen lang-{lang}", children=[
        dcc.Location(id=Phone.URL, refresh=False),
        dcc.Interval(id=Phone.TICK, interval=REFRESH_MS),
        dcc.Store(id=Phone.CHOSEN), dcc.Store(id=Phone.VERSION, data=0),
        head,
        html.Div(id=Phone.SCOPE, children=scope_part),
        section(i18n.t("m_kpis", lang), None, Phone.KPIS,
                extra=html.P(i18n.t("m_tap_kpi", lang), className="hint")),
        section(i18n.t("m_alerts", lang), Phone.ALERT_COUNT, Phone.ALERTS,
                extra=html.Div([html.Div(id=Phone.MESSAGE, className="m-message",
                                         role="status"),
                                assign_form(lang, departments, deadline) if may_act
                                else html.Div(id=Phone.FORM, hidden=True)])),
        section(i18n.t("m_supervision", lang), Phone.SUPERVISION_COUNT, Phone.SUPERVISION),
        html.Section(className="m-section", children=[
            html.H2(id=Phone.MAP_TITLE),
            dcc.Graph(id=Phone.MAP, config=MAP_CONFIG, className="m-map",
                      style={"height": f"{MAP_SIZE[1]}px"}),
        ]),
        frame.version_footer(),
    ])
