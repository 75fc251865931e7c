"""Drawn households for interviewers: the list in their scope, starting an interview in a
chosen mode (through the same form runner as everyone), and recording a refusal or a
non-contact. Scope comes from services/scope.py through services/sampling.py."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response as WerkzeugResponse

from surveyapp.auth.access import current_user, role_required
from surveyapp.extensions import db
from surveyapp.interviewer import bp
from surveyapp.models import Mode, Org, Outcome, Role, SampledHousehold, Wave
from surveyapp.public.runner import form_redirect
from surveyapp.services import sampling, submissions, waves
from surveyapp.services.scope import OutOfScope


def _open_wave_or_404(code: str) -> Wave:
    try:
        return waves.require_open(waves.get_wave(code))
    except waves.WaveNotFound:
        abort(404, description=_("没有找到这个调查轮次。"))
    except waves.WaveNotOpen:
        abort(400, description=_("本次调查目前没有开放。"))


def _drawn_or_404(wave: Wave, sampled_id: int) -> SampledHousehold:
    try:
        return sampling.get_drawn(wave, sampled_id, current_user())
    except sampling.NotDrawn:
        abort(404, description=_("没有找到这户抽中的住户。"))
    except OutOfScope:
        abort(403, description=_("这户不在您负责的范围内。"))


def _checked_form() -> None:
    if not FlaskForm().validate_on_submit():
        abort(400)


@bp.route("/waves/<code>")
@role_required(Role.INTERVIEWER)
def households(code: str) -> str:
    wave = _open_wave_or_404(code)
    rows = sampling.drawn_households(wave, user=current_user())
    return render_template("interviewer/households.html", wave=wave, rows=rows,
                           form=FlaskForm(), Outcome=Outcome)


@bp.route("/waves/<code>/households/<int:sampled_id>/start", methods=["POST"])
@role_required(Role.INTERVIEWER)
def start_interview(code: str, sampled_id: int) -> WerkzeugResponse:
    wave = _open_wave_or_404(code)
    _checked_form()
    sampled = _drawn_or_404(wave, sampled_id)
    if sampled.outcome is not Outcome.PENDING:
        abort(400, description=_("这户已经有访问结果。"))
    try:
        context = sampling.interview_context(sampled, Mode(request.form.get("mode", "")))
    except ValueError:
        abort(400, description=_("请选择入户面访或电话访问。"))
    context["next_url"] = url_for("interviewer.households", code=wave.code)
    draft, key = submissions.begin_draft(wave, db.session.get(Org, sampled.village_id),
                                         context=context)
    return form_redirect(draft, key)


@bp.route("/waves/<code>/households/<int:sampled_id>/outcome", methods=["POST"])
@role_required(Role.INTERVIEWER)
def record_outcome(code: str, sampled_id: int) -> WerkzeugResponse:
    wave = _open_wave_or_404(code)
    _checked_form()
    _drawn_or_404(wave, sampled_id)
    try:
        outcome = Outcome(request.form.get("outcome", ""))
        sampling.record_outcome(wave, sampled_id, outcome, current_user())
    except ValueError:
        abort(400, description=_("请选择拒访、未接触或不符合条件。"))
    except sampling.OutcomeAlreadySet:
        abort(400, description=_("这户已经有访问结果。"))
    flash(_("已登记访问结果。"))
    return redirect(url_for("interviewer.households", code=wave.code))
