"""The pinyin journey on Xvfb (`main.py --demo --script pinyin`, demo.pinyin_story): the dispute
wizard's employer name and description are typed as pinyin and chosen on the candidate bar, the
application is submitted, and the gateway stores the Chinese text; in 长辈模式, every screenshot
checked against its size rules."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.ui

TIMEOUT = 240


@pytest.mark.timeout(TIMEOUT)
def test_a_wizard_text_typed_in_pinyin_reaches_the_gateway_in_chinese(run_kiosk, tmp_path):
    out_dir = tmp_path / "pinyin"
    completed = run_kiosk(
        "--demo", "--data-dir", str(tmp_path / "demo"), "--script", "pinyin", "--output", str(out_dir),
        timeout=TIMEOUT - 30,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stdout + completed.stderr[-4000:]
    record = json.loads((out_dir / "pinyin.json").read_text(encoding="utf-8"))
    assert record["outcome"] == "receipt" and record["printed"] and record["elder_mode"], record
    assert record["form"]["respondent"] == "某某科技有限公司", record
    assert record["form"]["description"] == "拖欠工资两个月未发放", record
    assert list(out_dir.glob("*-pinyin-respondent.png"))  # the candidate bar, checked legible when shot
