"""The monthly report's content (report/monthly.py) on the small test city (as of 2026-11-24 10:00,
so the last complete month is 2026-10): KPI figures against pandas over the raw tables,
targets, changes, rankings, the planted anomalies as alerts in their month, a summary whose
every number comes from the report's tables, both languages, errors, and figure specs whose
charts draw."""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

import i18n
from charts import registry
from charts.runtime import Runtime
from charts.state import valid_state
from data import alerts, catalog
from data.aqi import level_index
from data.demo import PLANTED
from data.queries import KPI_CODES
from layouts import theme
from report import monthly
from tests.test_queries import good_air_rate

OCT = "2026-10"
NOV = "2026-11"


@pytest.fixture(scope="module")
def runtime(settings, store, queries):
    return Runtime(settings, store, queries)


@pytest.fixture(scope="module")
def reports(runtime):
    """The reports the tests read: the default month in both languages, the partial current
    month, and one restricted to two districts."""
    return {
        "zh": monthly.build_report(runtime),
        "en": monthly.build_report(runtime, lang="en"),
        "nov": monthly.build_report(runtime, NOV),
        "nov_en": monthly.build_report(runtime, NOV, lang="en"),
        "two": monthly.build_report(runtime, OCT, districts=("360702", "360726"), lang="en"),
    }


@pytest.fixture(scope="module")
def events(store):
    frame = store.df("SELECT grid_code, district_code, reported_at, closed_at, deadline_at "
                     "FROM grid_events")
    frame["month"] = frame["reported_at"].dt.to_period("M").astype(str)
    return frame


def _row(report, code):
    return report.kpis.set_index("code").loc[code]


# --- pandas over the raw tables ------------------------------------------------------------

def _month_total(values, code, month, districts=None):
    """A flow summed over districts for one month (or a list of months)."""
    months = [month] if isinstance(month, str) else month
    frame = values[(values["indicator_code"] == code)
                   & values["period"].dt.strftime("%Y-%m").isin(months)]
    if districts is not None:
        frame = frame[frame["district_code"].isin(districts)]
    return frame["value"].sum()


def _growth(values, code, month, year_ago):
    return 100 * (_month_total(values, code, month) / _month_total(values, code, year_ago) - 1)


def _weighted(values, code, month):
    frame = values[(values["indicator_code"] == code)
                   & (values["period"].dt.strftime("%Y-%m") == month)]
    return (frame["value"] * frame["population"]).sum() / frame["population"].sum()


def _months(year, last):
    return [f"{year}-{m:02d}" for m in range(1, last + 1)]


# --- months --------------------------------------------------------------------------------

def test_months(runtime, reports, queries):
    months = monthly.available_months(runtime)
    assert months[0] == queries.meta()["first_month"][:7] == "2024-12"
    assert months[-1] == NOV and len(months) == 24
    assert monthly.last_complete_month(runtime) == OCT == queries.meta()[
        "last_complete_month"][:7]
    zh, nov = reports["zh"], reports["nov"]
    assert zh.month == OCT and zh.complete and zh.end == dt.date(2026, 10, 31)
    assert not nov.complete and nov.end == dt.date(2026, 11, 24)
    assert zh.sections == monthly.SECTIONS and zh.districts is None
    assert zh.is_demo and zh.as_of == dt.datetime(2026, 11, 24, 10, 0)
    assert zh.city_name == "赣州市" and reports["en"].city_name == "Ganzhou"


# --- key indicators ------------------------------------------------------------------------

def test_kpi_rows(reports):
    kpis = reports["zh"].kpis
    assert tuple(kpis["code"]) == KPI_CODES
    for column in ("code", "name", "unit", "value", "target", "met", "mom", "yoy", "as_of"):
        assert column in kpis.columns
    assert list(reports["en"].kpis["name"]) == [catalog.BUILT_IN.get(c).name_en for c in KPI_CODES]
    assert list(kpis["name"]) == [catalog.BUILT_IN.get(c).name_zh for c in KPI_CODES]


