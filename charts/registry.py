"""The one chart registry: every screen's charts by graph ID, and the screen each belongs to.
Screens, the wall, the chart export and the monthly report all look charts up here."""

from __future__ import annotations

from charts import economy, environment, grid, overview, services, tasks
from charts.common import Chart

#: screen name -> its charts (graph ID -> chart function)
SCREEN_CHARTS: dict[str, dict[str, Chart]] = {
    "overview": overview.CHARTS, "grid": grid.CHARTS, "environment": environment.CHARTS,
    "economy": economy.CHARTS, "tasks": tasks.CHARTS, "services": services.CHARTS}
#: graph ID -> chart function
CHARTS: dict[str, Chart] = {str(key): function for charts in SCREEN_CHARTS.values()
                            for key, function in charts.items()}
#: graph ID -> the screen (and so the permission) it belongs to
CHART_SCREENS: dict[str, str] = {str(key): screen for screen, charts in SCREEN_CHARTS.items()
                                 for key in charts}


def chart(key: str) -> Chart:
    """The chart function of a graph ID; KeyError names the known ones."""
    try:
        return CHARTS[key]
    except KeyError:
        raise KeyError(f"unknown chart {key!r}; charts: {', '.join(CHARTS)}") from None
