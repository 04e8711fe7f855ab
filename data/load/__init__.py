"""Loading a city's own files into a store: boundaries, indicators, readings, events.

Every reader collects all the problems of a file (``problems.Problem``: file, row, column,
value, what was expected) and raises one ``LoadError`` holding them; ``build`` writes a new
store file beside the served one and swaps it in only when everything loaded.

The readers, each module above those it uses:

- ``catalogue``, ``indicators``, ``air``, ``water``, ``events``, ``places``: a ``read_<kind>``
  each, checking a table's cells against the store and the catalogue;
- ``table``: CSV, Excel or Parquet into a ``Table`` of text cells with their row numbers;
- ``columns``: the names each kind's columns go by (``table`` finds a header by them),
  matching a header against them, and the problems found on the way;
- ``cells``: numbers, periods, times, classes and units parsed from one cell's text;
- ``boundaries``: GeoJSON, Shapefile or GeoPackage boundaries (through ``geo.gdal``).
"""