def test_sum_quantity_and_growth(reports, values):
    """Fixed-asset investment: a flow summed over districts, its headline the YoY growth;
    cumulative January-October growth and its change on January-September."""
    row = _row(reports["zh"], "fixed_asset_investment")
    assert row["level"] == pytest.approx(_month_total(values, "fixed_asset_investment", OCT))
    assert row["value"] == pytest.approx(
        _growth(values, "fixed_asset_investment", OCT, "2025-10"))
    assert row["unit"] == "%" and row["as_of"] == OCT
    ytd = 100 * (_month_total(values, "fixed_asset_investment", _months(2026, 10))
                 / _month_total(values, "fixed_asset_investment", _months(2025, 10)) - 1)
    ytd_sep = 100 * (_month_total(values, "fixed_asset_investment", _months(2026, 9))
                     / _month_total(values, "fixed_asset_investment", _months(2025, 9)) - 1)
    assert row["ytd"] == pytest.approx(ytd)
    assert row["ytd_mom"] == pytest.approx(ytd - ytd_sep)
    assert row["ytd_period"] == "1-10月"
    assert _row(reports["en"], "fixed_asset_investment")["ytd_period"] == "January–October"


def test_growth_indicator_changes(reports, values, queries):
    """Retail sales: the month's growth, mom = growth minus last month's growth (points),
    yoy = growth minus the growth a year earlier (points)."""
    row = _row(reports["zh"], "retail_sales")
    oct_ = _growth(values, "retail_sales", OCT, "2025-10")
    sep = _growth(values, "retail_sales", "2026-09", "2025-09")
    year_ago = _growth(values, "retail_sales", "2025-10", "2024-10")
    assert row["value"] == pytest.approx(oct_)
    assert row["mom"] == pytest.approx(oct_ - sep)
    assert row["yoy"] == pytest.approx(oct_ - year_ago)
    # the same growth as the economy screen's monthly series
    monthly_series = queries.indicator_monthly("retail_sales", None).set_index("period")
    assert row["value"] == pytest.approx(monthly_series.loc["2026-10-01", "yoy"])
    assert row["mom"] == pytest.approx(monthly_series.loc["2026-10-01", "yoy"]
                                       - monthly_series.loc["2026-09-01", "yoy"])


def test_quarterly_gdp(reports, values):
    """GDP is published in quarter-end months: in October the report shows the third
    quarter, compares with the second (mom) and gives 前三季度 cumulative growth."""
    row = _row(reports["zh"], "gdp")
    q3 = _growth(values, "gdp", "2026-09", "2025-09")
    q2 = _growth(values, "gdp", "2026-06", "2025-06")
    assert row["as_of"] == "2026-09"
    assert row["value"] == pytest.approx(q3)
    assert row["mom"] == pytest.approx(q3 - q2)
    quarters = ["03", "06", "09"]
    ytd = 100 * (_month_total(values, "gdp", [f"2026-{m}" for m in quarters])
                 / _month_total(values, "gdp", [f"2025-{m}" for m in quarters]) - 1)
    assert row["ytd"] == pytest.approx(ytd) and row["ytd_period"] == "前三季度"


