"""Admin downloads: rosters (personal data, admins only) and anonymised wave responses."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Response, abort, render_template, request
from flask_babel import gettext as _

from surveyapp.admin import bp
from surveyapp.auth.access import current_user, role_required
from surveyapp.extensions import db
from surveyapp.models import Role, Wave
from surveyapp.services import exports, imports
from surveyapp.services.overview import list_waves

MIME = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "sav": "application/x-spss-sav",
    "md": "text/markdown; charset=utf-8",
}


def _download(data: bytes | str, filename: str, fmt: str) -> Response:
    return Response(data, mimetype=MIME[fmt],
                    headers={"Content-Disposition": f"attachment; filename={filename}"})


def _wave_or_404(code: str) -> Wave:
    wave = db.session.scalar(sa.select(Wave).where(Wave.code == code))
    if wave is None:
        abort(404, description=_("没有找到这个调查轮次。"))
    return wave


@bp.route("/exports")
@role_required(Role.ADMIN)
def exports_index() -> str:
    kinds = [(name, str(kind.title)) for name, kind in imports.KINDS.items()]
    return render_template("admin/exports.html", kinds=kinds, waves=list_waves())


@bp.route("/exports/rosters/<kind>.<fmt>")
@role_required(Role.ADMIN)
def export_roster(kind: str, fmt: str) -> Response:
    if kind not in imports.KINDS or fmt not in ("csv", "xlsx"):
        abort(404)
    return _download(exports.export_roster(kind, fmt, by=current_user()), f"{kind}.{fmt}", fmt)


@bp.route("/exports/waves/<code>/responses.<fmt>")
@role_required(Role.ADMIN)
def export_responses(code: str, fmt: str) -> Response:
    if fmt not in exports.FORMATS:
        abort(404)
    wave = _wave_or_404(code)
    include_text = request.args.get("text") == "1"
    data = exports.export_responses(wave, fmt, include_text=include_text, by=current_user())
    return _download(data, f"{wave.code}.{fmt}", fmt)


@bp.route("/exports/waves/<code>/codebook.md")
@role_required(Role.ADMIN)
def export_codebook(code: str) -> Response:
    wave = _wave_or_404(code)
    book = exports.codebook(wave, include_text=request.args.get("text") == "1")
    return _download(book.encode("utf-8"), f"{wave.code}-codebook.md", "md")
