"""The menu in tabs and pages: 查询, 办理 and 打印, each a tab of pages of a few big buttons.

Pure logic, no Kivy: screens.menu_view draws it. A terminal may offer thirty services; at six
buttons a page a resident never meets a crowded screen, and the tabs say what kind of service
is where. Services keep their configured order inside their tab; a tab with no service is left
out, and with one tab only there is no tab row at all.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from kiosk.i18n import N_
from kiosk.service_types import Group
from kiosk.services import CATALOGUE
from kiosk.state import MenuItem

logger = logging.getLogger(__name__)

PER_PAGE = 6  # 3 columns × 2 rows of 110 dp buttons: fits 1280 × 800 in 长辈模式 with the tabs
TAB_ORDER = (Group.QUERY, Group.APPLY, Group.PRINT)
TAB_KEYS = {
    Group.QUERY: N_("menu.group.query"),
    Group.APPLY: N_("menu.group.apply"),
    Group.PRINT: N_("menu.group.print"),
}


@dataclass(frozen=True)
class MenuTab:
    group: Group
    pages: list[list[MenuItem]]

    @property
    def title_key(self) -> str:
        return TAB_KEYS[self.group]


def menu_tabs(items: list[MenuItem], per_page: int = PER_PAGE) -> list[MenuTab]:
    """The menu's items split into tabs (in TAB_ORDER) of pages of at most ``per_page``."""
    tabs = []
    for group in TAB_ORDER:
        members = [item for item in items if item.service in CATALOGUE and CATALOGUE[item.service].group is group]
        if members:
            pages = [members[start : start + per_page] for start in range(0, len(members), per_page)]
            tabs.append(MenuTab(group, pages))
    return tabs


def locate(tabs: list[MenuTab], service: str) -> tuple[int, int] | None:
    """(tab, page) where ``service``'s button is, or None when the menu does not hold it."""
    for tab_index, tab in enumerate(tabs):
        for page_index, page in enumerate(tab.pages):
            if any(item.service == service for item in page):
                return tab_index, page_index
    return None


def clamp(tabs: list[MenuTab], tab: int, page: int) -> tuple[int, int]:
    """A (tab, page) that exists: the nearest one to what was on screen, (0, 0) for an empty menu."""
    if not tabs:
        return 0, 0
    tab = min(max(tab, 0), len(tabs) - 1)
    return tab, min(max(page, 0), len(tabs[tab].pages) - 1)
