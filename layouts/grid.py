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
                                         lang, sortable=True)],
                        "span-2", i18n.t("departments", lang)),
            frame.panel([overdue], title=i18n.t("overdue", lang)),
        ]),
        supervision.panel(Grid.PREFIX, lang),
    ])
