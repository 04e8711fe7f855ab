"""The grid-governance screen (网格化治理): life cycle, handling times, overdue events, sources
and departments, for the area and time range of the filters."""

from __future__ import annotations

from dash import html

import i18n
from layouts import frame, supervision
from layouts.ids import Grid


def department_columns(lang: str) -> list[dict]:
    numeric = {"type": "numeric"}
    return [{"id": "name", "name": i18n.t("department", lang)},
            {"id": "n", "name": i18n.t("events_n", lang), **numeric},
            {"id": "closure_rate", "name": i18n.t("closure_rate_pct", lang), **numeric},
            {"id": "on_time_rate", "name": i18n.t("on_time_rate_pct", lang), **numeric},
            {"id": "satisfaction_rate", "name": i18n.t("satisfaction_pct", lang), **numeric},
            {"id": "mean_hours", "name": i18n.t("mean_hours", lang), **numeric}]


def overdue_columns(lang: str) -> list[dict]:
    return [{"id": "event_id", "name": i18n.t("event_id", lang)},
            # next to the id: whether a 督办 on it is open (督办中 / 已超期)
            {"id": "supervision", "name": i18n.t("sv_under", lang)},
            {"id": "where", "name": i18n.t("where", lang)},
            {"id": "category", "name": i18n.t("category", lang)},
            {"id": "department", "name": i18n.t("department", lang)},
            {"id": "hours_overdue", "name": i18n.t("hours_overdue", lang), "type": "numeric"}]


def page(*, ids, lang: str, head, bar, theme):
    """Return the grid-governance screen below the shared ``head`` and filter ``bar``."""
    overdue = frame.data_grid(Grid.OVERDUE, overdue_columns(lang), theme, lang,
                              widths={"event_id": 100, "hours_overdue": 90,
                                      "supervision": 72})
    overdue.getRowId = "params.data.event_id"     # a row is its event: the 督办 panel's
    return frame.screen(ids=ids, lang=lang, children=[
        head, bar,
        html.Main(className="cb-body grid-body", children=[
            frame.graph_panel(Grid.FUNNEL),
            frame.graph_panel(Grid.HANDLING),
            frame.graph_panel(Grid.MATRIX),
            frame.panel([frame.data_grid(Grid.DEPARTMENTS, department_columns(lang), theme,
                                         lang, sortable=True, widths={"name": 210})],
                        "grid-departments", i18n.t("departments", lang)),
            frame.panel([html.Div(id=Grid.CELL_EVENTS, className="gc-list")],
                        "grid-cells", i18n.t("gc_title", lang)),
            frame.panel([overdue], "grid-overdue", i18n.t("overdue", lang)),
        ]),
        supervision.panel(Grid.PREFIX, lang),
    ])


def _hours_text(hours: float, lang: str) -> str:
    """How late an open event is (超期 72 小时), or how long it has left (剩余 5 小时), in
    whole hours rounded as the overdue list beside it rounds them; under half an hour is
    不足 1 小时, not 0."""
    key = "gc_late" if hours > 0 else "gc_left"
    whole = round(abs(hours))
    return i18n.t(f"{key}_under", lang) if whole == 0 else i18n.t(key, lang).format(h=whole)


def _what(text: str):
    """An item's second line, cut with an ellipsis where narrow: the whole on hover."""
    return html.Div(text, className="gc-what", title=text)


def cell_events(head: str, rows: list[dict], lang: str, may_supervise: bool):
    """The chosen grid cell's open events, overdue first (``rows`` from
    charts/grid.cell_event_rows: event_id, hours_overdue, category, department,
    supervision, supervision_overdue), each with a button opening the 督办 panel on it for those who may
    supervise (everyone else sees the list alone)."""
    if not rows:
        return [html.P(head, className="gc-head"),
                html.P(i18n.t("gc_none_cell", lang), className="sv-none")]
    items = []
    for row in rows:
        late = row["hours_overdue"] > 0
        badge = "sv-late" if row["supervision_overdue"] else "sv-open"
        mark = ([html.Span(row["supervision"], className=f"sv-badge {badge} gc-mark")]
                if row["supervision"] else [])
        button = ([html.Button(i18n.t("gc_supervise", lang), n_clicks=0,
                               id={"type": Grid.CELL_SUPERVISE, "event": row["event_id"]},
                               className="sv-button gc-supervise")]
                  if may_supervise else [])
        items.append(html.Li(className="gc-item gc-late" if late else "gc-item", children=[
            html.Div(className="gc-line", children=[
                html.Span(str(row["event_id"]), className="gc-id"),
                html.Span(_hours_text(row["hours_overdue"], lang), className="gc-hours"),
                *mark, *button]),
            _what(f"{row['category']} · {row['department']}"),
        ]))
    return [html.P(head, className="gc-head"), html.Ol(items, className="gc-items")]


def cell_choices(head: str, rows: list[dict], lang: str):
    """The grid cells of the area with open events, the most overdue first (``rows`` from
    charts/grid.cell_rows: cell, name, township, n_open, n_overdue), each a button choosing
    that cell (the filter state's ``cell``, as a click on the overview's map does)."""
    if not rows:
        return [html.P(i18n.t("gc_none_cells", lang), className="sv-none")]
    return [html.P(head, className="gc-head"), html.Ol(className="gc-items", children=[
        html.Li(className="gc-item gc-late" if row["n_overdue"] else "gc-item", children=[
            html.Div(className="gc-line", children=[
                html.Button(row["name"], n_clicks=0, title=row["name"],
                            id={"type": Grid.CELL_PICK, "cell": row["cell"]},
                            className="gc-pick"),
                html.Span(i18n.t("gc_overdue_n", lang).format(late=row["n_overdue"]),
                          className="gc-hours gc-count")]),
            _what(f"{row['township']} · "
                  + i18n.t("gc_open_n", lang).format(n=row["n_open"])),
        ]) for row in rows])]
