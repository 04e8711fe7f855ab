"""The data screen in Chromium: upload a good file (it loads and the feeds table shows it) and
a bad one (every problem listed with its row and column; the store unchanged)."""

from __future__ import annotations

import shutil

import pytest

from tests.browser.conftest import LiveServer
from tests.new_city import checksums

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def data_server(settings, city_path, tmp_path_factory):
    from app import create_app
    db = tmp_path_factory.mktemp("upload") / "city.duckdb"
    shutil.copy(city_path, db)
    with LiveServer(create_app(settings.with_(db_path=db))) as server:
        server.db = db
        yield server


def _upload(probe, url, path):
    page = probe.page
    page.goto(f"{url}/data")
    page.wait_for_selector("#dat-upload")
    page.set_input_files("#dat-upload input[type=file]", str(path))
    page.wait_for_selector("#dat-result .data-ok, #dat-result .data-failed", timeout=60_000)
    return page


def test_dat001_good_file_loads_and_shows_in_the_feeds(probe, data_server, tmp_path):
    good = tmp_path / "零售11月.csv"
    good.write_text("地区,指标,时间,数值\n章贡区,社会消费品零售总额,2026-10,88.8\n"
                    "南康区,社会消费品零售总额,2026-10,66.6\n", encoding="utf-8-sig")
    page = _upload(probe, data_server.url, good)
    result = page.inner_text("#dat-result")
    assert "零售11月.csv" in result and "2 indicators" in result
    assert page.locator("#dat-result .data-ok").count() == 1
    feeds = page.inner_text("#dat-feeds")
    assert "统计指标 · 社会消费品零售总额" in feeds and "零售11月.csv" in feeds
    probe.screenshot("dat001-good-upload")
    assert probe.errors == []


def test_dat002_bad_file_lists_every_problem_and_changes_nothing(probe, data_server, tmp_path):
    before = checksums(data_server.db)
    bad = tmp_path / "bad.csv"
    bad.write_text("地区,指标,时间,数值\n章贡区,社会消费品零售总额,2026-10,abc\n"
                   "不存在区,社会消费品零售总额,2026-10,12\n"
                   "章贡区,不存在的指标,2026-10,5\n", encoding="utf-8")
    page = _upload(probe, data_server.url, bad)
    assert page.locator("#dat-result .data-failed").count() == 1
    items = page.locator("#dat-result li").all_inner_texts()
    assert len(items) >= 3
    assert all(item.startswith("bad.csv, row ") for item in items)   # the user's file name
    assert any("row 2" in item and "abc" in item for item in items)
    assert any("row 3" in item and "不存在区" in item for item in items)
    assert any("row 4" in item and "不存在的指标" in item for item in items)
    probe.screenshot("dat002-bad-upload")
    assert checksums(data_server.db) == before
    assert probe.errors == []
