from flask import render_template

from surveyapp.auth.access import current_user, role_required
from surveyapp.member import bp
from surveyapp.models import Role
from surveyapp.services.overview import person_overview


@bp.route("/")
@role_required(Role.MEMBER)
def home() -> str:
    return render_template("member/home.html", **person_overview(current_user()))
