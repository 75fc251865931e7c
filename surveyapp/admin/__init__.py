from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from surveyapp.admin import views, waves  # noqa: E402,F401  (routes register on import)
