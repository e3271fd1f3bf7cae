"""kiosk.menu_pages: thirty services in tabs 查询 / 办理 / 打印 of six-button pages."""

from __future__ import annotations

from common.config import KNOWN_SERVICES
from kiosk.menu_pages import PER_PAGE, clamp, locate, menu_tabs
from kiosk.service_types import Group
from kiosk.services import CATALOGUE
from kiosk.state import MenuItem


def test_every_service_is_on_one_page_of_its_groups_tab_in_the_configured_order():
    items = [MenuItem(name, enabled=True) for name in KNOWN_SERVICES]
    tabs = menu_tabs(items)
    assert [tab.group for tab in tabs] == [Group.QUERY, Group.APPLY, Group.PRINT]
    placed = [item.service for tab in tabs for page in tab.pages for item in page]
    assert sorted(placed) == sorted(KNOWN_SERVICES)
    for tab in tabs:
        assert all(1 <= len(page) <= PER_PAGE for page in tab.pages)
        order = [item.service for page in tab.pages for item in page]
        assert order == [name for name in KNOWN_SERVICES if CATALOGUE[name].group is tab.group]
    assert all(tab.title_key.startswith("menu.group.") for tab in tabs)


def test_a_service_is_found_on_its_tab_and_page():
    items = [MenuItem(name, enabled=True) for name in KNOWN_SERVICES]
    tabs = menu_tabs(items)
    tab, page = locate(tabs, "print_transfer_certificate")
    assert tabs[tab].group is Group.PRINT
    assert any(item.service == "print_transfer_certificate" for item in tabs[tab].pages[page])
    assert locate(tabs, "nothing_like_it") is None


def test_a_disabled_service_keeps_its_place_and_empty_groups_have_no_tab():
    items = [MenuItem("insurance_info", True), MenuItem("print_insured_certificate", False)]
    tabs = menu_tabs(items)
    assert [tab.group for tab in tabs] == [Group.QUERY, Group.PRINT]
    assert tabs[1].pages == [[items[1]]]


def test_a_place_that_no_longer_exists_is_moved_to_the_nearest_one():
    tabs = menu_tabs([MenuItem(name, True) for name in KNOWN_SERVICES])
    assert clamp(tabs, 9, 9) == (len(tabs) - 1, len(tabs[-1].pages) - 1)
    assert clamp(tabs, -1, -1) == (0, 0)
    assert clamp([], 2, 3) == (0, 0)
