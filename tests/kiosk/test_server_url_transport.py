"""Outside loopback the kiosk talks to its gateway over https only: plain http would carry the
terminal's token and residents' data in clear (common.config.plain_http_refusal says why loopback
is allowed: the demo and a developer's gateway run there, and that traffic never leaves the machine)."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from cli.enroll_cmd import run_enroll
from common.config import plain_http_refusal
from kiosk.config import load_config, parse_override
from kiosk.errors import ConfigError


@pytest.mark.parametrize("url", ["http://gateway.example:8600", "http://10.0.0.5", "http://192.168.1.2:80/api"])
def test_plain_http_off_loopback_is_a_config_error_naming_server_url(url: str) -> None:
    with pytest.raises(ConfigError) as refused:
        load_config(overrides=[parse_override(f"server.url={url}")])
    assert "server.url" in refused.value.detail and "https://" in refused.value.detail
    with pytest.raises(ConfigError):
        load_config(enrolled_server=url)  # the credential's server is held to the same rule


@pytest.mark.parametrize(
    "url",
    ["https://gateway.example", "http://127.0.0.1:8600", "http://127.8.0.1", "http://[::1]:1", "http://localhost:9"],
)
def test_https_and_loopback_http_are_taken(url: str) -> None:
    assert plain_http_refusal(url) is None
    assert load_config(overrides=[parse_override(f"server.url={url}")]).server.url == url


def test_enrolment_refuses_plain_http_before_spending_the_code(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    args = argparse.Namespace(
        server="http://gateway.example:8600", code="ABCD-1234", terminal_id=None, overrides=[], data_dir=tmp_path
    )
    assert run_enroll(args) == 2
    assert "server.url" in capsys.readouterr().err
    assert not (tmp_path / "terminal.json").exists()
