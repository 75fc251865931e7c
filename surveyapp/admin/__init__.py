from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from surveyapp.admin import audit, counts, exports, imports, orgs, users, views, waves  # noqa: E402,F401,I001
from surveyapp.admin import preview  # noqa: E402,F401
from surveyapp.admin import records  # noqa: E402,F401
