from flask import render_template

from surveyapp.admin import bp
from surveyapp.auth.access import role_required
from surveyapp.models import Role
from surveyapp.services.overview import admin_overview


@bp.route("/")
@role_required(Role.ADMIN)
def home() -> str:
    return render_template("admin/home.html", **admin_overview())
