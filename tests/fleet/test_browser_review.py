"""业务审核 in Debian's real Chromium against a real uvicorn gateway: an operator reviews a card
replacement through to 已领取 and refuses a filing with a reason; the resident's 办事进度 follows."""

from __future__ import annotations

from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from tests.fleet.conftest import PASSWORD, LiveServer
from tests.fleet.review_data import seed_applications
from tests.fleet.test_browser import browser, find, submit  # noqa: F401  (the browser fixture)

pytestmark = pytest.mark.browser


def test_an_operator_reviews_applications(live: LiveServer, browser: WebDriver, tmp_path: Path) -> None:  # noqa: F811
    with live.fleet.client() as terminal:
        made = seed_applications(live.fleet, terminal)
    card, filing = made["card"], made["filing_a"]
    browser.get(f"{live.url}/console/review")
    browser.find_element(By.ID, "username").send_keys("op_a")
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    submit(browser, "login-submit")
    assert "/console/review" in browser.current_url
    assert find(browser, f"app-{card.id}").find_element(By.CSS_SELECTOR, ".app-status").text == "已受理"
    assert not browser.find_elements(By.ID, f"app-{made['filing_b'].id}")  # another region's

    submit(browser, f"open-{card.id}")
    assert find(browser, "person-ssn").text == card.ssn and find(browser, "app-status").text == "已受理"
    browser.save_screenshot(str(tmp_path / "review-detail.png"))
    submit(browser, "decide-approved")
    assert find(browser, "app-status").text == "审核通过"
    submit(browser, "decide-producing")
    browser.find_element(By.ID, "tracking").send_keys("SF1029384756")
    submit(browser, "decide-shipped")
    assert find(browser, "app-status").text == "已寄出"
    assert "SF1029384756" in browser.find_element(By.ID, "app-fields").text
    submit(browser, "decide-collected")
    assert find(browser, "app-status").text == "已领取" and not browser.find_elements(By.ID, "decide-rejected")
    states = [e.text for e in browser.find_elements(By.CSS_SELECTOR, "#app-history .hist-status")]
    assert states == ["已提交", "已受理", "审核通过", "制卡中", "已寄出", "已领取"]
    assert len(browser.find_elements(By.CSS_SELECTOR, "#app-notifications .notify-state")) == 5

    browser.get(f"{live.url}/console/review/{filing.id}")
    browser.find_element(By.ID, "reason").send_keys("请补充异地安置证明")
    submit(browser, "decide-rejected")
    assert find(browser, "app-status").text == "未通过"
    browser.save_screenshot(str(tmp_path / "review-refused.png"))

    submit(browser, "nav-review")
    assert not browser.find_elements(By.ID, f"app-{card.id}") and not browser.find_elements(By.ID, f"app-{filing.id}")
    browser.get(f"{live.url}/console/audit?action=application_rejected")
    assert "请补充异地安置证明" in browser.find_element(By.ID, "audit").text
    submit(browser, "lang-switch")
    submit(browser, "nav-review")
    assert browser.find_element(By.TAG_NAME, "h2").text == "Waiting for review"
