"""Locale selection: Chinese unless the user picked another language."""

from __future__ import annotations

from flask import Flask, current_app, has_request_context, session
from flask_babel import get_locale

from surveyapp.extensions import babel


def select_locale() -> str:
    # Outside a request (CLI commands) there is no session: Chinese, the default.
    chosen = session.get("lang") if has_request_context() else None
    if chosen in current_app.config["LANGUAGES"]:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.globals["get_locale"] = get_locale
