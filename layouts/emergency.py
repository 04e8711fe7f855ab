"""The emergency scene's components beside the wall's own (layouts/wall.py): a table under a
line naming the warning whose area it is about."""

from __future__ import annotations

from dash import html

from layouts import wall


def focus_table(columns: list[str], rows: list[list], *, title: str, focus: str | None):
    """A wall table titled ``title``, with ``focus`` (the warning it is about) under the
    title; without a focus, ``rows`` say why there is nothing to show."""
    head, table = wall.table(columns, rows, title=title)
    if focus is None:
        return [head, table]
    return [head, html.Div(focus, className="wall-emergency-focus"), table]


def swatch(colour: str, text: str):
    """A name behind a dot of its colour on the map (a resource kind)."""
    return html.Span([html.Span(className="wall-emergency-swatch",
                                style={"background": colour}), text])
