"""The Flask side: offline assets, GeoJSON with caching headers, map styles."""

import json

import pytest


@pytest.fixture(scope="module")
def client(app):
    return app.server.test_client()


def test_index_references_only_local_scripts(client):
    html = client.get("/").get_data(as_text=True)
    assert "<script" in html
    for marker in ("http://", "https://", "//cdn"):
        assert f'src="{marker}' not in html and f'href="{marker}' not in html


def test_district_geojson_is_served_once_and_then_revalidated(client):
    resp = client.get("/geo/districts.geojson")
    assert resp.status_code == 200
    assert resp.mimetype == "application/geo+json"
    body = json.loads(resp.data)
    assert len(body["features"]) == 18
    assert {f["id"] for f in body["features"]} == {f["properties"]["code"]
                                                    for f in body["features"]}
    assert "max-age" in resp.headers["Cache-Control"]
    again = client.get("/geo/districts.geojson", headers={"If-None-Match": resp.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""


def test_grid_geojson_has_every_cell(client, store):
    body = json.loads(client.get("/geo/grid_cells.geojson").data)
    assert len(body["features"]) == store.rows("SELECT count(*) FROM grid_cells")[0][0]


@pytest.mark.parametrize("path", ["/geo/meta.geojson", "/geo/style/evil.json",
                                  "/geo/districts;drop.geojson"])
def test_unknown_levels_and_styles_are_404(client, path):
    assert client.get(path).status_code == 404


@pytest.mark.parametrize("path", ["/geo/..%2Fapp.geojson", "/geo/..%2F..%2Fsettings.py",
                                  "/assets/..%2Fapp.py"])
def test_path_tricks_never_serve_a_file(client, path):
    resp = client.get(path)
    body = resp.get_data(as_text=True)
    assert resp.mimetype != "application/geo+json"
    assert "def create_app" not in body and "import" not in body


def test_map_style_has_no_remote_sources(client):
    for path in ("/geo/style/wall.json", "/geo/style/far.json?names=districts&lang=en"):
        style = json.loads(client.get(path).data)
        # no glyph or sprite files (MapLibre draws the names with the page's fonts) and
        # every source inline: the style fetches nothing, from the internet or the app
        assert "glyphs" not in style and "sprite" not in style
        assert all(isinstance(source["data"], dict) for source in style["sources"].values())
        assert style["layers"][0]["type"] == "background"
        assert "http" not in json.dumps(style)


def _style_names(client, query: str) -> list[str]:
    resp = client.get(f"/geo/style/wall.json?{query}")
    assert resp.status_code == 200, query
    style = json.loads(resp.data)
    (names,) = [layer for layer in style["layers"] if layer["type"] == "symbol"]
    assert names["paint"]["text-halo-width"] > 0      # legible over any fill
    return [f["properties"]["name"] for f in style["sources"][names["source"]]["data"]
            ["features"]]


def test_map_style_names_the_areas_shown_in_the_interface_language(client, queries):
    districts = queries.districts()
    assert sorted(_style_names(client, "names=districts&lang=zh")) == \
        sorted(districts["name_zh"])
    assert sorted(_style_names(client, "names=districts&lang=en")) == \
        sorted(districts["name_en"])
    # drilled to a district: its townships, in English where the store has their names
    townships = json.loads(client.get("/geo/townships.geojson?parent=360702").data)
    expected = sorted(f["properties"]["name_en"] for f in townships["features"])
    assert sorted(_style_names(client, "names=townships&parent=360702&lang=en")) == expected
    # grid cells have one name, the Chinese one, in both languages
    cells = json.loads(client.get("/geo/grid_cells.geojson?parent=360702").data)
    assert sorted(_style_names(client, "names=grid_cells&parent=360702&lang=en")) == \
        sorted(f["properties"]["name_zh"] for f in cells["features"])
    # no level: no names, and the layer is still there for the map to draw below
    assert _style_names(client, "") == []


@pytest.mark.parametrize("query", ["names=provinces", "names=townships&parent=999999",
                                   "names=districts&parent=360702"])
def test_map_style_refuses_unknown_levels_and_areas(client, query):
    assert client.get(f"/geo/style/wall.json?{query}").status_code == 404


def test_the_interface_font_is_served_with_the_glyphs_on_screen(client):
    import io

    from fontTools.ttLib import TTFont

    resp = client.get("/fonts/citybrain-sans-400.woff2")
    assert resp.status_code == 200 and resp.mimetype == "font/woff2"
    assert len(resp.data) < 400_000          # a subset, not the 16 MB collection
    cmap = TTFont(io.BytesIO(resp.data)).getBestCmap()
    for text in ("赣州市", "章贡区", "城市大脑运行总览", "优良天数比例", "第1片区", "AQI 0-9%"):
        missing = [ch for ch in text if ord(ch) not in cmap]
        assert missing == [], text
    assert client.get("/fonts/citybrain-sans-700.woff2").status_code == 200
    assert client.get("/fonts/citybrain-sans-500.woff2").status_code == 404


def test_a_level_can_be_asked_for_one_parent_only(client, queries):
    body = json.loads(client.get("/geo/townships.geojson?parent=360702").data)
    townships = queries.areas("townships")
    assert sorted(f["id"] for f in body["features"]) == sorted(
        townships.loc[townships.parent == "360702", "code"])
    township = body["features"][0]["id"]
    cells = json.loads(client.get(f"/geo/grid_cells.geojson?parent={township}").data)
    assert cells["features"] and all(f["id"].startswith(township) for f in cells["features"])
    for bad in ("/geo/townships.geojson?parent=999", "/geo/districts.geojson?parent=360702",
                "/geo/grid_cells.geojson?parent=%27%20OR%201=1"):
        assert client.get(bad).status_code == 404, bad


def test_malformed_callback_requests_get_400_never_500(app):
    """Random JSON posted to the callback endpoint: a client error, not a server error."""
    from hypothesis import HealthCheck, given
    from hypothesis import settings as hsettings
    from hypothesis import strategies as hs

    client = app.server.test_client()
    json_values = hs.recursive(
        hs.none() | hs.booleans() | hs.integers() | hs.floats(allow_nan=False) | hs.text(),
        lambda inner: hs.lists(inner, max_size=4) | hs.dictionaries(hs.text(), inner,
                                                                    max_size=4), max_leaves=12)
    shaped = hs.fixed_dictionaries({
        "output": hs.sampled_from(["ops-kpis.children", "nope.children", "app-page.children"]),
        "outputs": json_values, "inputs": json_values}, optional={"state": json_values})

    @hsettings(max_examples=150, deadline=None,
               suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(hs.one_of(json_values, shaped))
    def post(body):
        import json
        r = client.post("/_dash-update-component", data=json.dumps(body),
                        content_type="application/json")
        assert r.status_code < 500, (body, r.status_code)

    post()
    for raw in (b"not json", b"", b"{", b"\xff\xfe"):
        r = client.post("/_dash-update-component", data=raw, content_type="application/json")
        assert r.status_code == 400


def test_a_fresh_server_serves_its_scripts_to_requests_arriving_together(app, settings):
    """Dash learns which scripts it serves on a process's first request; a second request
    arriving meanwhile on another thread was answered 404, and a browser opening the page
    just after a worker (re)started got a blank screen (tests/test_load.py saw it)."""
    import re
    import threading

    from app import create_app
    page = app.server.test_client().get("/").get_data(as_text=True)
    scripts = [url for url in re.findall(r'<script[^>]+src="([^"]+)"', page)
               if "_dash-component-suites" in url]
    assert len(scripts) >= 5, page[:2000]
    for _ in range(3):     # a race: a few fresh servers, each asked for every script at once
        fresh_app = create_app(settings)
        fresh = fresh_app.server
        start = threading.Barrier(len(scripts))
        statuses: dict[str, int] = {}

        def fetch(url, server=fresh, start=start, statuses=statuses):
            client = server.test_client()
            start.wait()
            statuses[url] = client.get(url).status_code

        threads = [threading.Thread(target=fetch, args=(url,)) for url in scripts]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        fresh_app.citybrain_runtime.store.close()
        assert statuses == dict.fromkeys(scripts, 200)
