"""Admin pages for imports: templates, upload, a dry-run preview, then apply."""

from __future__ import annotations

from pathlib import Path

from flask import Response, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField
from wtforms.validators import DataRequired

from surveyapp.admin import bp
from surveyapp.auth.access import current_user, role_required
from surveyapp.models import Role
from surveyapp.services import imports
from surveyapp.services.imports import uploads

MIME = {"csv": "text/csv; charset=utf-8",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
PREVIEW_LIMIT = 200


class UploadForm(FlaskForm):
    file = FileField(_l("文件（.csv 或 .xlsx）"), validators=[FileRequired(_l("请选择文件"))])


class ApplyForm(FlaskForm):
    token = HiddenField(validators=[DataRequired()])


def _kind_or_404(kind: str) -> None:
    if kind not in imports.KINDS:
        abort(404, description=_("没有这种导入类型。"))


def _kinds() -> list[tuple[str, str]]:
    return [(name, str(kind.title)) for name, kind in imports.KINDS.items()]


@bp.route("/imports")
@role_required(Role.ADMIN)
def imports_index() -> str:
    return render_template("admin/imports.html", kinds=_kinds(), form=UploadForm())


@bp.route("/imports/template/<kind>.<fmt>")
@role_required(Role.ADMIN)
def import_template(kind: str, fmt: str) -> Response:
    _kind_or_404(kind)
    if fmt not in MIME:
        abort(404)
    return Response(imports.template(kind, fmt), mimetype=MIME[fmt], headers={
        "Content-Disposition": f"attachment; filename=template-{kind}.{fmt}"})


@bp.route("/imports/<kind>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def import_upload(kind: str) -> object:
    _kind_or_404(kind)
    form = UploadForm()
    title = str(imports.KINDS[kind].title)
    if not form.validate_on_submit():
        status = 400 if form.is_submitted() else 200
        return render_template("admin/import_upload.html", kind=kind, title=title,
                               form=form), status
    upload = form.file.data
    filename = Path(upload.filename or "").name
    data = upload.read()
    try:
        result = imports.import_file(kind, filename, data, dry_run=True)
    except imports.UnreadableFile as error:
        form.file.errors = [*form.file.errors, str(error)]
        return render_template("admin/import_upload.html", kind=kind, title=title,
                               form=form), 400
    token = uploads.save_upload(current_app.instance_path, kind, filename, data) \
        if result.ok and (result.added or result.updated) else None
    return render_template("admin/import_preview.html", kind=kind, title=title, result=result,
                           apply_form=ApplyForm(token=token) if token else None,
                           limit=PREVIEW_LIMIT), (200 if result.ok else 400)


@bp.route("/imports/<kind>/apply", methods=["POST"])
@role_required(Role.ADMIN)
def import_apply(kind: str) -> object:
    _kind_or_404(kind)
    form = ApplyForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        stored_kind, filename, data = uploads.load_upload(current_app.instance_path,
                                                          form.token.data)
    except uploads.UploadGone:
        abort(400, description=_("上传的文件已失效，请重新上传。"))
    if stored_kind != kind:
        abort(400)
    # Checked again: the database may have changed since the preview.
    result = imports.import_file(kind, filename, data, dry_run=False, user=current_user())
    if not result.ok:
        return render_template("admin/import_preview.html", kind=kind,
                               title=str(imports.KINDS[kind].title), result=result,
                               apply_form=None, limit=PREVIEW_LIMIT), 400
    uploads.discard_upload(current_app.instance_path, form.token.data)
    flash(_("已导入 %(file)s：新增 %(added)s，更新 %(updated)s，不变 %(unchanged)s。",
            file=filename, added=result.added, updated=result.updated,
            unchanged=result.unchanged))
    return redirect(url_for("admin.imports_index"))
