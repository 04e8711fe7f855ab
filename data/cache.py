"""The query cache: how the query layer memoises its answers, and the backend when several
workers share a Redis (Redis while it answers, a process-local cache while it does not).

A stopped or unreachable Redis must not stop the dashboard: a call that fails marks Redis down
for ``RETRY_SECONDS`` and goes to the local cache meanwhile; the first call after that tries
Redis again, so the workers share their answers again once it is back. The client's timeouts
are short (loopback or one LAN hop), so a Redis that hangs costs a request half a second once,
not every request.
"""

from __future__ import annotations

import collections
import functools
import hashlib
import logging
import pickle
import threading
import time
from collections.abc import Callable

from flask_caching.backends.base import BaseCache
from flask_caching.backends.rediscache import RedisCache
from flask_caching.backends.simplecache import SimpleCache

log = logging.getLogger(__name__)

#: How long Redis is left alone after a failure, in seconds.
RETRY_SECONDS = 5.0


class RedisWithLocalFallback(BaseCache):
    """A flask-caching backend (``CACHE_TYPE = "data.cache.RedisWithLocalFallback"``)."""

    def __init__(self, url: str, default_timeout: int = 300, key_prefix: str = "citybrain:",
                 threshold: int = 5000):
        import redis
        super().__init__(default_timeout)
        self._errors = (redis.exceptions.RedisError, OSError)
        client = redis.Redis.from_url(url, socket_connect_timeout=0.25, socket_timeout=0.5)
        self.remote = RedisCache(host=client, default_timeout=default_timeout,
                                 key_prefix=key_prefix)
        self.local = SimpleCache(threshold=threshold, default_timeout=default_timeout)
        #: The answers this process read or computed last (``memoise``): one per process.
        self.recent = _Recent()
        self._down_until = 0.0
        self._lock = threading.Lock()

    @classmethod
    def factory(cls, app, config, args, kwargs):
        return cls(config["CACHE_REDIS_URL"], config.get("CACHE_DEFAULT_TIMEOUT", 300),
                   config.get("CACHE_KEY_PREFIX") or "citybrain:",
                   config.get("CACHE_THRESHOLD", 5000))

    @property
    def using_redis(self) -> bool:
        """False while Redis is marked down (the local cache answers)."""
        return time.monotonic() >= self._down_until

    def ping(self) -> bool:
        """Whether Redis answers now (the health check asks; a failure is not remembered)."""
        try:
            return bool(self.remote._write_client.ping())
        except self._errors:
            return False

    def _call(self, name: str, *args, **kwargs):
        if self.using_redis:
            try:
                return getattr(self.remote, name)(*args, **kwargs)
            except self._errors as exc:
                with self._lock:
                    if self.using_redis:
                        log.warning("Redis unreachable (%s): local cache for %.0f s", exc,
                                    RETRY_SECONDS)
                    self._down_until = time.monotonic() + RETRY_SECONDS
        return getattr(self.local, name)(*args, **kwargs)

    def get(self, key):
        return self._call("get", key)

    def get_many(self, *keys):
        return self._call("get_many", *keys)

    def get_dict(self, *keys):
        return self._call("get_dict", *keys)

    def set(self, key, value, timeout=None):
        return self._call("set", key, value, timeout)

    def set_many(self, mapping, timeout=None):
        return self._call("set_many", mapping, timeout)

    def add(self, key, value, timeout=None):
        return self._call("add", key, value, timeout)

    def delete(self, key):
        return self._call("delete", key)

    def delete_many(self, *keys):
        return self._call("delete_many", *keys)

    def has(self, key):
        return self._call("has", key)

    def clear(self):
        return self._call("clear")


# --- memoisation ---

#: The most a process keeps of answers it also finds in the shared cache (pickled bytes).
LOCAL_BYTES = 64 * 2**20


class _Recent:
    """The answers a process read or computed last, as pickled bytes, newest kept, within
    ``max_bytes``: a hit costs an unpickling, not a Redis round trip (under load a thread
    waiting on a socket then waits again for the interpreter). Keys name a store version, so
    an entry never goes stale; every caller gets its own copy."""

    def __init__(self, max_bytes: int = LOCAL_BYTES):
        self.max_bytes, self.size = max_bytes, 0
        self._entries: collections.OrderedDict[str, bytes] = collections.OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str):
        with self._lock:
            blob = self._entries.get(key)
            if blob is None:
                return None
            self._entries.move_to_end(key)
        return pickle.loads(blob)

    def put(self, key: str, answer) -> None:
        blob = pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)
        if len(blob) > self.max_bytes // 8:
            return                                # a rare big answer would evict everything
        with self._lock:
            old = self._entries.pop(key, None)
            self.size += len(blob) - (len(old) if old is not None else 0)
            self._entries[key] = blob
            while self.size > self.max_bytes:
                _, dropped = self._entries.popitem(last=False)
                self.size -= len(dropped)


def memoise(cache, name: str, method: Callable, caching_id: Callable[..., str]) -> Callable:
    """``method`` answering from ``cache`` (a flask-caching ``Cache``) by one key: ``name``,
    ``caching_id(*args, **kwargs)`` (the versions of what the call reads, and the reader's
    scope) and the arguments.

    One look-up per call (flask-caching's own memoize asks the cache for two version keys
    first: three Redis round trips per answer). Keys are never deleted: a write to the store
    changes ``caching_id``. With a shared backend (Redis) the process keeps recent answers
    too (the backend's ``_Recent``, shared by every memoised method)."""
    recent = getattr(cache.cache, "recent", None)

    @functools.wraps(method)
    def memoised(*args, **kwargs):
        # repr, not hash(): the key must be the same in every worker process
        arguments = repr((args, sorted(kwargs.items()))).encode()
        key = (f"q:{name}:{caching_id(*args, **kwargs)}:"
               f"{hashlib.sha256(arguments).hexdigest()[:32]}")
        if recent is not None and (hit := recent.get(key)) is not None:
            return hit[0]
        found = cache.get(key)
        if found is None:
            found = (method(*args, **kwargs),)     # a tuple: None is an answer too
            cache.set(key, found)
        if recent is not None:
            recent.put(key, found)
        return found[0]

    return memoised
