"""Boundaries, coordinate systems, tessellation and GeoJSON preparation."""