def test_rates(reports, values, store, events, queries):
    """Unemployment (population-weighted across districts), the share of good-air days (of
    the city's days, from its stations' mean concentrations) and the closure rate (over
    events reported in the month)."""
    row = _row(reports["zh"], "unemployment_rate")
    oct_ = _weighted(values, "unemployment_rate", OCT)
    assert row["value"] == pytest.approx(oct_)
    assert row["mom"] == pytest.approx(oct_ - _weighted(values, "unemployment_rate", "2026-09"))
    assert row["yoy"] == pytest.approx(oct_ - _weighted(values, "unemployment_rate", "2025-10"))
    assert row["value"] == pytest.approx(
        queries.indicator_monthly("unemployment_rate", None).set_index("period").loc[
            "2026-10-01", "value"])

    air = store.df("SELECT * FROM air_daily")
    month = pd.to_datetime(air["day"]).dt.strftime("%Y-%m")

    def good(m):
        return good_air_rate(air[month == m], [])["city"]
    row = _row(reports["zh"], "good_air_rate")
    assert row["value"] == pytest.approx(good(OCT))
    assert row["mom"] == pytest.approx(good(OCT) - good("2026-09"))
    assert row["yoy"] == pytest.approx(good(OCT) - good("2025-10"))
    assert row["as_of"] == "2026-10-31"

    def closure(m):
        ev = events[events["month"] == m]
        return 100 * ev["closed_at"].notna().mean()
    row = _row(reports["zh"], "closure_rate")
    assert row["value"] == pytest.approx(closure(OCT))
    assert row["mom"] == pytest.approx(closure(OCT) - closure("2026-09"))
    assert row["yoy"] == pytest.approx(closure(OCT) - closure("2025-10"))


def test_targets_met(reports):
    """Each KPI is held to the target of its period's year: the demo plan's for 2026
    (data/demo/targets.py), not the catalogue's."""
    for report in (reports["zh"], reports["nov"]):
        for row in report.kpis.itertuples():
            target = report.catalogue.target(row.code, row.period.year)
            assert target.source == "targets" and target.year == 2026, row.code
            ind = catalog.BUILT_IN.get(row.code)
            expected = (row.value >= target.target if ind.better == "higher"
                        else row.value <= target.target)
            assert row.met is expected or row.met == expected, row.code
            assert row.target == target.target
    kpis = reports["zh"].kpis.set_index("code")
    # the test city's October: unemployment under its ceiling, investment short of the
    # plan's +6% for 2026 (the catalogue says +8%), GDP held to +6% (the catalogue: +6.5%)
    assert kpis.loc["unemployment_rate", "met"] is True
    assert kpis.loc["fixed_asset_investment", "met"] is False
    assert kpis.loc["fixed_asset_investment", "target"] == 6.0
    assert kpis.loc["gdp", "target"] == 6.0 != catalog.BUILT_IN.get("gdp").target


def test_a_district_report_holds_the_district_to_its_own_targets(runtime):
    """章贡区 has its own 2026 GDP target (+7%); 安远县 has none and is held to the city's."""
    own = monthly.build_report(runtime, OCT, districts=("360702",)).kpis.set_index("code")
    other = monthly.build_report(runtime, OCT, districts=("360726",)).kpis.set_index("code")
    assert own.loc["gdp", "target"] == 7.0 and other.loc["gdp", "target"] == 6.0
    assert own.loc["retail_sales", "target"] == 7.5
    assert own.loc["gdp", "met"] == (own.loc["gdp", "value"] >= 7.0)


def test_districts_restrict_everything(reports, queries, runtime):
    two = reports["two"]
    assert two.districts == ("360702", "360726")
    expected = queries.kpis(("360702", "360726"), "2026-10-01", "2026-10-31").set_index("code")
    assert np.allclose(two.kpis.set_index("code")["level"], expected["value"], equal_nan=True)
    for frame in two.rankings.values():
        assert set(frame["district_code"]) == {"360702", "360726"}
        assert sorted(frame["rank"].dropna()) in ([1, 2], [1, 1])
    parents = runtime.context
    for code in two.alerts["area_code"]:
        assert (parents.lineage(code) or (None,))[0] in two.districts
    assert len(two.alerts) > 0
    assert set(two.rankings) == {c for codes in monthly.RANKED.values() for c in codes}


# --- rankings ------------------------------------------------------------------------------

