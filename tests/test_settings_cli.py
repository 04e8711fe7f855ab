"""Settings from the environment and the citybrain command."""

import pytest

import cli
import settings as settings_mod
from data.store import Store
from tests.conftest import TEST_NOW


def test_defaults_run_the_demo_city():
    s = settings_mod.from_env({})
    assert s.build_demo_if_missing and s.demo_events == 1_000_000 and s.cache_type == "simple"


@pytest.mark.parametrize("env, message", [
    ({"CITYBRAIN_PORT": "eighty"}, "CITYBRAIN_PORT='eighty' is not an integer"),
    ({"CITYBRAIN_DEMO_EVENTS": "5"}, "CITYBRAIN_DEMO_EVENTS='5' must be at least 1000"),
    ({"CITYBRAIN_LANG": "fr"}, "CITYBRAIN_LANG='fr'"),
    ({"CITYBRAIN_CACHE": "redis"}, "needs REDIS_URL"),
    ({"CITYBRAIN_BUILD_DEMO": "perhaps"}, "is not a boolean"),
    ({"CITYBRAIN_DEMO_NOW": "noon"}, "not an ISO date-time"),
    ({"CITYBRAIN_TZ": "Beijing"}, "CITYBRAIN_TZ='Beijing' is not a time zone"),
    ({"CITYBRAIN_TZ": "../../etc/passwd"}, "is not a time zone"),
    ({"CITYBRAIN_ESCALATE_MINUTES": "aqi=15,flood=5"},
     "CITYBRAIN_ESCALATE_MINUTES: 'flood=5' is not rule=minutes"),
    ({"CITYBRAIN_ESCALATE_MINUTES": "aqi"}, "CITYBRAIN_ESCALATE_MINUTES: 'aqi' is not rule="),
    ({"CITYBRAIN_ESCALATE_MINUTES": "aqi=0"}, "'aqi=0': the minutes must be a whole number"),
    ({"CITYBRAIN_ESCALATE_MINUTES": "surge=-5"}, "'surge=-5': the minutes must be a whole"),
    ({"CITYBRAIN_ESCALATE_MINUTES": "warning=7.5"}, "'warning=7.5': the minutes must be"),
    ({"CITYBRAIN_ESCALATE_MINUTES": "aqi=ten"}, "'aqi=ten': the minutes must be"),
    ({"CITYBRAIN_ESCALATE_MINUTES": "aqi=10,aqi=20"}, "aqi is named twice"),
])
def test_bad_settings_fail_fast_naming_the_variable(env, message):
    with pytest.raises(settings_mod.SettingsError, match=message.replace("(", r"\(")):
        settings_mod.from_env(env)


def test_escalation_minutes_per_rule_from_the_environment():
    assert settings_mod.from_env({}).escalate_minutes == ()
    s = settings_mod.from_env({"CITYBRAIN_ESCALATE_MINUTES": " threshold = 45, aqi=5 ,"})
    assert dict(s.escalate_minutes) == {"threshold": 45, "aqi": 5}
    every = "threshold=30,aqi=15,surge=15,warning=10"
    assert settings_mod.from_env({"CITYBRAIN_ESCALATE_MINUTES": every}).escalate_minutes == (
        ("threshold", 30), ("aqi", 15), ("surge", 15), ("warning", 10))


def test_the_default_playlist_is_the_playlist_file():
    """One source: the settings' default wall playlist is layouts/wall_playlist.toml,
    every scene in it."""
    default = settings_mod.Settings().wall_playlist
    assert default == settings_mod.load_playlist(settings_mod.DEFAULT_PLAYLIST)
    assert default == settings_mod.from_env({}).wall_playlist
    assert [name for name, _ in default] == list(settings_mod.WALL_SCENES)


def test_the_centres_zone_is_beijing_unless_said_otherwise():
    assert settings_mod.from_env({}).time_zone == "Asia/Shanghai"
    assert settings_mod.from_env({"CITYBRAIN_TZ": "Asia/Urumqi"}).time_zone == "Asia/Urumqi"


def test_redis_url_selects_the_redis_cache():
    s = settings_mod.from_env({"REDIS_URL": "redis://127.0.0.1:6379/0"})
    assert s.cache_config["CACHE_TYPE"] == "data.cache.RedisWithLocalFallback"
    assert s.cache_config["CACHE_REDIS_URL"] == "redis://127.0.0.1:6379/0"


def test_demo_command_builds_and_refuses_to_overwrite(tmp_path, capsys):
    out = tmp_path / "c.duckdb"
    args = ["demo", "--events", "2000", "--out", str(out), "--now", TEST_NOW.isoformat(),
            "--quiet"]
    assert cli.main(args) == 0
    store = Store(out)
    assert store.rows("SELECT count(*) FROM grid_events")[0][0] >= 2000
    store.close()
    assert cli.main(args) == 1
    assert "use --force" in capsys.readouterr().err


def test_app_refuses_a_missing_store_when_building_is_off(tmp_path):
    from app import create_app
    s = settings_mod.Settings(db_path=tmp_path / "none.duckdb", build_demo_if_missing=False)
    with pytest.raises(FileNotFoundError, match="CITYBRAIN_BUILD_DEMO"):
        create_app(s)


def test_demo_command_reports_bad_arguments_without_a_traceback(tmp_path, capsys):
    out = str(tmp_path / "c.duckdb")
    assert cli.main(["demo", "--out", out, "--now", "noon", "--quiet"]) == 2
    assert "--now 'noon' is not an ISO date-time" in capsys.readouterr().err
    assert cli.main(["demo", "--out", out, "--events", "5", "--quiet"]) == 2
    assert "must be at least 1000" in capsys.readouterr().err


def test_demo_command_takes_its_defaults_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("CITYBRAIN_DEMO_EVENTS", "1500")
    monkeypatch.setenv("CITYBRAIN_DEMO_SEED", "99")
    out = tmp_path / "env.duckdb"
    assert cli.main(["demo", "--out", str(out), "--now", TEST_NOW.isoformat(), "--quiet"]) == 0
    store = Store(out)
    assert dict(store.rows("SELECT key, value FROM meta WHERE key IN ('events', 'seed')")) == \
        {"events": "1500", "seed": "99"}
    store.close()


def test_citybrain_serve_in_debug_mode_runs_no_code_reloader(city_path, tmp_path, monkeypatch):
    """CITYBRAIN_DEBUG=1 (Dash's dev tools): werkzeug's reloader would run the server again
    in a child process, which cannot open the store its parent owns in place (it failed with
    DuckDB's lock): the server runs without it, and `python app.py` is the same command."""
    import dash

    import app
    runs: list[dict] = []
    monkeypatch.setattr(dash.Dash, "run", lambda self, **options: runs.append(options))
    for name, value in {"CITYBRAIN_DEBUG": "1", "CITYBRAIN_BUILD_DEMO": "0",
                        "CITYBRAIN_AUTH": "off", "CITYBRAIN_STORE_WRITES": "copy",
                        "CITYBRAIN_DB": str(city_path),
                        "CITYBRAIN_ACCESS_DB": str(tmp_path / "access.sqlite")}.items():
        monkeypatch.setenv(name, value)
    assert cli.main(["serve"]) == 0
    with pytest.raises(SystemExit) as ended:
        app.main()
    assert ended.value.code == 0
    assert [(r["debug"], r["use_reloader"]) for r in runs] == [(True, False)] * 2
