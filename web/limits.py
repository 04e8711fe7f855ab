"""Rates per caller (Flask-Limiter) for one view of one app: sign-ins per address
(``web.auth``), feed batches per token (``web.feeds``)."""

from __future__ import annotations

import flask


def limit_view(server: flask.Flask, settings, endpoint: str, rate: str, key_func,
               **options) -> None:
    """Wrap ``server``'s view ``endpoint`` in ``rate`` (Flask-Limiter's notation) per
    ``key_func()``, counted in Redis when ``REDIS_URL`` is set (every worker shares the
    count; in memory while Redis is down), else in this process. The limit wraps this app's
    view only: several apps live in one test process."""
    from flask_limiter import Limiter
    limiter = Limiter(key_func=key_func, app=server, default_limits=[],
                      storage_uri=settings.redis_url or "memory://",
                      in_memory_fallback_enabled=bool(settings.redis_url),
                      swallow_errors=True, headers_enabled=True)
    server.view_functions[endpoint] = limiter.limit(rate, **options)(
        server.view_functions[endpoint])
