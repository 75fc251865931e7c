"""A member's open questionnaires: rating peers and their village organisation."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Response as WerkzeugResponse

from surveyapp.auth.access import current_user, role_required
from surveyapp.cadre.tasks import start_task
from surveyapp.member import bp
from surveyapp.models import Role
from surveyapp.services import ballots


@bp.context_processor
def inject_tasks() -> dict[str, Any]:
    return {"my_tasks": lambda: ballots.tasks_for(current_user())}


@bp.route("/tasks/<wave_code>/<subject_key>", methods=["POST"])
@role_required(Role.MEMBER)
def start(wave_code: str, subject_key: str) -> WerkzeugResponse:
    return start_task("member.home", wave_code, subject_key)
