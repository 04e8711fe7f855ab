"""Callbacks of the monthly report screen: the month, sections and the filter state's
districts -> the preview (summary, KPI table, figure list) and, in the browser, the file
links."""

from __future__ import annotations

from dash import ALL, Input, Output, State, html

import i18n
from callbacks import filters
from callbacks.shell import Screen
from charts import state as st
from layouts import report_screen, theme
from layouts.ids import Report, Shell

THEME = theme.WALL


def section_options(lang: str) -> list[dict]:
    from report.monthly import SECTIONS
    return [{"label": i18n.t(f"section_{s}", lang), "value": s} for s in SECTIONS]


def kpi_columns(lang: str) -> list[dict]:
    t = i18n.t
    return [{"id": "headline_name", "name": t("report_indicator", lang)},
            {"id": "period_label", "name": t("report_period", lang)},
            {"id": "value", "name": t("report_value", lang), "type": "numeric"},
            {"id": "unit", "name": t("report_unit", lang)},
            {"id": "target", "name": t("target", lang), "type": "numeric"},
            {"id": "met", "name": t("report_met", lang)},
            {"id": "mom", "name": t("report_mom", lang), "type": "numeric"},
            {"id": "yoy", "name": t("report_yoy", lang), "type": "numeric"}]


def render(state: st.FilterState, runtime, _app, ids, head, bar):
    from report.monthly import available_months, last_complete_month
    return report_screen.page(ids=ids, lang=state.lang, head=head, bar=bar, theme=THEME,
                              months=available_months(runtime),
                              month=last_complete_month(runtime),
                              sections=section_options(state.lang),
                              kpi_columns=kpi_columns(state.lang))


SCREEN = Screen("report", Report.PREFIX, render)


def register(app, runtime) -> None:
    """Register the report screen's callbacks."""
    from report.monthly import ReportError, build_report
    filters.register_controller(app, runtime, Report.PREFIX)

    @app.callback(Output(Report.SUMMARY, "children"), Output(Report.KPIS, "rowData"),
                  Output(Report.FIGURES, "children"),
                  Input(Shell.FILTERS, "data"), Input(Report.MONTH, "value"),
                  Input(Report.SECTIONS, "value"))
    def preview(data, month, sections):
        s = filters.read_state(data, runtime.context)
        if isinstance(sections, list) and not sections:    # every box unticked
            return [html.P(i18n.t("report_no_sections", s.lang), className="hint")], [], []
        try:
            report = build_report(runtime, month, tuple(sections or ()),
                                  (s.district,) if s.district else None, s.lang)
        except ReportError as error:
            return [str(error)], [], []
        kpis = report.kpis.assign(met=report.kpis["met"].map(
            lambda m: "—" if m is None or m != m else ("✓" if m else "✗")))
        kpis = kpis.round({"value": 2, "target": 2, "mom": 2, "yoy": 2})
        rows = kpis[[c["id"] for c in kpi_columns(s.lang)]]
        return ([html.P(sentence) for sentence in report.summary],
                rows.astype(object).where(rows.notna(), None).to_dict("records"),
                [html.Li(f.caption) for f in report.figures])

    # month, sections, filter state -> the file links, in the browser (assets/citybrain.js)
    app.clientside_callback(
        "function(data, month, sections, ids) {"
        " return window.citybrain.reportLinks(data, month, sections, ids); }",
        Output({"type": Report.DOWNLOAD, "fmt": ALL}, "href"),
        Input(Shell.FILTERS, "data"), Input(Report.MONTH, "value"),
        Input(Report.SECTIONS, "value"), State({"type": Report.DOWNLOAD, "fmt": ALL}, "id"))
