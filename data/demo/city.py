"""The demo city's fixed facts and its time frame: Ganzhou's districts, the Spring Festival
dates, the departments, the anomalies planted on purpose, and the 24 months the city covers.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from settings import local_now

SOURCE = "demo-generator"
CITY = {"code": "360700", "name_zh": "赣州市", "name_en": "Ganzhou"}

#: code -> (English name, population in 10k, economic weight per head)
DISTRICTS = {
    "360702": ("Zhanggong", 65, 2.1), "360703": ("Nankang", 85, 1.1),
    "360704": ("Ganxian", 56, 1.0), "360722": ("Xinfeng", 66, 0.9),
    "360723": ("Dayu", 30, 0.9), "360724": ("Shangyou", 27, 0.8),
    "360725": ("Chongyi", 19, 0.85), "360726": ("Anyuan", 34, 0.7),
    "360728": ("Dingnan", 19, 0.95), "360729": ("Quannan", 16, 0.85),
    "360730": ("Ningdu", 75, 0.65), "360731": ("Yudu", 95, 0.75),
    "360732": ("Xingguo", 75, 0.7), "360733": ("Huichang", 43, 0.7),
    "360734": ("Xunwu", 29, 0.75), "360735": ("Shicheng", 28, 0.65),
    "360781": ("Ruijin", 61, 0.85), "360783": ("Longnan", 31, 1.1),
}

#: Spring Festival (春节) dates: activity dips around them.
SPRING_FESTIVAL = [dt.date(2023, 1, 22), dt.date(2024, 2, 10), dt.date(2025, 1, 29),
                   dt.date(2026, 2, 17), dt.date(2027, 2, 6), dt.date(2028, 1, 26)]

#: Anomalies planted on purpose so alerts have something to find (the key tasks planted
#: off track are in PLANTED_KEY_TASKS).
PLANTED = {
    "fai_drop": ("360728", "fixed_asset_investment", "last month's FAI 40% below a year ago"),
    "unemployment": ("360734", "unemployment_rate", "unemployment 6.4% last month"),
    "industry": ("360729", "industrial_va_growth", "industrial VA growth 2.1% last month"),
    "pm25_episode": ("360702", "pm25", "one station at heavy pollution over the last 36 hours"),
    "water": ("360731", "water_good_rate", "one section at class V last month"),
    "slow_handling": ("360726", "on_time_rate", "handling three times slower over 45 days"),
    "event_surge": ("grid", "event_count", "600 appearance events in one cell in 72 hours"),
    "flood_warning": ("360731", "warning", "a red flood warning over Yudu in force at the "
                                           "as-of time"),
}
#: Key tasks planted off track: task number (its code is KT<year>-<number>, see
#: ``key_task_code``) -> the status Queries.key_tasks must give it. Overdue ones stall at
#: 60-90% and fall due before the as-of month; at-risk ones trail the linear plan by 25-35
#: points (or sit at 0% while the plan is under that).
PLANTED_KEY_TASKS = {3: "overdue", 8: "overdue", 21: "overdue",
                     2: "at_risk", 15: "at_risk", 23: "at_risk", 25: "at_risk"}

#: Departments (code, name_zh, name_en): D01-D13 are handed grid events, all may lead key tasks.
_DEPARTMENTS = [
    ("D01", "城市管理局", "Urban Management Bureau"), ("D02", "公安局", "Public Security Bureau"),
    ("D03", "应急管理局", "Emergency Management Bureau"),
    ("D04", "生态环境局", "Ecology and Environment Bureau"),
    ("D05", "住房和城乡建设局", "Housing and Construction Bureau"),
    ("D06", "市场监督管理局", "Market Regulation Bureau"), ("D07", "民政局", "Civil Affairs Bureau"),
    ("D08", "人力资源和社会保障局", "Human Resources and Social Security Bureau"),
    ("D09", "司法局", "Justice Bureau"), ("D10", "信访局", "Letters and Visits Bureau"),
    ("D11", "水利局", "Water Resources Bureau"), ("D12", "交通运输局", "Transport Bureau"),
    ("D13", "属地乡镇街道", "Local township office"),
    # lead departments of key tasks only (no grid events are handed to them)
    ("D14", "发展和改革委员会", "Development and Reform Commission"),
    ("D15", "数据局", "Data Bureau"), ("D16", "行政审批局", "Administrative Approval Bureau"),
    ("D17", "工业和信息化局", "Industry and Information Technology Bureau"),
    ("D18", "农业农村局", "Agriculture and Rural Affairs Bureau"),
    ("D19", "商务局", "Commerce Bureau"), ("D20", "自然资源局", "Natural Resources Bureau"),
    ("D21", "政法委员会", "Political and Legal Affairs Commission"),
]


@dataclass(frozen=True)
class Calendar:
    """The time frame of a demo city: 24 months up to ``now``'s month."""

    now: dt.datetime

    @property
    def first_month(self) -> dt.date:
        return _add_months(self.now.date().replace(day=1), -23)

    @property
    def last_complete_month(self) -> dt.date:
        return _add_months(self.now.date().replace(day=1), -1)

    def months(self, before: int = 0) -> list[dt.date]:
        """Month starts of the 24 months (and ``before`` extra months ahead of them)."""
        return [_add_months(self.first_month, k) for k in range(-before, 24)]


def _add_months(d: dt.date, k: int) -> dt.date:
    y, m = divmod(d.month - 1 + k, 12)
    return dt.date(d.year + y, m + 1, 1)


def default_now() -> dt.datetime:
    """The current time floored to the hour: the demo city's as-of time."""
    return local_now().replace(minute=0, second=0, microsecond=0)
