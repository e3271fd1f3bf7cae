"""docs/configuration.md is what scripts/config_reference.py writes from config/default.toml, and
default.toml documents every key of the configuration schema."""

from __future__ import annotations

import importlib.util
import tomllib
from pathlib import Path

from common.config import KioskConfig

REPO = Path(__file__).resolve().parents[1]


def _reference_module():
    spec = importlib.util.spec_from_file_location("config_reference", REPO / "scripts" / "config_reference.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_committed_reference_is_current():
    reference = _reference_module()
    expected = reference.render((REPO / "config" / "default.toml").read_text(encoding="utf-8"))
    assert (REPO / "docs" / "configuration.md").read_text(encoding="utf-8") == expected, (
        "run: .venv/bin/python scripts/config_reference.py"
    )


def test_every_key_of_the_schema_is_set_and_explained():
    reference = _reference_module()
    text = (REPO / "config" / "default.toml").read_text(encoding="utf-8")
    doc = reference.render(text)
    defaults = tomllib.loads(text)
    for section, model in KioskConfig.model_fields.items():
        fields = model.annotation.model_fields
        assert section in defaults, section
        for key in fields:
            assert key in defaults[section], f"{section}.{key} is not in config/default.toml"
            assert f"`{key}`" in doc.split(f"## [{section}]")[1].split("\n## ")[0], f"{section}.{key}"
    for row in (line for line in doc.splitlines() if line.startswith("| `")):
        assert not row.endswith("|  |"), f"a key without a comment: {row}"
