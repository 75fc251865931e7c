from flask import abort, current_app, redirect, request, session, url_for
from werkzeug.wrappers import Response

from surveyapp.auth.access import current_user, home_url
from surveyapp.main import bp


@bp.route("/")
def index() -> Response:
    user = current_user()
    return redirect(home_url(user) if user else url_for("auth.login"))


@bp.route("/lang/<code>", methods=["POST"])
def set_language(code: str) -> Response:
    if code not in current_app.config["LANGUAGES"]:
        abort(404)
    session["lang"] = code
    back = request.form.get("next", "")
    return redirect(back if back.startswith("/") and not back.startswith("//") else "/")


@bp.route("/healthz")
def healthz() -> tuple[str, int, dict[str, str]]:
    return "ok", 200, {"Content-Type": "text/plain; charset=utf-8"}
