from flask import render_template

from surveyapp.auth.access import current_user, role_required
from surveyapp.interviewer import bp
from surveyapp.models import Role
from surveyapp.services.overview import scope_overview


@bp.route("/")
@role_required(Role.INTERVIEWER)
def home() -> str:
    return render_template("interviewer/home.html", **scope_overview(current_user()))
