"""The indicator catalogue: the whitelist of everything a query may name.

Each indicator says where its values come from (``kind``); for monthly statistics
(kind "value") how they add up across districts (``space``: sum, or mean weighted by
population) and over months (``time``: sum of flows, mean of rates, last of stocks). Air,
water and event metrics pool their station-days, section-months or events instead. Each
also says which way is better, and its target and alert threshold.
``basis`` says what the target is about: the level itself, the year-on-year change in %, or
the year's running total (January to the range's end, against a yearly target).
The catalogue is written into the store's ``indicators`` table; queries take names from here,
never from a request.

Targets: the target and alert line written here are the code's defaults. A city replaces
them for every year by re-declaring the indicator in a catalogue file, and per year (and per
district) with a targets file (``indicator_targets``). ``Catalogue.target`` is the one answer
to "the target of indicator X for year Y in district D", with where it came from.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, replace


@dataclass(frozen=True)
class Indicator:
    code: str
    name_zh: str
    name_en: str
    unit_zh: str
    unit_en: str
    domain: str            # economy | environment | grid | services
    frequency: str         # monthly | quarterly | daily | event
    kind: str              # value (indicator_values) | air | water | events | cases
    better: str            # higher | lower
    space: str = "sum"     # sum | mean (population-weighted)
    time: str = "sum"      # sum | mean | last
    #: level | yoy (the target and thresholds apply to YoY % change) | ytd (they apply to
    #: the total from January to the range's end: a yearly cumulative total, 累计; flows only)
    basis: str = "level"
    target: float | None = None
    alert: float | None = None   # breach threshold, on the same basis as the target
    decimals: int = 1

    @property
    def is_growth(self) -> bool:
        """True when the headline is year-on-year growth in % (flows and stocks with a
        growth target), False when it is the level itself (rates, shares, counts)."""
        return self.basis == "yoy" and self.kind == "value"

    @property
    def is_cumulative(self) -> bool:
        """True when the headline is the year's running total, January to the end of the
        range (累计), held to a yearly target."""
        return self.basis == "ytd" and self.kind == "value"


INDICATORS: tuple[Indicator, ...] = (
    # Economy: monthly district statistics (quarterly for GDP).
    Indicator("gdp", "地区生产总值", "GDP", "亿元", "100M CNY", "economy", "quarterly", "value",
              "higher", basis="yoy", target=6.5, alert=4.5),
    Indicator("industrial_va_growth", "规上工业增加值增速", "Industrial value added growth", "%", "%",
              "economy", "monthly", "value", "higher", space="mean", time="last", target=8.0,
              alert=5.0),
    Indicator("fixed_asset_investment", "固定资产投资", "Fixed-asset investment", "亿元", "100M CNY",
              "economy", "monthly", "value", "higher", basis="yoy", target=8.0, alert=0.0),
    Indicator("retail_sales", "社会消费品零售总额", "Retail sales of consumer goods", "亿元",
              "100M CNY", "economy", "monthly", "value", "higher", basis="yoy", target=7.0,
              alert=3.0),
    Indicator("budget_revenue", "一般公共预算收入", "General budget revenue", "亿元", "100M CNY",
              "economy", "monthly", "value", "higher", basis="yoy", target=5.0, alert=0.0),
    Indicator("tax_revenue", "税收收入", "Tax revenue", "亿元", "100M CNY", "economy", "monthly",
              "value", "higher", basis="yoy", target=5.0, alert=0.0),
    Indicator("unemployment_rate", "城镇调查失业率", "Surveyed urban unemployment", "%", "%",
              "economy", "monthly", "value", "lower", space="mean", time="mean", target=5.5,
              alert=6.0),
    Indicator("new_urban_jobs", "城镇新增就业", "New urban jobs", "人", "persons", "economy",
              "monthly", "value", "higher", basis="yoy", target=0.0, alert=-10.0, decimals=0),
    Indicator("new_market_entities", "新登记市场主体", "New market entities", "户", "entities",
              "economy", "monthly", "value", "higher", basis="yoy", target=5.0, alert=-10.0,
              decimals=0),
    Indicator("deposits", "金融机构存款余额", "Deposits of financial institutions", "亿元",
              "100M CNY", "economy", "monthly", "value", "higher", time="last", basis="yoy",
              target=8.0, alert=3.0),
    Indicator("loans", "金融机构贷款余额", "Loans of financial institutions", "亿元", "100M CNY",
              "economy", "monthly", "value", "higher", time="last", basis="yoy", target=10.0,
              alert=5.0),
    Indicator("electricity", "全社会用电量", "Electricity consumption", "亿千瓦时", "100M kWh",
              "economy", "monthly", "value", "higher", basis="yoy", target=5.0, alert=-5.0,
              decimals=2),
    Indicator("housing_sales_area", "商品房销售面积", "Housing sales area", "万平方米",
              "10k m²", "economy", "monthly", "value", "higher", basis="yoy", target=-5.0,
              alert=-20.0),
    # Environment: monthly district statistics.
    Indicator("dust_pm10", "工地扬尘PM10均值", "Construction-site dust PM10", "µg/m³", "µg/m³",
              "environment", "monthly", "value", "lower", space="mean", time="mean",
              target=80.0, alert=120.0, decimals=0),
    Indicator("noise_day", "昼间区域环境噪声", "Daytime ambient noise", "dB(A)", "dB(A)",
              "environment", "monthly", "value", "lower", space="mean", time="mean",
              target=55.0, alert=60.0),
    # Solid waste in five kinds (docs/DATA_MODEL.md says why each goes the way it does): what
    # is produced is better less (减量化); medical waste disposed is better more (应收尽收:
    # what is not disposed of has left the regulated stream); household waste collected,
    # with collection already near complete, follows what is thrown away: better less.
    Indicator("waste_household", "生活垃圾清运量", "Household waste collected", "万吨", "10k t",
              "environment", "monthly", "value", "lower", decimals=2),
    Indicator("waste_construction", "建筑垃圾产生量", "Construction waste produced", "万吨",
              "10k t", "environment", "monthly", "value", "lower", decimals=2),
    Indicator("waste_industrial", "一般工业固废产生量", "Industrial solid waste produced", "万吨",
              "10k t", "environment", "monthly", "value", "lower", decimals=2),
    Indicator("waste_hazardous", "危险废物产生量", "Hazardous waste produced", "吨", "t",
              "environment", "monthly", "value", "lower", decimals=0),
    Indicator("waste_medical", "医疗废物处置量", "Medical waste disposed", "吨", "t",
              "environment", "monthly", "value", "higher", decimals=0),
    # Environment: derived from station and section readings.
    Indicator("good_air_rate", "优良天数比例", "Share of good-air days", "%", "%", "environment",
              "daily", "air", "higher", space="mean", time="mean", target=96.0, alert=90.0),
    Indicator("pm25", "PM2.5平均浓度", "PM2.5 mean", "µg/m³", "µg/m³", "environment", "daily",
              "air", "lower", space="mean", time="mean", target=30.0, alert=35.0),
    Indicator("aqi", "空气质量指数", "Air quality index", "", "", "environment", "daily", "air",
              "lower", space="mean", time="mean", target=50.0, alert=100.0, decimals=0),
    Indicator("water_good_rate", "Ⅲ类及以上水质断面比例", "Sections at class III or better", "%",
              "%", "environment", "monthly", "water", "higher", space="mean", time="mean",
              target=95.0, alert=90.0),
    # Grid governance: derived from events.
    Indicator("event_count", "事件数", "Events", "件", "events", "grid", "event", "events",
              "lower", decimals=0),
    Indicator("events_per_10k", "每万人事件数", "Events per 10k residents", "件/万人",
              "per 10k", "grid", "event", "events", "lower", space="mean"),
    Indicator("closure_rate", "办结率", "Closure rate", "%", "%", "grid", "event", "events",
              "higher", space="mean", time="mean", target=95.0, alert=90.0),
    Indicator("on_time_rate", "按期办结率", "On-time rate", "%", "%", "grid", "event", "events",
              "higher", space="mean", time="mean", target=90.0, alert=85.0),
    Indicator("mean_handling_hours", "平均办理时长", "Mean handling time", "小时", "hours", "grid",
              "event", "events", "lower", space="mean", time="mean", target=48.0, alert=72.0),
    Indicator("satisfaction_rate", "满意率", "Satisfaction", "%", "%", "grid", "event", "events",
              "higher", space="mean", time="mean", target=90.0, alert=85.0),
    # Grid governance: monthly statistics of the grid and the 12345 hotline.
    *(Indicator(code, zh, en, "%", "%", "grid", "monthly", "value", "higher", space="mean",
                time="mean", target=target, alert=alert)
      for code, zh, en, target, alert in (
          ("grid_worker_on_duty_rate", "网格员在岗率", "Grid workers on duty", 95.0, 90.0),
          ("patrol_coverage_rate", "网格巡查覆盖率", "Patrol coverage", 98.0, 90.0),
          ("hotline_response_rate", "12345响应率", "12345 response rate", 99.0, 95.0),
          ("hotline_resolution_rate", "12345解决率", "12345 resolution rate", 90.0, 85.0),
          ("hotline_satisfaction_rate", "12345满意率", "12345 satisfaction", 90.0, 85.0))),
    # Government services: the plans' targets (Ganzhou 2022-2024, a Zhejiang city 2020).
    *(Indicator(code, zh, en, "%", "%", "services", "monthly", "value", "higher", space="mean",
                time="mean", target=target, alert=alert)
      for code, zh, en, target, alert in (
          ("one_network_rate", "一网通办率", "One-network service share", 100.0, 90.0),
          ("e_license_rate", "高频事项电子证照应用率", "E-licences in frequent services", 95.0,
           85.0),
          ("mobile_service_rate", "掌上可办率", "Services doable on a phone", 95.0, 85.0),
          ("online_acceptance_rate", "网上受理率", "Cases accepted online", 80.0, 70.0),
          ("mobile_enforcement_rate", "掌上执法率", "Mobile law enforcement", 90.0, 80.0),
          ("double_random_rate", "“双随机”事项覆盖率", "Double-random inspection items covered",
           100.0, 95.0),
          ("online_tax_rate", "网上申报率", "Online tax filing", 85.0, 75.0),
          ("video_share_rate", "公共视频共享率", "Public video shared", 80.0, 60.0),
          ("supervision_connected_rate", "非现场监管资源对接率",
           "Non-site supervision resources linked", 50.0, 40.0),
          ("supervision_shared_rate", "监管数据共享率", "Supervision data shared", 70.0, 60.0))),
    # a yearly total held to the year's target (> 100,000 a year): the headline is the total
    # from January to the range's end (累计), and no alert line, which a part of a year
    # would cross every month
    Indicator("self_service_cases", "自助终端办件量", "Self-service terminal cases", "件", "cases",
              "services", "monthly", "value", "higher", basis="ytd", target=100000.0,
              decimals=0),
    Indicator("smart_approval_items", "智能审批事项数", "Smart-approval services", "项",
              "services", "services", "monthly", "value", "higher", time="last", target=500.0,
              alert=400.0, decimals=0),
    Indicator("one_thing_items", "一件事一次办事项数", "One-thing-once services", "项",
              "services", "services", "monthly", "value", "higher", time="last", target=500.0,
              alert=400.0, decimals=0),
    # Government services: derived from the service cases (citybrain load service_cases), by
    # acceptance day (data/queries/services.py). No alert lines: a district's month holds a
    # few dozen cases, too few for one 差评 to be an alarm (a targets file may set them).
    Indicator("service_cases", "政务服务办件量", "Service cases", "件", "cases", "services",
              "event", "cases", "higher", decimals=0),
    Indicator("service_on_time_rate", "法定时限内办结率", "Completed within the legal limit",
              "%", "%", "services", "event", "cases", "higher", space="mean", time="mean",
              target=98.0),
    Indicator("bad_rating_share", "差评率", "Share of bad ratings", "%", "%",
              "services", "event", "cases", "lower", space="mean", time="mean", target=1.0,
              decimals=2),
    Indicator("bad_rating_rectified_rate", "差评整改率", "Bad ratings rectified", "%", "%",
              "services", "event", "cases", "higher", space="mean", time="mean",
              target=100.0),
)

#: Counts the city keeps for itself (how many services smart approval or 一件事一次办 covers):
#: the plans report them for the city only, so no screen splits them across districts (no
#: map, ranking or district card of them); a file's district rows add up to the city's.
CITY_ONLY = ("smart_approval_items", "one_thing_items")

#: Where a target comes from, from the most general to the most specific: this code's
#: catalogue, a city's catalogue file (its own indicators, or a built-in one re-declared),
#: a targets file (a year, and optionally a district).
TARGET_SOURCES = ("built-in", "catalogue", "targets")


@dataclass(frozen=True)
class Target:
    """The target and alert line an indicator is held to, and where they come from.

    ``source`` is one of TARGET_SOURCES and ``file`` the file that set it (None for the
    built-in catalogue). ``year`` and ``district`` are those of a targets file's row (None for a
    catalogue's target, which holds in every year, and for a city-wide row)."""

    code: str
    target: float | None
    alert: float | None
    source: str
    file: str | None = None
    year: int | None = None
    district: str | None = None


