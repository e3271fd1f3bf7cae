"""The console in Debian's real Chromium (Selenium, /usr/bin/chromedriver), against a real uvicorn
gateway and a simulated terminal running the kiosk's own fleet agent in a thread."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.fleet.conftest import PASSWORD, REGION_A, LiveServer, SimTerminal

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[WebDriver]:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-dev-shm-usage",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
        "--window-size=1280,1000",
    ):
        options.add_argument(arg)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    driver.set_page_load_timeout(20)
    yield driver
    driver.quit()


def submit(driver: WebDriver, button_id: str) -> None:
    """Click a button that navigates, and wait until the next page replaced this one."""
    button = driver.find_element(By.ID, button_id)
    button.click()
    WebDriverWait(driver, 20).until(expected_conditions.staleness_of(button))


def find(driver: WebDriver, element_id: str) -> WebElement:
    return WebDriverWait(driver, 20).until(expected_conditions.presence_of_element_located((By.ID, element_id)))


def reload_until(driver: WebDriver, url: str, css: str, expected: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    text = None
    while time.monotonic() < deadline:
        driver.get(url)
        found = driver.find_elements(By.CSS_SELECTOR, css)
        text = found[0].text.strip() if found else None
        if text == expected:
            return
        time.sleep(0.3)
    raise AssertionError(f"{css} on {url}: {text!r}, expected {expected!r}")


def test_staff_edit_profile_and_command_a_terminal(live: LiveServer, browser: WebDriver, tmp_path: Path) -> None:
    live.fleet.app.state.fleet.heartbeat_interval = 1
    token = live.fleet.register("T-A1", REGION_A, "花桥")
    terminal = SimTerminal(live.url, "T-A1", token, tmp_path / "kiosk")
    terminal.agent.start()
    try:
        # Log in (the first page redirects to the login form).
        browser.get(f"{live.url}/console/")
        assert "/console/login" in browser.current_url
        browser.find_element(By.ID, "username").send_keys("op_a")
        browser.find_element(By.ID, "password").send_keys(PASSWORD)
        submit(browser, "login-submit")
        reload_until(browser, f"{live.url}/console/", "#row-T-A1 td.st-online", "在线")

        # Edit the region profile: a bad value is refused next to its field, then fixed.
        browser.get(f"{live.url}/console/profiles/edit?scope=region&key={REGION_A}")
        browser.find_element(By.ID, "f.session.idle_timeout").send_keys("2")
        browser.find_element(By.ID, "f.terminal.language").send_keys("en")
        submit(browser, "profile-save")
        error = find(browser, "error-session.idle_timeout")
        assert "greater than or equal to 5" in error.text
        field = browser.find_element(By.ID, "f.session.idle_timeout")
        assert field.get_attribute("aria-invalid") == "true"
        field.clear()
        field.send_keys("90")
        submit(browser, "profile-save")
        assert find(browser, "saved").text.endswith("v1")

        # The terminal picks the change up and reports the new version; the origin shows per key.
        page = f"{live.url}/console/terminals/T-A1"
        browser.get(page)
        version = browser.find_element(By.ID, "config-version").text
        reload_until(browser, page, "#config-applied", version)
        assert terminal.live_applied[-1][0].session.idle_timeout == 90
        row = browser.find_element(By.CSS_SELECTOR, 'tr[data-key="session.idle_timeout"]')
        assert row.text.split() == ["session.idle_timeout", "90", f"region:{REGION_A}"]

        # Send a command and see it acknowledged.
        Select(browser.find_element(By.ID, "command-kind")).select_by_value("maintenance_on")
        submit(browser, "command-submit")
        reload_until(browser, page, "#commands td.cmd-state", "已确认")
        assert terminal.out_of_service
        reload_until(browser, page, "#terminal-state", "维护中")

        # English switch.
        submit(browser, "lang-switch")
        assert find(browser, "terminal-state").text == "Maintenance"
    finally:
        terminal.agent.stop()
