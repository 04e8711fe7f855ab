"""The economy screen (经济运行): the indicator across districts as small multiples, its YoY
and MoM, each district's share of the city, and two districts side by side."""

from __future__ import annotations

from dash import dcc, html

import i18n
from layouts import frame
from layouts.ids import Economy


def vs_control(*, lang: str, options: list[dict], value: str | None):
    """The filter bar's second district to compare with (it rides in the URL as ``vs``)."""
    return dcc.Dropdown(id=Economy.VS, options=options, value=value, clearable=True,
                        searchable=False, className="extra-dropdown",
                        placeholder=i18n.t("compare_with", lang))


def page(*, ids, lang: str, head, bar):
    """Return the economy screen below the shared ``head`` and filter ``bar``."""
    return frame.screen(ids=ids, lang=lang, children=[
        head, bar,
        html.Main(className="cb-body economy-body", children=[
            frame.graph_panel(Economy.MULTIPLES, "area-multiples"),
            frame.graph_panel(Economy.CHANGES, "area-changes"),
            frame.graph_panel(Economy.SHARES, "area-shares"),
            frame.graph_panel(Economy.COMPARE, "area-compare"),
        ]),
    ])
