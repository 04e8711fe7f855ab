"""The charts: Dash-free functions from the filter state to figures and tables, one module per
screen, their registry, and the runtime they read (the store being served, its queries)."""
