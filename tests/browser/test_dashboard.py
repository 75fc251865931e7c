"""The assessors' dashboard in a real browser: charts render, tables sort without a library."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.browser
WAVE = "citizen_approval-2026-11"


def test_a_township_assessor_sees_forest_plots_and_sorts_the_village_table(
    browser, live_server: str, screenshots: Path
) -> None:
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    page.goto(f"{live_server}/auth/login")
    page.get_by_label("用户名").fill("assessor-t02")
    page.get_by_label("密码").fill("demo-assessor")
    page.get_by_role("button", name="登录").click()
    page.goto(f"{live_server}/assessor/waves/{WAVE}/orgs/QY02/")
    assert page.get_by_role("heading", name="指数概览").is_visible()
    assert page.locator("figure.chart svg").count() >= 2
    table = page.locator("table.sortable").nth(1)
    table.get_by_role("columnheader", name="估计值").click()
    first = table.locator("tbody tr").first.locator("td").nth(2).inner_text()
    table.get_by_role("columnheader", name="估计值").click()
    assert table.locator("tbody tr").first.locator("td").nth(2).inner_text() != first
    page.screenshot(path=str(screenshots / "assessor-dashboard-township.png"), full_page=True)
    page.goto(f"{live_server}/assessor/waves/{WAVE}/orgs/QY01/")
    assert "页面不存在" in page.content()  # 城关街道 is outside 石桥镇's subtree
    page.close()


def test_on_a_phone_the_tables_scroll_inside_the_page_and_a_note_number_leads_to_its_note(
    phone, live_server: str, screenshots: Path
) -> None:
    phone.goto(f"{live_server}/auth/login")
    phone.get_by_label("用户名").fill("assessor-t01")
    phone.get_by_label("密码").fill("demo-assessor")
    phone.get_by_role("button", name="登录").click()
    phone.goto(f"{live_server}/assessor/waves/{WAVE}/orgs/QY01/")
    # The page itself never scrolls sideways; a wide table scrolls in its own box.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    villages = phone.locator("table.sortable").nth(1)
    assert villages.get_by_role("columnheader", name="说明").count() == 1
    link = villages.locator("td.note-refs a").first
    target = link.get_attribute("href")
    link.click()
    note = phone.locator(target)
    assert note.evaluate("li => li.matches(':target')") and note.is_visible()
    assert note.inner_text() == link.get_attribute("title")
    box = note.bounding_box()
    assert box and 0 <= box["x"] and box["x"] + box["width"] <= 360  # it wraps, no sideways scroll
    phone.screenshot(path=str(screenshots / "assessor-dashboard-notes-phone.png"), full_page=True)
