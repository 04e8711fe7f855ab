"""The environment screen (生态环境): the AQI calendar, each station's pollutant trends, the
station ranking and the water sections' classes by month."""

from __future__ import annotations

from dash import dcc, html

import i18n
from layouts import frame
from layouts.ids import Environment


def pollutant_control(*, lang: str, options: list[dict], value: str):
    """The filter bar's pollutant choice (it rides in the URL as ``pollutant``)."""
    return dcc.Dropdown(id=Environment.POLLUTANT, options=options, value=value,
                        clearable=False, searchable=False, className="extra-dropdown",
                        placeholder=i18n.t("pollutant", lang))


def page(*, ids, lang: str, head, bar):
    """Return the environment screen below the shared ``head`` and filter ``bar``."""
    return frame.screen(ids=ids, lang=lang, children=[
        head, bar,
        html.Main(className="cb-body quad-body", children=[
            frame.graph_panel(Environment.CALENDAR),
            frame.graph_panel(Environment.TRENDS),
            frame.graph_panel(Environment.STATIONS),
            frame.graph_panel(Environment.WATER),
        ]),
    ])
