"""Admin pages for the organisation tree: browse, add, rename, move, retire and restore."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from surveyapp.admin import bp
from surveyapp.auth.access import current_user, role_required
from surveyapp.labels import KIND_LABELS
from surveyapp.models import Org, OrgKind, Role
from surveyapp.services import orgs
from surveyapp.services.scope import ancestors

ORG_ERRORS = {
    "duplicate_code": _l("这个编码已被使用。"),
    "unknown_parent": _l("上级组织不存在。"),
    "retired_parent": _l("上级组织已撤销。"),
    "parent_kind": _l("这种类型的组织不能放在所选上级之下（村、社区须在乡镇、街道之下）。"),
    "cycle": _l("不能把组织移到它自己的下级之下。"),
    "already_retired": _l("该组织已撤销。"),
    "not_retired": _l("该组织未撤销。"),
}


def _figure(label: str) -> IntegerField:
    return IntegerField(label, validators=[
        Optional(), NumberRange(min=0, max=10_000_000, message=_l("请填写不小于 0 的整数"))])


class OrgEditForm(FlaskForm):
    name = StringField(_l("名称"), validators=[DataRequired(_l("请填写名称")), Length(max=100)])
    parent = SelectField(_l("上级组织"), validate_choice=True)
    adults = _figure(_l("成年人口数"))
    households = _figure(_l("户数"))
    party_members = _figure(_l("党员数"))


class OrgNewForm(OrgEditForm):
    code = StringField(_l("编码"), validators=[
        DataRequired(_l("请填写编码")), Length(max=32),
        Regexp(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", message=_l("编码只能包含字母、数字、-、_、."))])
    kind = SelectField(_l("类型"), choices=[(k.value, v) for k, v in KIND_LABELS.items()])


def _parent_choices(kind: OrgKind | None, excluding: Org | None = None) -> list[tuple[str, str]]:
    return [("", _("（无，仅限县）"))] + [
        (o.code, f"{o.code} {o.name}") for o in orgs.possible_parents(kind, excluding=excluding)]


def _org_or_404(code: str) -> Org:
    org = orgs.get_org(code)
    if org is None:
        abort(404, description=_("没有找到这个组织。"))
    return org


@bp.route("/orgs")
@role_required(Role.ADMIN)
def orgs_index() -> str:
    root = _org_or_404(request.args["root"]) if request.args.get("root") else None
    children = root.children if root else orgs.roots()
    return render_template("admin/orgs.html", root=root, children=children,
                           trail=ancestors(root) if root else [])


@bp.route("/orgs/new", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def org_new() -> object:
    form = OrgNewForm(parent=request.args.get("parent", ""))
    kinds = {k.value for k in OrgKind}
    kind = OrgKind(form.kind.data) if form.kind.data in kinds else None
    form.parent.choices = _parent_choices(None)
    if form.validate_on_submit() and kind is not None:
        fields = orgs.OrgFields(form.code.data.strip(), form.name.data.strip(), kind,
                                form.parent.data or None, form.adults.data,
                                form.households.data, form.party_members.data)
        try:
            org = orgs.create_org(fields, by=current_user())
        except orgs.OrgError as error:
            target = form.code if error.reason == "duplicate_code" else form.parent
            target.errors = [*target.errors, str(ORG_ERRORS[error.reason])]
        else:
            flash(_("已新增组织 %(name)s。", name=org.name))
            return redirect(url_for("admin.orgs_index", root=org.parent.code if org.parent
                                    else None))
    status = 400 if request.method == "POST" else 200
    return render_template("admin/org_form.html", form=form, org=None), status


@bp.route("/orgs/<code>/edit", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def org_edit(code: str) -> object:
    org = _org_or_404(code)
    form = OrgEditForm(obj=org, parent=org.parent.code if org.parent else "")
    form.parent.choices = _parent_choices(org.kind, excluding=org)
    if org.parent and org.parent.code not in dict(form.parent.choices):
        form.parent.choices.append((org.parent.code, f"{org.parent.code} {org.parent.name}"))
    if form.validate_on_submit():
        try:
            orgs.update_org(org, name=form.name.data.strip(), parent_code=form.parent.data or None,
                            adults=form.adults.data, households=form.households.data,
                            party_members=form.party_members.data, by=current_user())
        except orgs.OrgError as error:
            form.parent.errors = [*form.parent.errors, str(ORG_ERRORS[error.reason])]
        else:
            flash(_("已保存。"))
            return redirect(url_for("admin.orgs_index", root=org.code))
    status = 400 if request.method == "POST" else 200
    return render_template("admin/org_form.html", form=form, org=org), status


@bp.route("/orgs/<code>/retire", methods=["POST"])
@role_required(Role.ADMIN)
def org_retire(code: str) -> object:
    return _change_state(code, orgs.retire_org, _("已撤销 %(name)s 及其下级；历史数据保留。"))


@bp.route("/orgs/<code>/restore", methods=["POST"])
@role_required(Role.ADMIN)
def org_restore(code: str) -> object:
    return _change_state(code, orgs.restore_org, _("已恢复 %(name)s。"))


def _change_state(code: str, change: object, message: str) -> object:
    org = _org_or_404(code)
    try:
        change(org, by=current_user())  # type: ignore[operator]
    except orgs.OrgError as error:
        abort(400, description=str(ORG_ERRORS[error.reason]))
    flash(message % {"name": org.name})
    return redirect(url_for("admin.orgs_index", root=org.code))
