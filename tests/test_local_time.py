"""Local time (CITYBRAIN_TZ, Beijing by default): every "now" is the operations centre's,
whatever the machine's own zone. Run as a new process with TZ=UTC, as a server kept on UTC is."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

from data.store import connect

ROOT = Path(__file__).resolve().parents[1]
HEADER = ("事件编号", "网格", "类别", "来源", "处置部门", "上报时间", "受理时间", "派遣时间",
          "处置时间", "核查时间", "结案时间", "办理时限", "退回次数", "满意度", "经度", "纬度",
          "状态")


def _an_event_an_hour_ago_in_beijing(store: Path, folder: Path) -> tuple[Path, dt.datetime]:
    con = connect(store, read_only=True)
    try:
        # where an event of that cell was: the point lies in the cell the row names
        cell, lon, lat = con.execute("SELECT grid_code, lon, lat FROM grid_events "
                                     "ORDER BY event_id LIMIT 1").fetchone()
        department = con.execute("SELECT code FROM departments ORDER BY code LIMIT 1"
                                 ).fetchone()[0]
    finally:
        con.close()
    # an hour ago in Beijing is seven hours ahead of a clock on UTC: "in the future" there
    reported = (dt.datetime.now(ZoneInfo("Asia/Shanghai")).replace(tzinfo=None)
                - dt.timedelta(hours=1)).replace(second=0, microsecond=0)
    at = reported.strftime("%Y-%m-%d %H:%M")
    accepted = (reported + dt.timedelta(minutes=10)).strftime("%Y-%m-%d %H:%M")
    row = ("990000001", cell, "市容环境", "12345热线", department, at, accepted, "", "", "", "",
           "72", "0", "", f"{lon:.5f}", f"{lat:.5f}", "办理中")
    path = folder / "events.csv"
    path.write_text(",".join(HEADER) + "\n" + ",".join(row) + "\n", encoding="utf-8")
    return path, reported


def _load(path: Path, store: Path, **env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in ("TZ", "CITYBRAIN_TZ")}
    return subprocess.run([sys.executable, "-m", "cli", "load", "events", str(path), "--db",
                           str(store), "--quiet"], capture_output=True, text=True, cwd=ROOT,
                          env={**base, "TZ": "UTC", **env})


def test_a_server_on_utc_loads_events_stamped_in_beijing_time_an_hour_ago(city_path, tmp_path):
    store = Path(shutil.copy(city_path, tmp_path / "city.duckdb"))
    path, reported = _an_event_an_hour_ago_in_beijing(store, tmp_path)
    # told the centre is on UTC, the same row lies in the future and is refused by row
    refused = _load(path, store, CITYBRAIN_TZ="UTC")
    assert refused.returncode == 1 and "after the as-of time" in refused.stderr, refused.stderr
    assert "第 2 行" in refused.stderr or "row 2" in refused.stderr
    done = _load(path, store)          # Beijing by default, the machine's UTC notwithstanding
    assert done.returncode == 0, done.stderr
    con = connect(store, read_only=True)
    try:
        got = con.execute("SELECT reported_at FROM grid_events WHERE event_id = 990000001"
                          ).fetchone()
        loaded_at = con.execute("SELECT max(loaded_at) FROM datasets").fetchone()[0]
    finally:
        con.close()
    assert got == (reported,)
    # the load's own time is Beijing's too (the datasets screen shows it)
    beijing = dt.datetime.now(ZoneInfo("Asia/Shanghai")).replace(tzinfo=None)
    assert abs(loaded_at - beijing) < dt.timedelta(minutes=5)


def test_the_screens_clock_shows_the_centres_time(app):
    from tests.conftest import run_callback
    page = run_callback(app, "app-page.children", "/", "?lang=zh")
    assert '"data-zone": "Asia/Shanghai"' in __import__("json").dumps(
        page, cls=__import__("plotly").utils.PlotlyJSONEncoder, ensure_ascii=False)
