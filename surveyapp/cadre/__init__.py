from flask import Blueprint

bp = Blueprint("cadre", __name__, url_prefix="/cadre")

from surveyapp.cadre import tasks, views  # noqa: E402,F401  (routes register on import)