class Catalogue:
    """The indicators one store knows: the built-in ones and those its ``indicators`` table
    declares beyond them or re-declares (a catalogue file, ``citybrain load catalogue``), and
    the targets its ``indicator_targets`` table sets per year and district (a targets file,
    ``citybrain load targets``). Each open store has its own (``Store.catalogue``), so one
    city's indicators never reach another city's screens, and a reloaded store brings its own
    list. Queries accept only its codes; codes are checked by the loader (lower-case letters,
    digits, underscores) and only ever reach SQL as ``?`` values."""

    def __init__(self, indicators: Iterable[Indicator], targets: Iterable[Target] = (),
                 declared: dict[str, str | None] | None = None):
        self.indicators: tuple[Indicator, ...] = tuple(indicators)
        self._by_code = {i.code: i for i in self.indicators}
        #: Code -> the catalogue file that declared it (None: a file not recorded), for the
        #: city's own indicators and the built-in ones it re-declared.
        self.declared: dict[str, str | None] = dict(declared or {})
        #: The targets files' rows (year and district), in (code, year, district) order.
        self.targets: tuple[Target, ...] = tuple(sorted(
            targets, key=lambda t: (t.code, t.year or 0, t.district or "")))
        self._targets = {(t.code, t.year, t.district): t for t in self.targets}

    def __contains__(self, code: object) -> bool:
        # a hostile request may send a list where a code belongs: it is simply not one
        return isinstance(code, str) and code in self._by_code

    def __iter__(self) -> Iterator[Indicator]:
        return iter(self.indicators)

    def __len__(self) -> int:
        return len(self.indicators)

    def get(self, code: str) -> Indicator:
        """Return the entry for ``code``; KeyError names the valid codes."""
        try:
            return self._by_code[code]
        except (KeyError, TypeError):
            raise KeyError(f"unknown indicator {code!r}; known: {', '.join(self._by_code)}") \
                from None

    def codes(self, kind: str | None = None, domain: str | None = None) -> list[str]:
        """Return the codes, optionally only one kind or domain."""
        return [i.code for i in self.indicators
                if (kind is None or i.kind == kind) and (domain is None or i.domain == domain)]

    def as_rows(self) -> list[dict]:
        """Return the indicators as plain dicts, for a store's ``indicators`` table."""
        return [asdict(i) for i in self.indicators]

    def with_own(self, own: Iterable[Indicator], file: str | None = None) -> Catalogue:
        """This catalogue and a city's own indicators (declared in ``file``): a code it has
        already is re-declared (the city's names, unit, target and alert line replace its
        own, in its place); a new code comes after the others."""
        by_code = {i.code: i for i in own}
        declared: dict[str, str | None] = {**self.declared, **{code: file for code in by_code}}
        return Catalogue((*(by_code.get(i.code, i) for i in self.indicators),
                          *(i for code, i in by_code.items() if code not in self._by_code)),
                         self.targets, declared)

    def with_targets(self, targets: Iterable[Target]) -> Catalogue:
        """This catalogue with a targets file's rows (they replace rows of the same code,
        year and district)."""
        merged = {**self._targets, **{(t.code, t.year, t.district): t for t in targets}}
        return Catalogue(self.indicators, merged.values(), self.declared)

    def target(self, code: str, year: int, district: str | None = None) -> Target:
        """Return the target and alert line of indicator ``code`` in ``year`` (the year of the
        period a value is about) for ``district`` (None: the city), and where they come from.

        A targets file's row for the district and year, else its city-wide row for the year,
        else the catalogue's (a city's catalogue file, or the built-in one), which holds in
        every year. KeyError for an unknown code."""
        ind = self.get(code)
        for key in ((code, year, district), (code, year, None)) if district else \
                ((code, year, None),):
            if key in self._targets:
                return self._targets[key]
        if code in self.declared:
            return Target(code, ind.target, ind.alert, "catalogue", self.declared[code])
        return Target(code, ind.target, ind.alert, "built-in")

    def applied(self, code: str, year: int, district: str | None = None) -> Indicator:
        """Return the indicator with the target and alert line in force in ``year`` for
        ``district`` (``target``): what ``breach``, the figures and the report read."""
        ind = self.get(code)
        found = self.target(code, year, district)
        if (found.target, found.alert) == (ind.target, ind.alert):
            return ind
        return replace(ind, target=found.target, alert=found.alert)

    def has_alert_line(self, code: str, year: int) -> bool:
        """Whether any target in force in ``year`` (the city's or a district's) has an alert
        line: the alert rules skip the indicators without one."""
        if self.target(code, year).alert is not None:
            return True
        return any(t.alert is not None for t in self.targets
                   if t.code == code and t.year == year and t.district is not None)

    def own_target(self, code: str, year: int, district: str) -> bool:
        """Whether ``district`` has a target of its own for ``code`` in ``year``."""
        return (code, year, district) in self._targets

    def in_force(self, year: int) -> list[Target]:
        """Every target in force in ``year``: each indicator's city-wide one (those with a
        target, in catalogue order), each followed by the districts' own."""
        out = []
        for ind in self.indicators:
            city = self.target(ind.code, year)
            if city.target is not None:
                out.append(city)
            out += [t for t in self.targets if t.code == ind.code and t.year == year
                    and t.district is not None]
        return out

    def target_years(self) -> list[int]:
        """The years the targets files set targets for, in order."""
        return sorted({t.year for t in self.targets if t.year is not None})


