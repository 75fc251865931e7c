from flask import Blueprint

bp = Blueprint("assessor", __name__, url_prefix="/assessor")

from surveyapp.assessor import dashboard, views  # noqa: E402,F401  (routes register on import)
