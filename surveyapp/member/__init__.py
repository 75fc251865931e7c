from flask import Blueprint

bp = Blueprint("member", __name__, url_prefix="/member")

from surveyapp.member import tasks, views  # noqa: E402,F401  (routes register on import)
