"""The form runner's pieces that entry points and views share: cookies and section pages."""

from __future__ import annotations

import json
from typing import Any

from flask import current_app, redirect, render_template, url_for
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response as WerkzeugResponse

from surveyapp.models import Draft
from surveyapp.questionnaire import show_if
from surveyapp.questionnaire.answers import clean_answers
from surveyapp.services.forms import build_section_form, item_views
from surveyapp.services.submissions import DRAFT_LIFETIME, shown_in_section

DRAFT_COOKIE = "draft"
RESUME_COOKIE = "resume"
BROWSER_COOKIE = "browser"


def draft_path(draft_id: int) -> str:
    return f"/f/{draft_id}"


def set_cookie(response: WerkzeugResponse, name: str, value: str, path: str,
               max_age: int) -> None:
    response.set_cookie(name, value, max_age=max_age, path=path, httponly=True, samesite="Lax",
                        secure=current_app.config.get("PREFERRED_URL_SCHEME") == "https")


def form_redirect(draft: Draft, key: str, *, resume_path: str | None = None) -> WerkzeugResponse:
    """Send the browser to the draft's first page, its key in a cookie only that draft's pages
    receive. ``resume_path`` also leaves the key under that path (a poster link), so opening
    the link again resumes the draft."""
    response = redirect(url_for("public.section", draft_id=draft.id, section=draft.section))
    lifetime = int(DRAFT_LIFETIME.total_seconds())
    set_cookie(response, DRAFT_COOKIE, key, draft_path(draft.id), lifetime)
    if resume_path:
        set_cookie(response, RESUME_COOKIE, key, resume_path, lifetime)
    return response


def render_section(
    definition: dict,
    index: int,
    answers: dict[str, Any],
    *,
    form: FlaskForm | None = None,
    errors: dict[str, str] | None = None,
    action: str,
    preview: bool = False,
    status: int = 200,
) -> tuple[str, int]:
    """One section as a respondent sees it (the runner, and the admin preview)."""
    form = form or build_section_form(definition, index, answers=answers)
    shown = shown_in_section(definition, index, answers)
    items = item_views(definition, index, form, shown, errors or {})
    count = len(definition["sections"])
    page = render_template(
        "forms/section.html",
        definition=definition,
        section=definition["sections"][index],
        index=index,
        count=count,
        items=items,
        form=form,
        errors=errors or {},
        seen=",".join(item.item["id"] for item in items if not item.hidden),
        earlier=json.dumps(_earlier_answers(definition, index, answers), ensure_ascii=False),
        action=action,
        preview=preview,
        is_last=index == count - 1,
    )
    return page, status


def _earlier_answers(definition: dict, index: int, answers: dict[str, Any]) -> dict[str, Any]:
    """Answers from other pages that this page's show_if rules read, for form.js."""
    page_ids = {item["id"] for item in definition["sections"][index]["items"]}
    wanted = {
        condition.item
        for item in definition["sections"][index]["items"]
        if item["show_if"]
        for condition in show_if.conditions(show_if.parse(item["show_if"]))
    } - page_ids
    visible = clean_answers(definition, answers)
    return {item_id: visible[item_id] for item_id in sorted(wanted) if item_id in visible}
