"""Flask routes beside Dash: GeoJSON per level, the offline map styles, the interface font.

All carry ETags and Cache-Control, so a browser fetches each once per store file.
"""

from __future__ import annotations

import hashlib

import flask

from geo.geojson import LEVELS, to_geojson
from layouts import fonts, theme


def _cached(body: bytes, mimetype: str) -> flask.Response:
    # the tag is the content's hash: a new release with other bytes never gets a stale 304
    etag = hashlib.sha1(body).hexdigest()
    if flask.request.if_none_match.contains(etag):
        return flask.Response(status=304)
    resp = flask.Response(body, mimetype=mimetype)
    resp.set_etag(etag)
    resp.cache_control.public = True
    resp.cache_control.max_age = 3600
    return resp


def register(server: flask.Flask, runtime) -> None:
    """Serve /geo/<level>.geojson, /geo/style/<theme>.json and /fonts/citybrain-sans-<w>.woff2."""
    prepared: dict[tuple, bytes | None] = {}

    def once(key: tuple, make) -> bytes | None:
        # prepared once per store file; a race only computes the same bytes twice
        if key not in prepared:
            prepared[key] = make()
        return prepared[key]

    @server.route("/geo/<level>.geojson")
    def serve_geojson(level: str):
        """A level's shapes; ``?parent=CODE`` keeps one district's townships or one
        township's grid cells (what the drill-down map shows)."""
        if level not in LEVELS:
            flask.abort(404)
        parent = flask.request.args.get("parent")
        parent_column = LEVELS[level][3]
        if parent is not None and (parent_column is None or
                                   runtime.context.lineage(parent) is None):
            flask.abort(404)
        key = (runtime.store.fingerprint, "geojson", level, parent or "")

        def make() -> bytes:
            frame = runtime.shapes(level)
            if parent is not None:
                frame = frame[frame[parent_column] == parent]
            return to_geojson(frame)

        return _cached(once(key, make), "application/geo+json")

    @server.route("/geo/style/<name>.json")
    def serve_map_style(name: str):
        if name not in theme.THEMES:
            flask.abort(404)
        body = flask.json.dumps(theme.map_style(theme.THEMES[name])).encode()
        return _cached(body, "application/json")

    @server.route("/fonts/citybrain-sans-<int:weight>.woff2")
    def serve_font(weight: int):
        if weight not in fonts.WEIGHTS:
            flask.abort(404)
        key = (runtime.store.fingerprint, "font", str(weight))
        body = once(key, lambda: fonts.subset_woff2(
            fonts.interface_chars(runtime.queries.names_text()), weight))
        if body is None:
            flask.abort(404)   # no fonts-noto-cjk on the server: the CSS falls back
        return _cached(body, "font/woff2")
