"""Callbacks of the government-services screen: the filter store to its KPI cards, charts and
department table; a KPI card chooses the indicator the district chart ranks.

Service rates and cases exist per district: below a district the screen shows that district.
"""

from __future__ import annotations

from dash import ALL, Input, Output

from callbacks import filters
from callbacks.filters import Control, district_click_control, range_control
from callbacks.shell import Screen
from charts import state as st
from charts.services import CHARTS, department_rows, kpi_cards, note_text
from layouts import services, theme
from layouts.ids import Services, Shell

THEME = theme.WALL


def _kpi_card(state, trigger, context):
    return st.set_indicator(state, trigger.get("code"), context)


CONTROLS = (
    district_click_control(Services.DISTRICTS),
    range_control(Services.RATES), range_control(Services.CASES),
    range_control(Services.RATINGS),
    Control({"type": Services.KPI_CARD, "code": ALL}, "n_clicks",
            filters._clicked(_kpi_card)),
)


def render(state: st.FilterState, _runtime, _app, ids, head, bar):
    return services.page(ids=ids, lang=state.lang, head=head, bar=bar, theme=THEME)


SCREEN = Screen("services", Services.PREFIX, render)


def register(app, runtime) -> None:
    """Register the services screen's callbacks."""
    filters.register_controller(app, runtime, Services.PREFIX, CONTROLS)
    filters.register_charts(app, runtime, CHARTS, THEME)

    def _state(data):
        return filters.read_state(data, runtime.context)

    # filter store -> KPI cards and the line under them
    @app.callback(Output(Services.KPIS, "children"), Output(Services.NOTE, "children"),
                  Input(Shell.FILTERS, "data"))
    def update_service_kpis(data):
        s = _state(data)
        return kpi_cards(s, runtime), note_text(s, runtime)

    # filter store -> department table
    @app.callback(Output(Services.TABLE, "rowData"), Input(Shell.FILTERS, "data"))
    def update_service_departments(data):
        return department_rows(_state(data), runtime)
