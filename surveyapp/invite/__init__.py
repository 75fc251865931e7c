"""``/t/<token>``: a household's one-time slip, handed to the form runner after one tap.

GET shows whom the household is asked to rate and changes nothing, so a link preview or a
second look never spends the slip; POST begins a draft whose context names the invitation,
and the submission uses the token up with a conditional UPDATE (see services/invitations.py).
"""

from flask import Blueprint

bp = Blueprint("invite", __name__, url_prefix="/t")

from surveyapp.invite import views  # noqa: E402,F401  (routes register on import)