def test_rankings(reports, values, runtime):
    report = reports["zh"]
    assert set(report.rankings) == {c for codes in monthly.RANKED.values() for c in codes}
    for code, frame in report.rankings.items():
        ind = catalog.BUILT_IN.get(code)
        assert list(frame.columns[:4]) == ["district_code", "name", "value", "rank"]
        assert len(frame) == 18 and frame["rank"].iloc[0] == 1
        ranked = frame.dropna(subset=["value"])
        assert ranked["rank"].is_monotonic_increasing
        sign = 1 if ind.better == "lower" else -1
        assert (sign * ranked["value"]).is_monotonic_increasing, code
    # investment growth per district from the raw rows: 定南县's planted drop is last
    fai = report.rankings["fixed_asset_investment"].set_index("district_code")
    for district in ("360702", "360728", "360783"):
        growth = 100 * (_month_total(values, "fixed_asset_investment", OCT, [district])
                        / _month_total(values, "fixed_asset_investment", "2025-10",
                                       [district]) - 1)
        assert fai.loc[district, "value"] == pytest.approx(growth)
    assert fai.index[-1] == "360728" and fai.loc["360728", "value"] == pytest.approx(-40.0)
    assert report.rankings["on_time_rate"]["district_code"].iloc[-1] == "360726"
    english = reports["en"].rankings["pm25"]
    assert english["name"].iloc[0] == runtime.names("en")[english["district_code"].iloc[0]]


# --- alerts --------------------------------------------------------------------------------

def _alert(report, rule, code, area):
    frame = report.alerts
    hit = frame[(frame["rule"] == rule) & (frame["code"] == code) & (frame["area_code"] == area)]
    assert len(hit) == 1, (rule, code, area, frame[["rule", "code", "area_code"]])
    return hit.iloc[0]


def test_planted_anomalies_in_their_month(reports, store):
    """The last complete month (October) holds the planted statistics, the water section and
    the slowed handling; the pollution episode and the event surge are in the last 72 hours,
    so they show in November (to the 24th) and not in October."""
    oct_, nov = reports["zh"], reports["nov"]
    monthly_plants = ("fai_drop", "unemployment", "industry", "water")
    for key in monthly_plants + ("slow_handling",):
        district, code, _ = PLANTED[key]
        alert = _alert(oct_, "threshold", code, district)
        assert alert["threshold"] == oct_.catalogue.target(code, 2026, district).alert
        if key in monthly_plants:     # planted in the month only
            assert alert["since"] == dt.date(2026, 10, 1)
    assert _alert(oct_, "threshold", "fixed_asset_investment", "360728")["value"] == \
        pytest.approx(-40.0)
    assert _alert(oct_, "threshold", "unemployment_rate", "360734")["value"] == 6.4
    assert _alert(oct_, "threshold", "industrial_va_growth", "360729")["value"] == 2.1
    assert set(oct_.alerts["rule"]) == {"threshold"}

    episode = _alert(nov, "aqi", "aqi", PLANTED["pm25_episode"][0])
    assert episode["value"] == 2 and episode["since"] == dt.date(2026, 11, 23)
    assert episode["peak"] > 200
    cell = store.rows("SELECT code FROM grid_cells ORDER BY population DESC LIMIT 1")[0][0]
    surge = _alert(nov, "surge", "event_count", cell)
    assert surge["value"] >= 600 and surge["threshold"] >= alerts.SURGE_MIN
    assert surge["since"] == dt.date(2026, 11, 21)
    # the slowed handling also shows in November, and the most severe alert leads the table
    _alert(nov, "threshold", "on_time_rate", PLANTED["slow_handling"][0])
    assert nov.alerts["severity"].is_monotonic_decreasing


def test_alert_table_gives_the_events_behind_each_rate(reports):
    """The report's alerts table says on how many events each event metric rests (at least
    alerts.MIN_ALERT_EVENTS), as whole numbers; other rows leave the cell empty."""
    from report import files
    for key, header in (("zh", "事件数"), ("en", "Events")):
        report = reports[key]
        title, table = next((title, frame) for title, frame in files.tables(report)
                            if title == i18n.t("report_alerts", report.lang))
        counts = table[header].tolist()
        expected = [None if pd.isna(n) else int(n) for n in report.alerts["events"]]
        assert counts == expected and any(n is not None for n in counts)
        assert all(isinstance(n, int) and n >= alerts.MIN_ALERT_EVENTS
                   for n in counts if n is not None)
        event_codes = set(report.alerts.loc[report.alerts["events"].notna(), "code"])
        assert {catalog.BUILT_IN.get(code).kind for code in event_codes} <= {"events", "cases"}


