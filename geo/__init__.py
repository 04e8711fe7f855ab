"""Coordinate systems, tessellation, GeoJSON preparation, the demo's boundaries and what GDAL
may open (reading a city's boundary files is ``data.load.boundaries``)."""
