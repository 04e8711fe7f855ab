"""Limits on one view of one app: rates per caller (Flask-Limiter: sign-ins per address in
``web.auth``, feed batches per token in ``web.feeds``) and how many run at once (Dash's
callbacks, ``gate_view``)."""

from __future__ import annotations

import functools
import inspect
import threading
from contextlib import contextmanager

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
                      swallow_errors=True)
    # no headers of Flask-Limiter's: it sets Retry-After on every answer of a limited view
    # to its window's reset, over the view's own (a feed's 503 "send again in 5 s" read
    # 59); the 429 handlers (web.auth, web.feeds) say the window themselves
    server.view_functions[endpoint] = limiter.limit(rate, **options)(
        server.view_functions[endpoint])


def gate_view(server: flask.Flask, endpoint: str, slots: int) -> None:
    """Let at most ``slots`` requests run ``server``'s view ``endpoint`` at once; the others
    wait for a slot in their threads (0: no limit). Used for Dash's callbacks: those that
    run share the cores with the store's writer instead of crowding it out, and the threads
    not running one take the other requests (a feed's batch, the map's shapes, a health
    check) while the process has threads to spare (bench/README.md, "One query at a
    time")."""
    if not slots:
        return
    view = server.view_functions[endpoint]
    if inspect.iscoroutinefunction(view):      # Dash's async dispatch (with dash[async])
        raise TypeError(f"{endpoint} is async: its slot would be let go before it runs")
    gate = threading.BoundedSemaphore(slots)

    @functools.wraps(view)
    def gated(*args, **kwargs):
        with gate:
            flask.g.callback_gate = gate        # for ``aside``
            return view(*args, **kwargs)

    server.view_functions[endpoint] = gated


@contextmanager
def aside():
    """Give this request's slot (``gate_view``) back while the block waits for another
    process, and take one again after: an upload loads in a process of its own for up to
    CITYBRAIN_LOAD_SECONDS, and meanwhile the wall's and the analysts' callbacks run in its
    slot (two uploads at once held two of three). Outside a gated request: nothing."""
    gate = flask.g.get("callback_gate") if flask.has_request_context() else None
    if gate is None:
        yield
        return
    gate.release()
    try:
        yield
    finally:
        gate.acquire()
