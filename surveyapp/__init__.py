"""surveyapp: survey and assessment platform for clean-governance programmes."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from surveyapp.config import config_from_env


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build a fresh app; `config` overrides everything read from the environment."""
    app = Flask(__name__, instance_relative_config=True)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    settings = config_from_env(app.instance_path)
    if config:
        settings.update(config)
    app.config.update(settings)

    from surveyapp import database, errors, i18n, labels
    from surveyapp.extensions import csrf, db, migrate

    database.init_app(app)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).resolve().parent.parent / "migrations"))
    csrf.init_app(app)
    i18n.init_app(app)
    errors.init_app(app)
    labels.init_app(app)
    _register_blueprints(app)

    from surveyapp.cli import register_cli

    register_cli(app)
    return app


def _register_blueprints(app: Flask) -> None:
    from surveyapp.admin import bp as admin_bp
    from surveyapp.assessor import bp as assessor_bp
    from surveyapp.auth import bp as auth_bp
    from surveyapp.cadre import bp as cadre_bp
    from surveyapp.interviewer import bp as interviewer_bp
    from surveyapp.invite import bp as invite_bp
    from surveyapp.main import bp as main_bp
    from surveyapp.member import bp as member_bp
    from surveyapp.public import bp as public_bp

    for bp in (main_bp, auth_bp, admin_bp, assessor_bp, interviewer_bp, cadre_bp, member_bp,
               public_bp, invite_bp):
        app.register_blueprint(bp)
