"""A cadre's open questionnaires: the integrity self-assessment once per wave, and ballots."""

from __future__ import annotations

from typing import Any

from flask import abort, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response as WerkzeugResponse

from surveyapp.auth.access import current_user, role_required
from surveyapp.cadre import bp
from surveyapp.models import Role
from surveyapp.public.runner import form_redirect
from surveyapp.services import ballots


def start_task(home: str, wave_code: str, subject_key: str) -> WerkzeugResponse:
    if not FlaskForm().validate_on_submit():
        abort(400)
    try:
        draft, key = ballots.begin_task(current_user(), wave_code, subject_key, url_for(home))
    except ballots.NoSuchTask:
        abort(404, description=_("没有这项待完成的评价，或您已经完成。"))
    return form_redirect(draft, key)


@bp.context_processor
def inject_tasks() -> dict[str, Any]:
    return {"my_tasks": lambda: ballots.tasks_for(current_user())}


@bp.route("/tasks/<wave_code>/<subject_key>", methods=["POST"])
@role_required(Role.CADRE)
def start(wave_code: str, subject_key: str) -> WerkzeugResponse:
    return start_task("cadre.home", wave_code, subject_key)
