"""Functions that return components and figures; they never query data."""
