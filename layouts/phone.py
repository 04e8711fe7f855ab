"""The leader's phone view (/m): one column at 390 px, legible without zooming. Its header
(city, as-of, language, sign-out), the area shown and the links to the others, the KPI
cards, the open alerts with their holders and one-tap acknowledge / assign / close, the open
督办, and the area's map. Rows come from charts/ through callbacks/phone.py."""

from __future__ import annotations

from dash import dcc, html

import i18n
from layouts import frame, supervision
from layouts.command import ROW_STEPS
from layouts.ids import Phone

#: The map's canvas: the phone's width less the page's margins; below the map, the colour
#: bar across and the no-data key (MAP_KEY_ROOM px).
MAP_SIZE = (366, 380)
MAP_KEY_ROOM = 86
MAP_FIT = (MAP_SIZE[0], MAP_SIZE[1] - MAP_KEY_ROOM)
#: The alerts (and 督办) shown before "+n more": the most urgent come first.
FIRST_ITEMS = 6
#: The deadlines the assign form offers in one tap (callbacks/phone.due_time).
DUE_CHOICES = ("2h", "tomorrow", "3d")
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
            frame.sign_out(user, logout_href, csrf_token, lang, back_to="/m") if user
            else None,
        ]),
    ])


def scope(lang: str, area: str, others: list[tuple[str, str]]):
    """The area shown, and the others as links (a summary that opens: 18 districts do not
    fit a phone's width as buttons); only the area when there is no other."""
    if not others:
        return html.Div(className="m-scope", children=html.Div(className="m-scope-only", children=[
            html.Span(i18n.t("m_scope", lang), className="m-label"), html.B(area)]))
    return html.Details(className="m-scope", children=[
        html.Summary([html.Span(i18n.t("m_scope", lang), className="m-label"),
                      html.B(area), html.Span(i18n.t("m_choose_scope", lang),
                                              className="m-more")]),
        html.Nav(className="m-scope-links", children=[
            dcc.Link(name, href=href, className="m-chip") for name, href in others]),
    ])


def section(title: str, count_id: str | None, body_id: str, extra=None,
            more: str | None = None):
    """A section of the view: its heading with a count (or a period), ``extra`` above the
    body, and ``more``: the name of the list whose "+n more" button closes it."""
    return html.Section(id=f"{body_id}-section", className="m-section", children=[
        html.H2([title, html.Span(id=count_id, className="m-count") if count_id else None]),
        *([extra] if extra is not None else []),
        html.Div(id=body_id, className=f"{body_id}-body"),
        html.Button(id={"type": Phone.MORE, "list": more}, className="m-more-button",
                    hidden=True, n_clicks=0) if more else None,
    ])


def _step_button(step: str, key: str, lang: str):
    return html.Button(i18n.t(f"cmd_{step}", lang), className=f"m-btn m-btn-{step}",
                       id={"type": Phone.STEP, "step": step, "key": key}, n_clicks=0)


def alert_cards(rows: list[dict], lang: str, may_act: bool, district_href,
                whole: bool = False) -> list:
    """The open alerts as cards (``rows``: charts/command.screen_alerts): state, the alert's
    line (a link to its district's view when it has one), district and holder, and the
    steps this user may take (acknowledge, assign, close). The first FIRST_ITEMS unless
    ``whole`` (they come escalated and overdue first)."""
    if not rows:
        return [html.P(i18n.t("cmd_none", lang), className="hint m-none")]
    return [_alert_card(row, lang, may_act, district_href)
            for row in (rows if whole else rows[:FIRST_ITEMS])]