#: The catalogue this code ships: a store may declare more and re-declare these.
BUILT_IN = Catalogue(INDICATORS)


def from_rows(rows: Iterable[dict], targets: Iterable[dict] = ()) -> Catalogue:
    """The catalogue of a store's ``indicators`` and ``indicator_targets`` rows: the built-in
    indicators, re-declared where a row from a catalogue file (``source`` set) says so, the
    city's own after them, and the targets files' rows."""
    declared: dict[str, str | None] = {}

    def indicator(row: dict) -> Indicator:
        row = {k: None if isinstance(v, float) and v != v else v for k, v in row.items()}
        declared[row["code"]] = row.pop("source", None)
        return Indicator(**{**row, "decimals": int(row["decimals"])})

    # a built-in code's row without a source is the store's copy of the built-in catalogue
    # (written with every store): this code's definition holds, so a newer release's fixes
    # reach old stores; a row from a catalogue file replaces it
    own = [indicator(row) for row in rows
           if row["code"] not in BUILT_IN or row.get("source") is not None]
    return Catalogue(BUILT_IN.with_own(own).indicators, (_target(row) for row in targets),
                     declared)


def _target(row: dict) -> Target:
    def number(v):
        return None if v is None or v != v else float(v)
    return Target(row["indicator_code"], number(row["target"]), number(row["alert"]), "targets",
                  row.get("source"), int(row["year"]), row.get("district_code") or None)