def test_alert_rules_against_raw_rows(reports, store, events):
    """Each rule recomputed with pandas: districts with a station-day at AQI level >= 4, cells
    whose month reaches 5x their median month and 20, districts whose sections at class III or
    better fall under 90%."""
    air = store.df("SELECT a.day, a.aqi, s.district_code FROM air_daily a "
                   "JOIN stations s ON s.code = a.station_code")
    air["month"] = pd.to_datetime(air["day"]).dt.strftime("%Y-%m")
    water = store.df("SELECT district_code, period, class FROM water_quality")
    water["month"] = pd.to_datetime(water["period"]).dt.strftime("%Y-%m")
    counts = events.groupby(["grid_code", "month"]).size().unstack(fill_value=0)
    for month, report in ((OCT, reports["zh"]), (NOV, reports["nov"])):
        alerts = report.alerts
        heavy = air[(air["month"] == month) & (level_index(air["aqi"]) >= 4)]
        days = heavy.groupby("district_code")["day"].nunique()
        got = alerts[alerts["rule"] == "aqi"].set_index("area_code")["value"]
        assert got.to_dict() == {k: float(v) for k, v in days.items()}

        others = counts.drop(columns=month)
        need = np.maximum(5 * others.median(axis=1), 20)
        surging = counts.index[counts[month] >= need]
        got = alerts[alerts["rule"] == "surge"].set_index("area_code")
        assert sorted(got.index) == sorted(surging)
        for cell in surging:
            assert got.loc[cell, "value"] == counts.loc[cell, month]

    share = (water[water["month"] == OCT].groupby("district_code")["class"]
             .apply(lambda c: 100 * (c <= 3).mean()))
    got = reports["zh"].alerts
    got = got[(got["code"] == "water_good_rate") & (got["area_code"].str.len() == 6)
              & (got["area_code"] != "360700")]
    assert set(got["area_code"]) == set(share[share < 90].index)


# --- summary -------------------------------------------------------------------------------

_DATES = [r"\d{4}年", r"\d{1,2}-\d{1,2}月", r"\d{1,2}月", r"\d{1,2}日",
          r"\b\d{1,2}(st|nd|rd|th)\b", r"\b(19|20)\d{2}\b"]
_UNITS = ["µg/m³", "件/万人", "per 10k", "PM2.5", "PM10", "O3", "12345"]


def _scrubbed(sentence: str, runtime, report) -> str:
    """The sentence without the numbers that are not figures: names (places, stations,
    indicators), units and dates."""
    names = [*runtime.names("zh").values(), *runtime.names("en").values(),
             *report.alerts["where"], *report.alerts["detail"], *report.alerts["area_code"],
             *(n for i in catalog.INDICATORS for n in (i.name_zh, i.name_en))]
    for name in sorted({n for n in names if n}, key=len, reverse=True):
        sentence = sentence.replace(name, " ")
    for unit in _UNITS:
        sentence = sentence.replace(unit, " ")
    for pattern in _DATES:
        sentence = re.sub(pattern, " ", sentence)
    return sentence


