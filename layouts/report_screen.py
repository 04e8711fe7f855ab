"""The monthly report screen (月报): pick the month, the sections and the districts; preview
the summary and the KPI table; export the whole month as PDF, Word or Excel."""

from __future__ import annotations

from dash import dcc, html

import i18n
from layouts import frame
from layouts.ids import Report


def page(*, ids, lang: str, head, bar, theme, months: list[str], month: str,
         sections: list[dict], kpi_columns: list[dict]):
    """Return the report screen below the shared ``head`` and filter ``bar``."""
    return frame.screen(ids=ids, lang=lang, children=[
        head, bar,
        html.Main(className="cb-body report-body", children=[
            html.Div(className="report-tools", children=[
                html.Label(i18n.t("report_month", lang), htmlFor=Report.MONTH),
                dcc.Dropdown(id=Report.MONTH, options=[{"label": m, "value": m}
                                                       for m in reversed(months)],
                             value=month, clearable=False, searchable=False,
                             className="extra-dropdown"),
                dcc.Checklist(id=Report.SECTIONS, options=sections,
                              value=[s["value"] for s in sections], inline=True,
                              className="layer-toggles report-sections"),
                *[html.A(fmt.upper(), id={"type": Report.DOWNLOAD, "fmt": fmt},
                         className="download-btn report-download", download="", href="")
                  for fmt in ("pdf", "docx", "xlsx")],
                # while a file builds, its seconds; then done or why not (citybrain.js)
                html.Span(id=Report.PROGRESS, className="report-progress", role="status",
                          **{"aria-live": "polite",
                             "data-building": i18n.t("report_building", lang),
                             "data-done": i18n.t("report_built", lang),
                             "data-failed": i18n.t("report_failed", lang)}),
            ]),
            frame.panel([html.Div(id=Report.SUMMARY, className="report-summary")],
                        "report-summary-panel", i18n.t("report_summary", lang)),
            frame.panel([frame.data_grid(Report.KPIS, kpi_columns, theme, lang)],
                        "report-kpi-panel", i18n.t("report_kpis", lang)),
            frame.panel([html.Ol(id=Report.FIGURES, className="report-figures")],
                        "report-figures-panel", i18n.t("report_figures", lang)),
        ]),
    ])
