"""A citizen answers on a 360 px phone in Debian's Chromium, with and without JavaScript."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

LINK = "/s/citizen_approval-2026-11/QY01V01"
PAGE_WEIGHT_LIMIT = 60 * 1024

FIRST_PAGE = {
    "policy_delivery": "满意", "party_affairs_open": "很满意", "funds_transparent": "满意",
    "office_clean": "基本满意", "cadre_conduct": "满意", "cases_handled": "不了解",
    "customs_simple": "满意", "society_fair": "不太满意",
}
SECOND_PAGE = {"formalism": "很少", "bureaucratism": "有时", "hedonism": "没有遇到",
               "extravagance": "很少"}
THIRD_PAGE = {"village_party_org": "满意", "township_service": "基本满意",
              "township_outreach": "满意", "overall_conduct": "满意"}


@pytest.fixture
def phone_without_js(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="zh-CN",
                                  device_scale_factor=2, is_mobile=True, has_touch=True,
                                  java_script_enabled=False)
    page = context.new_page()
    yield page
    context.close()


def pick(page: Any, item: str, label: str) -> None:
    page.locator(f"#item-{item}").get_by_text(label, exact=True).click()


def answer(page: Any, answers: dict[str, str]) -> None:
    for item, label in answers.items():
        pick(page, item, label)


def heading(page: Any) -> str:
    return page.locator("form.survey h1").inner_text()


def answer_the_questionnaire(page: Any, base: str, shots: Path, prefix: str, *,
                             javascript: bool) -> None:
    page.goto(base + LINK)
    page.screenshot(path=shots / f"{prefix}-0-start.png", full_page=True)
    page.get_by_role("button", name="开始答题").click()
    assert heading(page) == "对本地党风政风的评价"
    answer(page, FIRST_PAGE)
    page.screenshot(path=shots / f"{prefix}-1-first-page.png", full_page=True)
    page.get_by_role("button", name="下一页").click()
    assert heading(page) == "干部作风"

    page.get_by_role("button", name="上一页").click()  # back keeps the answers
    assert heading(page) == "对本地党风政风的评价"
    assert page.locator("#item-society_fair input[value=不太满意]").is_checked()
    page.get_by_role("button", name="下一页").click()
    answer(page, SECOND_PAGE)
    page.get_by_role("button", name="下一页").click()

    assert heading(page) == "村（社区）和乡镇（街道）"
    assert page.locator("#item-village_handling").is_hidden()
    pick(page, "village_dealings", "有")
    if javascript:  # the branch opens as soon as 有 is chosen
        assert page.locator("#item-village_handling").is_visible()
    else:  # the server shows the branch before moving on
        answer(page, THIRD_PAGE)
        page.get_by_role("button", name="下一页").click()
        assert page.locator("#item-village_handling").is_visible()
    pick(page, "village_handling", "满意")
    answer(page, THIRD_PAGE)
    page.screenshot(path=shots / f"{prefix}-2-branch.png", full_page=True)
    page.get_by_role("button", name="下一页").click()
    assert heading(page) == "关于您（用于统计，不用于识别个人）"


def resume_in_a_new_tab(page: Any, base: str) -> Any:
    """Close the tab and open the village link again in the same browser."""
    tab = page.context.new_page()
    page.close()
    tab.goto(base + LINK)
    assert heading(tab) == "关于您（用于统计，不用于识别个人）"
    return tab


def finish(page: Any, shots: Path, prefix: str) -> None:
    pick(page, "age_group", "30—44岁")
    page.locator("#item-comment textarea").fill("希望村务公开更及时。")
    page.screenshot(path=shots / f"{prefix}-3-last-page.png", full_page=True)
    page.get_by_role("button", name="提交").click()
    assert page.get_by_role("heading", name="提交成功，感谢您的参与！").is_visible()
    page.screenshot(path=shots / f"{prefix}-4-thanks.png", full_page=True)


def test_a_citizen_answers_on_a_phone_goes_back_resumes_and_submits(phone, live_server,
                                                                   screenshots):
    answer_the_questionnaire(phone, live_server, screenshots, "citizen-js", javascript=True)
    tab = resume_in_a_new_tab(phone, live_server)
    finish(tab, screenshots, "citizen-js")


def test_a_citizen_without_javascript_can_do_the_same(phone_without_js, live_server,
                                                      screenshots):
    answer_the_questionnaire(phone_without_js, live_server, screenshots, "citizen-nojs",
                             javascript=False)
    tab = resume_in_a_new_tab(phone_without_js, live_server)
    finish(tab, screenshots, "citizen-nojs")


def test_the_first_citizen_page_weighs_at_most_60_kb_all_from_this_host(browser, live_server):
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="zh-CN")
    page = context.new_page()
    loaded: list[Any] = []
    page.on("requestfinished", lambda request: loaded.append(request))
    page.goto(live_server + LINK, wait_until="networkidle")
    sizes = [request.sizes() for request in loaded]
    total = sum(s["responseBodySize"] + s["responseHeadersSize"] for s in sizes)
    hosts = {request.url.split("/")[2] for request in loaded}
    context.close()
    print(f"first citizen page: {len(loaded)} requests, {total} bytes")
    assert hosts == {live_server.split("/")[2]}
    assert not any(request.url.endswith((".woff", ".woff2", ".ttf", ".otf")) for request in loaded)
    assert 0 < total <= PAGE_WEIGHT_LIMIT
