"""Preview any stored questionnaire version as a respondent sees it, storing nothing."""

from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from flask_babel import gettext as _

from surveyapp.admin import bp
from surveyapp.auth.access import role_required
from surveyapp.models import Role
from surveyapp.public.runner import render_section
from surveyapp.services.forms import (
    build_section_form,
    check_section,
    instrument_versions,
    version_definition,
)


@bp.route("/questionnaires/versions")
@role_required(Role.ADMIN)
def questionnaire_versions() -> str:
    return render_template("admin/preview_list.html", versions=instrument_versions())


@bp.route("/questionnaires/<int:version_id>/preview", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def preview(version_id: int) -> object:
    definition = version_definition(version_id)
    if definition is None:
        abort(404, description=_("没有这个问卷版本。"))
    count = len(definition["sections"])
    index = request.args.get("section", 0, type=int)
    if not 0 <= index < count:
        abort(400, description=_("没有这一页。"))
    action = url_for("admin.preview", version_id=version_id, section=index)
    if request.method == "GET":
        return render_section(definition, index, {}, action=action, preview=True)
    errors = check_section(definition, index, request.form)
    move = request.form.get("action")
    if move == "back":
        return redirect(url_for("admin.preview", version_id=version_id, section=max(0, index - 1)))
    if errors or move == "submit":
        form = build_section_form(definition, index, formdata=request.form)
        return render_section(definition, index, {}, form=form, errors=errors, action=action,
                              preview=True, status=400 if errors else 200)
    return redirect(url_for("admin.preview", version_id=version_id, section=index + 1))
