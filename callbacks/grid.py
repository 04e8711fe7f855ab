"""Callbacks of the grid-governance screen: the filter store to its charts and tables."""

from __future__ import annotations

from dash import ALL, Input, Output

from callbacks import filters, supervision
from callbacks.shell import Screen
from charts import state as st
from charts.grid import CHARTS, cell_panel, department_rows, overdue_rows
from layouts import grid, theme
from layouts.ids import Grid, Shell, SupervisePanel

THEME = theme.WALL


def render(state: st.FilterState, _runtime, _app, ids, head, bar):
    return grid.page(ids=ids, lang=state.lang, head=head, bar=bar, theme=THEME)


SCREEN = Screen("grid", Grid.PREFIX, render)


def _pick_cell(state, trigger, context):
    return st.select_area(state, trigger.get("cell"), context)


#: The screen's own control: a cell of the cell panel's list chosen, as on the overview's map.
CONTROLS = (filters.Control({"type": Grid.CELL_PICK, "cell": ALL}, "n_clicks",
                            filters._clicked(_pick_cell)),)


# --- the screen's charts: (state, runtime, theme) -> figure, shared with chart export ----


def register(app, runtime) -> None:
    """Register the grid-governance screen's callbacks."""
    filters.register_controller(app, runtime, Grid.PREFIX, CONTROLS)
    supervision.register_panel(app, runtime, Grid.PREFIX, Grid.OVERDUE, Grid.CELL_SUPERVISE)

    def _state(data):
        return filters.read_state(data, runtime.context)
    filters.register_charts(app, runtime, CHARTS, THEME)

    # filter store -> department table
    @app.callback(Output(Grid.DEPARTMENTS, "rowData"), Input(Shell.FILTERS, "data"))
    def update_departments(data):
        s = _state(data)
        return department_rows(runtime.queries.department_table(s.scope, s.start, s.end), s.lang)

    # filter store, a 督办 step -> overdue list (its 督办 column)
    @app.callback(Output(Grid.OVERDUE, "rowData"), Input(Shell.FILTERS, "data"),
                  Input(SupervisePanel(Grid.PREFIX).VERSION, "data"))
    def update_overdue(data, _version=None):
        s = _state(data)
        frame = runtime.queries.overdue_events(s.scope, s.start, s.end)
        return overdue_rows(frame, runtime, s.lang)

    # filter store, a 督办 step -> the chosen cell's open events (or the cells to choose)
    @app.callback(Output(Grid.CELL_EVENTS, "children"), Input(Shell.FILTERS, "data"),
                  Input(SupervisePanel(Grid.PREFIX).VERSION, "data"))
    def update_cell_events(data, _version=None):
        return cell_panel(_state(data), runtime)
