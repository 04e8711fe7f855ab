"""The query layer's memoisation (data/cache.memoise): one key per store version, scope,
code and arguments; None is an answer; with Redis, recent answers stay in the process and
every caller gets its own copy."""

from __future__ import annotations

import flask
import pandas as pd
import pytest
from flask_caching import Cache

from bench.servers import RedisServer
from data.cache import memoise
from data.queries import Queries
from data.queries import base as queries_base


class _Counting:
    def __init__(self, answer):
        self.answer, self.calls = answer, 0

    def __call__(self, *args, **kwargs):
        self.calls += 1
        return self.answer() if callable(self.answer) else self.answer


def _v1(*_args, **_kwargs) -> str:
    return "v1"                             # one store version, whatever the call


def _cache(config: dict) -> Cache:
    return Cache(flask.Flask("t"), config=config)


def test_one_key_per_version_and_arguments_and_none_is_an_answer():
    cache = _cache({"CACHE_TYPE": "SimpleCache"})
    version = ["v1"]
    method = _Counting(None)
    memoised = memoise(cache, "Q.nothing", method, lambda *_args, **_kwargs: version[0])
    assert memoised("a", 1) is None and memoised("a", 1) is None
    assert method.calls == 1, "a None answer is kept like any other"
    memoised("a", 2)
    memoised("a", 1, extra=True)
    assert method.calls == 3
    version[0] = "v2"                      # a write to the store
    memoised("a", 1)
    assert method.calls == 4


def test_a_deploy_of_other_query_code_does_not_read_the_old_answers(store, monkeypatch):
    cache = _cache({"CACHE_TYPE": "SimpleCache"})
    queries = Queries(store, cache)
    first = queries._caching_id()
    monkeypatch.setattr(queries_base, "CODE_VERSION", "another-build")
    assert queries._caching_id() != first and queries._caching_id().startswith("another-build")


@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(tmp_path).start()
    yield server
    server.stop()


def test_with_redis_recent_answers_stay_in_the_process_and_each_caller_has_a_copy(
        redis_server):
    config = {"CACHE_TYPE": "data.cache.RedisWithLocalFallback",
              "CACHE_REDIS_URL": redis_server.url, "CACHE_KEY_PREFIX": "citybrain:"}
    cache = _cache(config)
    backend = cache.cache
    asked = []
    real_get = backend.get
    backend.get = lambda key: asked.append(key) or real_get(key)
    method = _Counting(lambda: pd.DataFrame({"n": [1, 2, 3]}))
    memoised = memoise(cache, "Q.frame", method, _v1)
    first = memoised("x")
    assert len(redis_server.keys()) == 1, "the answer is shared through Redis"
    first.loc[0, "n"] = 99                  # a caller changing its frame
    again = memoised("x")
    assert again["n"].tolist() == [1, 2, 3]
    assert method.calls == 1 and len(asked) == 1, "the second answer came from the process"
    # another memoised method of this process shares its recent answers (one bound)
    assert memoise(cache, "Q.frame", _Counting(None), _v1)("x") is not None
    assert len(asked) == 1
    # another process (a backend of its own) reads Redis's copy
    other = _cache(config)
    theirs = []
    other_get = other.cache.get
    other.cache.get = lambda key: theirs.append(key) or other_get(key)
    answer = memoise(other, "Q.frame", _Counting(None), _v1)("x")
    assert answer["n"].tolist() == [1, 2, 3] and len(theirs) == 1
