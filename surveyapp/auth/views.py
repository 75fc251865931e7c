from __future__ import annotations

from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from surveyapp.auth import bp
from surveyapp.auth.access import current_user, home_url
from surveyapp.auth.forms import LoginForm
from surveyapp.services.accounts import TooManyAttempts, authenticate, record_logout


def _safe_next(target: str | None) -> str | None:
    """Only follow a `next` that stays on this site (no scheme, no host)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
def login() -> str | Response | tuple[str, int]:
    if current_user() is not None:
        return redirect(home_url(current_user()))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = authenticate(form.username.data or "", form.password.data or "")
        except TooManyAttempts:
            form.password.errors.append(_("密码错误次数过多，请 15 分钟后再试。"))
            return render_template("auth/login.html", form=form), 429
        if user is not None:
            lang = session.get("lang")
            session.clear()  # a fresh session on sign-in: no fixation of an earlier one
            if lang:
                session["lang"] = lang
            session["user_id"] = user.id
            return redirect(_safe_next(request.args.get("next")) or home_url(user))
        form.password.errors.append(_("用户名或密码不正确"))
    status = 400 if form.errors else 200
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
def logout() -> Response:
    user = current_user()
    if user is not None:
        record_logout(user)
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    flash(_("您已退出登录。"))
    return redirect(url_for("auth.login"))
