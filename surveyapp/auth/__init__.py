from flask import Blueprint

bp = Blueprint("auth", __name__, url_prefix="/auth")

from surveyapp.auth import access, views  # noqa: E402,F401  (routes and hooks register on import)