def of_store(store) -> Catalogue:
    """The catalogue of an open store (data/store.py); a store from before targets files
    has no ``indicator_targets`` table."""
    has_targets = store.rows("SELECT count(*) FROM information_schema.tables "
                             "WHERE table_name = 'indicator_targets'")[0][0]
    return from_rows(store.records("SELECT * FROM indicators"),
                     store.records("SELECT * FROM indicator_targets") if has_targets else ())


def breach(ind: Indicator, value: float | None) -> str:
    """Return 'ok', 'warn' (target missed) or 'alert' (alert threshold crossed) for a value on
    the indicator's basis; 'none' when there is no value or no target."""
    if value is None or value != value or ind.target is None:   # None, NaN or no target
        return "none"
    sign = 1 if ind.better == "higher" else -1
    if ind.alert is not None and sign * (value - ind.alert) < 0:
        return "alert"
    return "ok" if sign * (value - ind.target) >= 0 else "warn"


# Grid-event vocabularies: stored codes and their display names.
EVENT_CATEGORIES = {
    "appearance": ("市容环境", "City appearance"),
    "safety": ("安全隐患", "Safety hazards"),
    "dispute": ("矛盾纠纷", "Disputes"),
    "order": ("社会治安", "Public order"),
    "livelihood": ("民生服务", "Livelihood services"),
    "ecology": ("生态环境", "Ecology"),
    "other": ("其他", "Other"),
}
EVENT_SOURCES = {
    "patrol": ("网格员巡查", "Grid-worker patrol"),
    "hotline": ("12345热线", "12345 hotline"),
    "video_ai": ("视频AI识别", "Video AI detection"),
    "app": ("群众APP上报", "Citizen app"),
    "handover": ("部门移交", "Department hand-over"),
}
#: Surface-water classes of GB 3838-2002 (6 = worse than class V).
WATER_CLASSES = {1: ("Ⅰ类", "Class I"), 2: ("Ⅱ类", "Class II"), 3: ("Ⅲ类", "Class III"),
                 4: ("Ⅳ类", "Class IV"), 5: ("Ⅴ类", "Class V"), 6: ("劣Ⅴ类", "Worse than V")}
#: Life-cycle stages in order; an event's status is the last stage it reached.
EVENT_STAGES = {
    "reported": ("上报", "Reported"),
    "accepted": ("受理", "Accepted"),
    "dispatched": ("派遣", "Dispatched"),
    "handled": ("处置", "Handled"),
    "verified": ("核查", "Verified"),
    "closed": ("结案", "Closed"),
}
