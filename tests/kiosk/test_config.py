import pytest

from common.config import DEFAULT_CONFIG_PATH, load_toml, validate_config
from kiosk.config import load_config, parse_override
from kiosk.errors import ConfigError


def test_defaults_are_valid_and_documented():
    config = load_config()
    assert config.terminal.language == "zh_CN"
    text = DEFAULT_CONFIG_PATH.read_text(encoding="utf-8")
    raw = load_toml(DEFAULT_CONFIG_PATH)
    # every key has a comment somewhere above it in its section
    for section, values in raw.items():
        assert f"[{section}]" in text
        for key in values:
            assert f"\n{key} = " in text


def test_local_file_and_overrides_layer(tmp_path, monkeypatch):
    local = tmp_path / "local.toml"
    local.write_text("[session]\nidle_timeout = 90\n[printer]\npaper_width_dots = 384\n", encoding="utf-8")
    config = load_config(local, overrides=[parse_override("session.idle_timeout=30")])
    assert config.session.idle_timeout == 30
    assert config.printer.paper_width_dots == 384
    monkeypatch.setenv("KIOSK_CONFIG", str(local))
    assert load_config().session.idle_timeout == 90


@pytest.mark.parametrize(
    "override, named, expected",
    [
        ("session.idle_timeout='abc'", "session.idle_timeout = 'abc'", "expected a valid integer"),
        ("printer.paper_width_dots=500", "printer.paper_width_dots = 500", "expected 384 or 576"),
        ("terminal.language='fr'", "terminal.language = 'fr'", "expected 'zh_CN', 'zh_TW' or 'en'"),
        ("card.kind='magnetic'", "card.kind = 'magnetic'", "expected"),
        ("services.enabled=['teleport']", "services.enabled", "unknown: teleport"),
        ("session.countdown=0", "session.countdown = 0", "greater than or equal to 3"),
        ("card.reader='[unclosed'", "card.reader", "regular expression"),
    ],
)
def test_bad_values_name_key_value_and_expectation(override, named, expected):
    with pytest.raises(ConfigError) as info:
        load_config(overrides=[parse_override(override)])
    assert named in info.value.detail
    assert expected in info.value.detail


def test_unknown_key_and_missing_section_refused():
    with pytest.raises(ConfigError, match="card.colour: unknown key"):
        load_config(overrides=[parse_override("card.colour=1")])
    raw = load_toml(DEFAULT_CONFIG_PATH)
    del raw["printer"]
    with pytest.raises(ConfigError, match="printer: missing"):
        validate_config(raw)


def test_unreadable_files_refused(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "absent.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("[session\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(broken)
    with pytest.raises(ConfigError, match="section.key=value"):
        parse_override("novalue")


def test_the_enrolled_server_replaces_the_default_url_unless_set_explicitly(tmp_path, monkeypatch):
    monkeypatch.delenv("KIOSK_CONFIG", raising=False)
    enrolled = "https://gateway.example:18932"
    default_url = load_config().server.url
    default_timeout = load_config().server.timeout
    assert default_url != enrolled
    assert load_config(enrolled_server=enrolled).server.url == enrolled
    # A remote bundle sets no server key at all (endpoints are local only: tests/fleet/test_remote_keys.py).
    bundle = {"server": {"url": "https://elsewhere.example:1", "timeout": 7.0}}
    from_bundle = load_config(remote_bundle=bundle, enrolled_server=enrolled)
    assert from_bundle.server.url == enrolled and from_bundle.server.timeout == default_timeout
    # The operator's explicit choice wins: the local file (--config or KIOSK_CONFIG), or --set.
    local = tmp_path / "local.toml"
    local.write_text('[server]\nurl = "https://local.example:8600"\n', encoding="utf-8")
    assert load_config(local, enrolled_server=enrolled).server.url == "https://local.example:8600"
    monkeypatch.setenv("KIOSK_CONFIG", str(local))
    assert load_config(enrolled_server=enrolled).server.url == "https://local.example:8600"
    monkeypatch.delenv("KIOSK_CONFIG")
    cli = load_config(overrides=[parse_override("server.url=https://cli.example:1")], enrolled_server=enrolled)
    assert cli.server.url == "https://cli.example:1"
    # A local file that leaves server.url alone keeps the enrolled server.
    other = tmp_path / "other.toml"
    other.write_text("[server]\ntimeout = 9.0\n", encoding="utf-8")
    assert load_config(other, enrolled_server=enrolled).server.url == enrolled
