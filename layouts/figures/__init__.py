"""Figure builders: pure functions from a DataFrame to a ``go.Figure``, one per chart kind,
a module per screen (base: what they share).

They take a theme and a language and never query data; screens and exported reports share them.
Entity keys (district codes) ride in ``customdata`` so clicks can be read back without indices.

Each builder writes the figure as plotly's JSON structure and wraps it without validation:
plotly's object model costs ~10 ms a figure on every callback, the dict ~0.5 ms.
tests/test_figures.py rebuilds every builder's output with validation on, so a typo in a
property name still fails the suite.
"""

from layouts.figures.base import (  # noqa: F401
    DATE_AXIS,
    DAY_MS,
    SELECT_DRAG,
    as_of_label,
    empty,
    fit_title,
    indicator_title,
)
from layouts.figures.economy import (  # noqa: F401
    compare_districts,
    district_shares,
    small_multiples,
    yoy_mom,
)
from layouts.figures.environment import (  # noqa: F401
    aqi_calendar,
    pollutant_title,
    station_ranking,
    station_trends,
    water_classes_by_month,
)
from layouts.figures.grid import (  # noqa: F401
    category_source_matrix,
    funnel,
    handling_histogram,
)
from layouts.figures.maps import (  # noqa: F401
    MAP_COLORBAR_ROOM,
    MAP_DATA_TRACE,
    MAP_LAYER_TRACES,
    OUTLINED_AREAS_MAX,
    choropleth,
    choropleth_arrays,
    colorbar_title,
    hover_template,
    map_layers,
)
from layouts.figures.series import (  # noqa: F401
    aqi_daily,
    events_by_category,
    events_by_status,
    ranking,
    targets,
    trend,
)
from layouts.figures.services import (  # noqa: F401
    bad_ratings,
    case_volumes,
    departments_on_time,
    service_rates,
)
