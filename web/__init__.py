"""The Flask side of the app beside Dash: sign-in and roles (``web.auth``), and the routes that
serve files (``web.routes``: GeoJSON, map styles, fonts, downloads, chart and report files,
the health check), the push API (``web.feeds``), each a blueprint installed by
``app.create_app``; ``web.limits`` the per-caller rates they share."""