def _table_numbers(report) -> list[float]:
    numbers = []
    for column in ("value", "target", "mom", "yoy", "level", "ytd", "ytd_mom"):
        numbers += list(report.kpis[column].dropna())
    for frame in report.rankings.values():
        numbers += list(frame["value"].dropna()) + list(frame["level"].dropna())
    for column in ("value", "threshold", "peak", "baseline", "events"):
        numbers += list(report.alerts[column].dropna())
    # counts of rows: indicators judged, met, alerts, alerts per rule
    judged = report.kpis[report.kpis["met"].notna()]
    numbers += [len(judged), int((judged["met"] == True).sum()), len(report.alerts)]  # noqa: E712
    numbers += list(report.alerts["rule"].value_counts())
    if getattr(report, "key_tasks", None) is not None:     # the key-task section's counts
        part = report.key_tasks
        numbers += [part.completion[c].sum() for c in ("total", "done", "on_track",
                                                        "at_risk", "overdue")]
        numbers += [len(part.overdue),
                    *part.overdue["lead_department_code"].value_counts()]
    return [abs(float(n)) for n in numbers]


def _check_numbers(report, runtime) -> int:
    allowed = _table_numbers(report)
    seen = 0
    for sentence in report.summary:
        for token in re.findall(r"\d+(?:\.\d+)?", _scrubbed(sentence, runtime, report)):
            places = len(token.split(".")[1]) if "." in token else 0
            value = float(token)
            assert any(abs(round(n, places) - value) < 1e-9 for n in allowed), \
                (token, sentence)
            seen += 1
    return seen


def test_summary_numbers_come_from_the_tables(reports, runtime):
    for key, report in reports.items():
        assert _check_numbers(report, runtime) >= (10 if key != "two" else 3), key
    for key in ("zh", "en", "nov", "nov_en"):
        assert 4 <= len(reports[key].summary) <= 8


def test_summary_sentences_say_the_tables(reports):
    zh, en = reports["zh"], reports["en"]
    fai = _row(zh, "fixed_asset_investment")
    text = "".join(zh.summary)
    assert f"1-10月全市固定资产投资同比增长{fai['ytd']:.1f}%" in text
    move = "回落" if fai["ytd_mom"] < 0 else "提高"
    assert f"增速较上月{move}{abs(fai['ytd_mom']):.1f}个百分点" in text
    assert "前三季度全市地区生产总值" in text
    met = int((zh.kpis["met"] == True).sum())  # noqa: E712
    assert zh.summary[0].startswith(f"2026年10月，赣州市9项重点指标中{met}项达到目标")
    water = _alert(zh, "threshold", "water_good_rate", PLANTED["water"][0])
    assert f"于都县Ⅲ类及以上水质断面比例{water['value']:.1f}%（预警线90.0%）" in text
    english = " ".join(en.summary)
    assert f"fixed-asset investment was up {fai['ytd']:.1f}% year on year" in english
    assert "January–October" in english
    nov = "".join(reports["nov"].summary)
    assert "2026年11月（截至24日）" in nov and "事件激增网格1个" in nov
    assert "重度及以上污染区县1个" in nov


def test_languages(reports):
    cjk = re.compile(r"[\u4e00-\u9fff]")
    for key in ("zh", "nov"):
        assert all(cjk.search(s) and s.endswith("。") for s in reports[key].summary)
    for key in ("en", "nov_en", "two"):
        for sentence in reports[key].summary:
            assert not cjk.search(sentence), sentence
            assert sentence[0].isupper() or sentence[0].isdigit()
            assert sentence.endswith(".")
    assert set(reports["en"].alerts["what"]).isdisjoint(reports["zh"].alerts["what"])
    assert all(not cjk.search(f.caption) for f in reports["en"].figures)


# --- errors --------------------------------------------------------------------------------

def test_errors(runtime):
    with pytest.raises(monthly.ReportError) as err:
        monthly.build_report(runtime, "2019-01")
    message = str(err.value)
    assert "2019-01" in message and "2024-12" in message and NOV in message
    assert "24 months" in message
    assert isinstance(err.value, ValueError)
    with pytest.raises(monthly.ReportError) as err:
        monthly.build_report(runtime, OCT, sections=("kpis", "weather"))
    assert "'weather'" in str(err.value)
    assert all(name in str(err.value) for name in monthly.SECTIONS)
    for bad in ("2026-13", "Oct 2026", "2026-1"):
        with pytest.raises(monthly.ReportError, match="YYYY-MM"):
            monthly.build_report(runtime, bad)
    with pytest.raises(monthly.ReportError, match="999999"):
        monthly.build_report(runtime, OCT, districts=("999999",))
    with pytest.raises(monthly.ReportError, match="language"):
        monthly.build_report(runtime, OCT, lang="fr")