def more_button(name: str, lang: str, total: int, whole: bool):
    """The text and hidden flag of a list's "+n more" / "show fewer" button."""
    if total <= FIRST_ITEMS:
        return "", True
    return (i18n.t("m_fewer", lang) if whole else
            i18n.t("cmd_more", lang).format(n=total - FIRST_ITEMS)), False


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
                              placeholder="2026-12-05 18:00")]),
        # typing a time on a phone is slow: the usual deadlines in one tap
        html.Div(className="m-due", children=[
            html.Button(i18n.t(f"m_due_{choice}", lang), n_clicks=0, className="m-chip",
                        id={"type": Phone.DUE, "choice": choice}) for choice in DUE_CHOICES]),
        html.Label([i18n.t("cmd_note", lang),
                    dcc.Input(id=Phone.NOTE, type="text", maxLength=500)]),
        html.Div(className="m-steps", children=[
            html.Button(i18n.t("cmd_assign", lang), id=Phone.ASSIGN, n_clicks=0,
                        className="m-btn m-btn-assign m-assign-submit"),
            html.Button(i18n.t("m_cancel", lang), id=Phone.CANCEL, n_clicks=0,
                        className="m-btn m-btn-cancel"),
        ]),
    ])


def supervision_cards(rows: list[dict], lang: str, whole: bool = False) -> list:
    """The open 督办 (charts/supervision.open_rows, overdue first): the event, its district
    and the department holding it, the deadline and how often it was reminded; the first
    FIRST_ITEMS unless ``whole``."""
    if not rows:
        return [html.P(i18n.t("sv_open_none", lang), className="hint m-none")]
    return [html.Article(className="m-card m-sv" + (" late" if r["overdue"] else ""), children=[
        html.P(i18n.t("m_supervision_line", lang).format(
            event=r["event_id"], district=r["district"], department=r["department"])),
        html.P([html.Span(i18n.t("sv_overdue", lang), className="m-late-badge")
                if r["overdue"] else None,
                i18n.t("m_supervision_due", lang).format(
                    deadline=supervision.minute(r["deadline"])[5:],
                    reminders=r["reminders"])], className="m-holder"),
    ]) for r in (rows if whole else rows[:FIRST_ITEMS])]


def glance(lang: str, alerts: int, late: int, open_supervision: int):
    """The counts at the top of the view, each a link down to its list."""
    return [html.A(i18n.t("m_glance_alerts", lang).format(n=alerts, late=late),
                   href="#m-alerts-section", className="m-glance-link" + (
                       " late" if late else "")),
            html.A(i18n.t("m_glance_supervision", lang).format(n=open_supervision),
                   href="#m-supervision-section", className="m-glance-link")]


def page(*, lang: str, head, departments: list[dict], deadline: str, may_act: bool):
    """The phone view: its own URL and refresh, then header, area, the counts at a glance,
    KPI cards and the map they colour, the alerts (with the assign form) and the 督办."""
    return html.Div(id=f"{Phone.PREFIX}-root", className=f"m-screen lang-{lang}", children=[
        dcc.Location(id=Phone.URL, refresh=False),
        dcc.Interval(id=Phone.TICK, interval=REFRESH_MS),
        dcc.Store(id=Phone.CHOSEN), dcc.Store(id=Phone.VERSION, data=0),
        dcc.Store(id=Phone.EXPANDED, data=[]), dcc.Store(id=Phone.DIGEST),
        html.Div(id=Phone.SCROLLER, hidden=True),
        head,
        html.Div(id=Phone.SCOPE),
        html.Nav(id=Phone.GLANCE, className="m-glance"),
        section(i18n.t("m_kpis", lang), Phone.PERIOD, Phone.KPIS,
                extra=html.P(i18n.t("m_tap_kpi", lang), className="hint")),
        html.Section(className="m-section", children=[
            html.H2(id=Phone.MAP_TITLE),
            dcc.Graph(id=Phone.MAP, config=MAP_CONFIG, className="m-map",
                      style={"height": f"{MAP_SIZE[1]}px"}),
        ]),
        section(i18n.t("m_alerts", lang), Phone.ALERT_COUNT, Phone.ALERTS, more="alerts",
                extra=html.Div([html.Div(id=Phone.MESSAGE, className="m-message",
                                         role="status"),
                                assign_form(lang, departments, deadline) if may_act
                                else html.Div(id=Phone.FORM, hidden=True)])),
        section(i18n.t("m_supervision", lang), Phone.SUPERVISION_COUNT, Phone.SUPERVISION,
                more="supervision"),
        frame.version_footer(),
    ])
