"""The demo city's targets: a three-year plan up to the as-of year (2024-2026 for a city as
of 2026), stepped year by year the way the source plans step theirs (Ganzhou's 2022-2024
action plan: 一网通办 to 100% by the end of its last year, non-site supervision connected
rising each year), city-wide, with a few districts held to targets of their own. The
alert lines are the catalogue's where the plan does not move them, so the planted
anomalies stay alerts."""

from __future__ import annotations

import pandas as pd

from data.demo.city import SOURCE, Calendar

#: Indicator -> (target, alert line) for each of the plan's three years, oldest first.
CITY_PLAN: dict[str, tuple[tuple[float, float], ...]] = {
    # economy: growth targets set each year (两会), easing as the base grows
    "gdp": ((6.5, 4.5), (6.0, 4.0), (6.0, 4.0)),
    "industrial_va_growth": ((8.5, 5.0), (8.0, 5.0), (8.0, 5.0)),
    "fixed_asset_investment": ((8.0, 0.0), (7.0, 0.0), (6.0, 0.0)),
    "retail_sales": ((7.0, 3.0), (6.5, 3.0), (6.5, 3.0)),
    "budget_revenue": ((5.0, 0.0), (5.0, 0.0), (4.0, 0.0)),
    "unemployment_rate": ((5.5, 6.0), (5.5, 6.0), (5.5, 6.0)),
    # environment: the good-air share and PM2.5 tightened each year
    "good_air_rate": ((95.0, 90.0), (96.0, 90.0), (96.5, 90.0)),
    "pm25": ((32.0, 37.0), (31.0, 36.0), (30.0, 35.0)),
    "water_good_rate": ((93.0, 88.0), (94.0, 90.0), (95.0, 90.0)),
    # grid governance
    "closure_rate": ((93.0, 88.0), (94.0, 90.0), (95.0, 90.0)),
    "on_time_rate": ((88.0, 83.0), (90.0, 85.0), (92.0, 85.0)),
    "satisfaction_rate": ((88.0, 83.0), (90.0, 85.0), (90.0, 85.0)),
    # government services: the action plan's yearly steps
    "one_network_rate": ((90.0, 80.0), (95.0, 85.0), (100.0, 90.0)),
    "e_license_rate": ((85.0, 75.0), (90.0, 80.0), (95.0, 85.0)),
    "mobile_service_rate": ((85.0, 75.0), (90.0, 80.0), (95.0, 85.0)),
    "supervision_connected_rate": ((40.0, 30.0), (45.0, 35.0), (50.0, 40.0)),
    "supervision_shared_rate": ((60.0, 50.0), (65.0, 55.0), (70.0, 60.0)),
    "smart_approval_items": ((300.0, 240.0), (400.0, 320.0), (500.0, 400.0)),
    "one_thing_items": ((300.0, 240.0), (400.0, 320.0), (500.0, 400.0)),
}
#: (district, indicator) -> (target, alert line) for the plan's last two years: districts
#: held to more (the city centre's growth) or less (an industrial county's PM2.5) than the city.
DISTRICT_PLAN: dict[tuple[str, str], tuple[tuple[float, float], ...]] = {
    ("360702", "gdp"): ((7.0, 5.0), (7.0, 5.0)),                      # 章贡区
    ("360702", "retail_sales"): ((7.5, 3.0), (7.5, 3.0)),
    ("360703", "fixed_asset_investment"): ((9.0, 0.0), (8.0, 0.0)),  # 南康区
    ("360781", "good_air_rate"): ((97.0, 90.0), (97.5, 90.0)),       # 瑞金市
    ("360783", "pm25"): ((33.0, 38.0), (32.0, 37.0)),                # 龙南市
}


def targets(cal: Calendar) -> pd.DataFrame:
    """Return the plan's rows for ``indicator_targets``: the three years up to the as-of
    year, city-wide, and the districts' own for the last two."""
    last = cal.now.year
    years = (last - 2, last - 1, last)
    rows = [(code, year, None, target, alert)
            for code, steps in CITY_PLAN.items()
            for year, (target, alert) in zip(years, steps)]
    rows += [(code, year, district, target, alert)
             for (district, code), steps in DISTRICT_PLAN.items()
             for year, (target, alert) in zip(years[1:], steps)]
    frame = pd.DataFrame(rows, columns=["indicator_code", "year", "district_code", "target",
                                        "alert"])
    return frame.assign(source=SOURCE, as_of=cal.now)