def test_sections_subset(runtime):
    report = monthly.build_report(runtime, OCT, sections=("alerts", "economy"))
    assert report.sections == ("economy", "alerts")
    assert report.kpis.empty and set(report.rankings) == set(monthly.RANKED["economy"])
    assert not report.alerts.empty
    assert {f.chart for f in report.figures} >= {"eco-changes", "ops-ranking"}
    assert monthly.section_name("grid", "zh") == "网格治理"
    assert monthly.section_name("alerts", "en") == "Alerts"


# --- figures -------------------------------------------------------------------------------

def test_figure_specs_draw(reports, runtime):
    for key in ("zh", "nov_en", "two"):
        figures = reports[key].figures
        if key == "zh":
            assert len(figures) >= 20
        assert [f.number for f in figures] == list(range(1, len(figures) + 1))
        for spec in figures:
            assert spec.chart in registry.CHARTS and spec.caption
            assert valid_state(spec.state.to_dict(), runtime.context) == spec.state, spec
            assert spec.state.lang == reports[key].lang
            fig = registry.chart(spec.chart)(spec.state, runtime, theme.PRINT)
            assert isinstance(fig, go.Figure), spec
            assert fig.layout.title.text, spec
    charts = {f.chart for f in reports["zh"].figures}
    assert {"ops-trend", "eco-multiples", "grid-funnel", "env-calendar"} <= charts
    # the trailing thirteen months for trends, the month for the month's charts
    trend = next(f for f in reports["zh"].figures if f.chart == "ops-trend")
    assert (trend.state.start, trend.state.end) == ("2025-10-01", "2026-10-31")
    funnel = next(f for f in reports["zh"].figures if f.chart == "grid-funnel")
    assert (funnel.state.start, funnel.state.end) == ("2026-10-01", "2026-10-31")
    # the November surge is drawn for its grid cell
    surge = reports["nov_en"].alerts.query("rule == 'surge'").iloc[0]
    assert any(f.state.cell == surge["area_code"] for f in reports["nov_en"].figures)
    with pytest.raises(KeyError, match="ops-trend"):
        registry.chart("no-such-chart")


def test_the_cover_names_the_issuer_the_issue_and_the_day(settings, store, queries):
    """第 N 期 is the month of the year; the issuer comes from CITYBRAIN_REPORT_ISSUER, else the
    city's operations centre; the day is the centre's (a demo's frozen as-of day)."""
    from report.files import _cover_line
    from settings import from_env
    assert from_env({"CITYBRAIN_REPORT_ISSUER": " 赣州市人民政府办公室 "}).report_issuer == \
        "赣州市人民政府办公室"
    assert from_env({}).report_issuer is None
    own = Runtime(settings.with_(report_issuer="赣州市人民政府办公室"), store, queries)
    report = monthly.build_report(own, "2026-10", ("kpis",))
    assert (report.issuer, report.issue, report.issued) == (
        "赣州市人民政府办公室", 10, own.as_of.date())
    assert _cover_line(report).split("\n") == [
        "赣州市人民政府办公室 · 2026年第10期 · 2026-11-24 印发",
        "报告月份 2026-10 · 数据截至 2026-11-24 10:00 · 演示数据"]
    english = monthly.build_report(Runtime(settings, store, queries), "2026-09", ("kpis",),
                                   lang="en")
    assert _cover_line(english).startswith(
        f"{english.city_name} City Operations Centre · No. 9, 2026 · issued 2026-11-24")
