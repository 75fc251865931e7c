from __future__ import annotations

import functools
import secrets

from flask import redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response as WerkzeugResponse

from surveyapp.i18n import select_locale
from surveyapp.models import Draft
from surveyapp.public import bp
from surveyapp.public.runner import (
    BROWSER_COOKIE,
    DRAFT_COOKIE,
    RESUME_COOKIE,
    form_redirect,
    render_section,
    set_cookie,
)
from surveyapp.services import submissions
from surveyapp.services.forms import build_section_form

BROWSER_COOKIE_AGE = 400 * 24 * 3600  # the longest a browser keeps a cookie
QUIZ_KEY = "quiz"  # in the signed session cookie: the last quiz result, for its thank-you page


def notice(title: str, message: str, status: int) -> tuple[str, int]:
    return render_template("public/notice.html", title=title, message=message), status


def unknown_link() -> tuple[str, int]:
    return notice(_("链接无效"), _("没有找到这个调查或村（社区），请核对二维码或链接。"), 404)


def wave_closed() -> tuple[str, int]:
    return notice(_("调查未开放"), _("本次调查目前没有开放，感谢您的关注。"), 200)


def already_answered() -> tuple[str, int]:
    return notice(_("您已参与"), _("您已经参与过本次调查，每人只需填写一次。感谢您的支持！"), 200)


def draft_missing() -> tuple[str, int]:
    return notice(_("问卷已失效"),
                  _("没有找到您的答卷，可能已超过 7 天或链接有误。请重新打开调查链接作答。"), 400)


def thanks(next_url: str | None = None, draft_id: int | None = None) -> WerkzeugResponse:
    """The thank-you page; with the quiz result of the draft just submitted from this browser,
    which only this browser's session holds (a double tap's second reply shows it too)."""
    quiz = session.get(QUIZ_KEY, {})
    scores = quiz.get("scores", []) if quiz.get("draft") == draft_id else []
    if scores:
        page = render_template("public/thanks.html", next_url=next_url, quiz=scores)
    else:
        page = _plain_thanks(select_locale(), next_url)
    response = WerkzeugResponse(page, 200, content_type="text/html; charset=utf-8")
    response.headers["Cache-Control"] = "no-store"
    return response


@functools.lru_cache(maxsize=64)
def _plain_thanks(locale: str, next_url: str | None) -> str:
    """The thank-you page without a quiz result, rendered once per process for each language
    and link back (links come from the app's own entry points, so they are few): rendering it
    took about a tenth of a final submission's time."""
    return render_template("public/thanks.html", next_url=next_url, quiz=[])


@bp.route("/s/<wave_code>/<village_code>", methods=["GET", "POST"])
def start(wave_code: str, village_code: str) -> object:
    try:
        wave, village = submissions.find_public_link(wave_code, village_code)
    except submissions.UnknownWaveOrOrg:
        return unknown_link()
    except submissions.WaveNotOpen:
        return wave_closed()
    draft = submissions.find_draft(request.cookies.get(RESUME_COOKIE, ""))
    if draft is not None and (draft.wave_id, draft.org_id) == (wave.id, village.id):
        return redirect(url_for("public.section", draft_id=draft.id, section=draft.section))
    browser_key = request.cookies.get(BROWSER_COOKIE) or secrets.token_urlsafe(24)
    if submissions.has_browser_answered(wave, village, browser_key):
        return already_answered()
    if request.method == "POST":
        try:
            draft, key = submissions.begin_poster_draft(wave, village, browser_key)
        except submissions.AlreadySubmitted:
            return already_answered()
        response = form_redirect(draft, key, resume_path=request.path)
    else:
        page = render_template("public/start.html", wave=wave, village=village,
                               definition=wave.questionnaire_version.definition)
        response = WerkzeugResponse(page, 200, content_type="text/html; charset=utf-8")
    set_cookie(response, BROWSER_COOKIE, browser_key, "/", BROWSER_COOKIE_AGE)
    return response


@bp.route("/f/<int:draft_id>")
def resume(draft_id: int) -> object:
    draft = _draft(draft_id)
    if draft is None:
        return _gone(draft_id)
    return redirect(url_for("public.section", draft_id=draft.id, section=draft.section))


@bp.route("/f/<int:draft_id>/<int:section>", methods=["GET", "POST"])
def section(draft_id: int, section: int) -> object:
    if request.method == "POST" and request.form.get("action") == "submit":
        submitted = submissions.submit_last_page(request.cookies.get(DRAFT_COOKIE, ""),
                                                 draft_id, section, request.form)
        if submitted is not None:
            return _thank(submitted, draft_id)
    found = _draft_with_definition(draft_id)
    if found is None:
        return _gone(draft_id)
    draft, definition = found
    if not 0 <= section < len(definition["sections"]):
        return notice(_("请求有误"), _("没有这一页。"), 400)
    if section > draft.section:
        return redirect(url_for("public.section", draft_id=draft_id, section=draft.section))
    if request.method == "GET":
        return render_section(definition, section, draft.answers, action=request.path)
    return _post_section(draft, definition, section)


def _post_section(draft: submissions.DraftLike, definition: dict, section: int) -> object:
    key, draft_id = request.cookies.get(DRAFT_COOKIE, ""), draft.id
    back = request.form.get("action") == "back"
    try:
        result = submissions.record_section(draft, section, request.form, definition=definition,
                                            submit_key=None if back else key)
    except submissions.DraftAlreadySubmitted as done:
        return thanks(done.next_url, draft_id)
    except submissions.DraftNotFound:
        return _gone(draft_id)
    except submissions.WaveNotOpen:
        return wave_closed()
    except submissions.AlreadySubmitted:
        return already_answered()
    except submissions.AnswersIncomplete as problem:
        return redirect(url_for("public.section", draft_id=draft_id, section=problem.section))
    if back:
        target = submissions.previous_shown(definition, section, result.saved)
        return redirect(url_for("public.section", draft_id=draft_id, section=target))
    if result.submitted is not None:
        return _thank(result.submitted, draft_id)
    if result.errors:
        form = build_section_form(definition, section, formdata=request.form)
        return render_section(definition, section, result.saved, form=form,
                              errors=result.errors, action=request.path, status=400)
    return redirect(url_for("public.section", draft_id=draft_id, section=result.next_section))


def _thank(submitted: submissions.Submitted, draft_id: int) -> object:
    # The draft cookie stays: a retried POST or a reload must find the receipt with it.
    if submitted.quiz:
        session[QUIZ_KEY] = {"draft": draft_id, "scores": [q.as_dict() for q in submitted.quiz]}
    return thanks(submitted.next_url, draft_id)


def _draft(draft_id: int) -> Draft | None:
    """The draft in this page's cookie, when it is the draft the URL names."""
    draft = submissions.find_draft(request.cookies.get(DRAFT_COOKIE, ""))
    return draft if draft is not None and draft.id == draft_id else None


def _draft_with_definition(draft_id: int) -> tuple[submissions.DraftLike, dict] | None:
    """``_draft`` and the definition it answers, read together."""
    found = submissions.find_draft_with_definition(request.cookies.get(DRAFT_COOKIE, ""))
    return found if found is not None and found[0].id == draft_id else None


def _gone(draft_id: int) -> object:
    receipt = submissions.find_receipt(request.cookies.get(DRAFT_COOKIE, ""))
    if receipt is not None:
        return thanks(receipt.next_url, draft_id)
    return draft_missing()
