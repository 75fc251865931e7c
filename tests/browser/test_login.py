"""The login page in a real browser on a phone-sized screen."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.browser


def test_an_admin_logs_in_on_a_phone_and_sees_the_admin_home(phone, live_server: str,
                                                             screenshots: Path) -> None:
    phone.goto(f"{live_server}/")
    assert phone.get_by_role("heading", name="登录").is_visible()
    phone.screenshot(path=str(screenshots / "login-360.png"), full_page=True)
    phone.get_by_label("用户名").fill("admin")
    phone.get_by_label("密码").fill("demo-admin")
    phone.get_by_role("button", name="登录").click()
    phone.wait_for_url(f"{live_server}/admin/")
    assert phone.get_by_role("heading", name="管理首页").is_visible()
    phone.screenshot(path=str(screenshots / "admin-home-360.png"), full_page=True)
    # Nothing on the page is wider than the phone: no sideways scrolling.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360


def test_a_wrong_password_shows_the_message_next_to_the_field(phone, live_server: str) -> None:
    phone.goto(f"{live_server}/auth/login")
    phone.get_by_label("用户名").fill("admin")
    phone.get_by_label("密码").fill("wrong")
    phone.get_by_role("button", name="登录").click()
    assert phone.get_by_text("用户名或密码不正确").is_visible()
