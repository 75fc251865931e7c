"""Who is signed in, and the decorator that guards each area of the site by role."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort, g, redirect, request, session, url_for

from surveyapp.auth import bp
from surveyapp.models import Role, User
from surveyapp.services.accounts import get_active_user

F = TypeVar("F", bound=Callable[..., Any])


@bp.before_app_request
def load_current_user() -> None:
    user_id = session.get("user_id")
    g.user = get_active_user(user_id) if isinstance(user_id, int) else None


@bp.app_context_processor
def inject_current_user() -> dict[str, Any]:
    return {"current_user": g.get("user")}


def current_user() -> User | None:
    return g.get("user")


def role_required(*roles: Role) -> Callable[[F], F]:
    """Send anonymous visitors to the login page and refuse other roles with 403."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            user = current_user()
            if user is None:
                return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
            if user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


HOME_ENDPOINTS = {
    Role.ADMIN: "admin.home",
    Role.ASSESSOR: "assessor.home",
    Role.INTERVIEWER: "interviewer.home",
    Role.CADRE: "cadre.home",
    Role.MEMBER: "member.home",
}


def home_url(user: User) -> str:
    return url_for(HOME_ENDPOINTS[user.role])
