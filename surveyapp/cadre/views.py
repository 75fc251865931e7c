from flask import render_template

from surveyapp.auth.access import current_user, role_required
from surveyapp.cadre import bp
from surveyapp.models import Role
from surveyapp.services.overview import person_overview


@bp.route("/")
@role_required(Role.CADRE)
def home() -> str:
    return render_template("cadre/home.html", **person_overview(current_user()))
