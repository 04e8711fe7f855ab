"""The government-services screen (政务服务): the plans' service rates, the service cases'
volumes and time against the legal limit by department and by district, and the 好差评
ratings, under KPI cards that choose the screen's indicator."""

from __future__ import annotations

from dash import html

import i18n
from layouts import frame
from layouts.ids import Services


def department_columns(lang: str) -> list[dict]:
    numeric = {"type": "numeric"}
    return [{"id": "name", "name": i18n.t("department", lang)},
            {"id": "n", "name": i18n.t("svc_col_cases", lang), **numeric},
            {"id": "completed", "name": i18n.t("svc_col_completed", lang), **numeric},
            {"id": "on_time_rate", "name": i18n.t("svc_col_within", lang), **numeric},
            {"id": "days", "name": i18n.t("svc_col_days", lang)},   # "12.3 / 20.0": text
            {"id": "bad", "name": i18n.t("svc_col_bad", lang), **numeric},
            {"id": "rectified_rate", "name": i18n.t("svc_col_rectified", lang), **numeric}]


def page(*, ids, lang: str, head, bar, theme):
    """Return the services screen below the shared ``head`` and filter ``bar``."""
    return frame.screen(ids=ids, lang=lang, children=[
        head, bar,
        html.Div(className="services-top", children=[
            html.Div(id=Services.KPIS, className="cb-kpis services-kpis"),
            html.Div(id=Services.NOTE, className="services-note", role="status"),
        ]),
        html.Main(className="cb-body services-body", children=[
            frame.graph_panel(Services.RATES),
            frame.graph_panel(Services.CASES),
            frame.graph_panel(Services.RATINGS),
            frame.graph_panel(Services.DEPARTMENTS),
            frame.graph_panel(Services.DISTRICTS),
            frame.panel([frame.data_grid(Services.TABLE, department_columns(lang), theme,
                                         lang, sortable=True,
                                         widths={"n": 70, "completed": 70,
                                                 "on_time_rate": 100, "days": 112,
                                                 "bad": 56, "rectified_rate": 118})],
                        title=i18n.t("svc_table", lang)),
        ]),
    ])
