from flask import render_template

from surveyapp.assessor import bp
from surveyapp.auth.access import current_user, role_required
from surveyapp.models import Role
from surveyapp.services.overview import scope_overview


@bp.route("/")
@role_required(Role.ASSESSOR)
def home() -> str:
    return render_template("assessor/home.html", **scope_overview(current_user()))
