from flask import Blueprint

bp = Blueprint("interviewer", __name__, url_prefix="/interviewer")

from surveyapp.interviewer import interviews, views  # noqa: E402,F401  (routes register on import)
