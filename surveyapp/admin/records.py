"""Admin page for the records the indices need besides the surveys: members' points, veto
events (一票否决 / 清零) and exemptions (免评), one organisation at a time."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, DecimalField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from surveyapp.admin import bp
from surveyapp.auth.access import current_user, role_required
from surveyapp.models import VILLAGE_KINDS, Org, Person, PointsKind, Role
from surveyapp.services import orgs, records
from surveyapp.services.estimates import indices_spec

ORG_UNIT = "__org__"  # the veto form's choice for the organisation itself
NOT_A_CHOICE = _l("请从列表中选择")


class PointsForm(FlaskForm):
    person = SelectField(_l("党员"), validate_choice=True, invalid_choice_message=NOT_A_CHOICE)
    period = StringField(_l("期间"), validators=[DataRequired(_l("请填写期间"))],
                         description=_l("2025、2025-H1、2025-Q3 或 2025-07"))
    kind = SelectField(_l("类别"), choices=[(k.value, name) for name, k in
                                            records.POINTS_KIND_NAMES.items()])
    points = DecimalField(_l("分值"), places=None, validators=[
        InputRequired(_l("请填写分值")),
        NumberRange(min=0.1, max=records.MAX_POINTS, message=_l("分值应大于 0、不超过 100"))])
    reason = StringField(_l("事由"), validators=[DataRequired(_l("请填写事由")), Length(max=200)])


class VetoForm(FlaskForm):
    unit = SelectField(_l("对象"), validate_choice=True, invalid_choice_message=NOT_A_CHOICE)
    event = SelectField(_l("否决事项"), validate_choice=True, invalid_choice_message=NOT_A_CHOICE,
                        description=_l("事项来自指数定义（indices.yaml）"))
    occurred_on = DateField(_l("发生日期"), validators=[InputRequired(_l("请填写日期"))])
    note = StringField(_l("说明"), validators=[Optional(), Length(max=200)])


class ExemptionForm(FlaskForm):
    person = SelectField(_l("党员"), validate_choice=True, invalid_choice_message=NOT_A_CHOICE)
    reason = SelectField(_l("免评情形"), validate_choice=True, invalid_choice_message=NOT_A_CHOICE)
    starts_on = DateField(_l("开始日期"), validators=[InputRequired(_l("请填写日期"))])
    ends_on = DateField(_l("结束日期"), validators=[Optional()],
                        description=_l("不填表示仍在免评"))
    note = StringField(_l("说明"), validators=[Optional(), Length(max=200)])


@bp.route("/records")
@role_required(Role.ADMIN)
def records_index() -> object:
    code = (request.args.get("org") or "").strip()
    if code:
        return redirect(url_for("admin.records_org", code=code))
    return render_template("admin/records.html", villages=records.villages())


@bp.route("/records/<code>", methods=["GET"])
@role_required(Role.ADMIN)
def records_org(code: str) -> object:
    return _page(_org_or_404(code))


@bp.route("/records/<code>/points", methods=["POST"])
@role_required(Role.ADMIN)
def records_points(code: str) -> object:
    def save(org: Org, form: PointsForm) -> str:
        person = _member(org, form.person.data)
        records.record_points(person, form.period.data, PointsKind(form.kind.data),
                              float(form.points.data), form.reason.data, by=current_user())
        return _("已保存 %(name)s 的积分。", name=person.name)

    return _record(code, "points", "period", save)


@bp.route("/records/<code>/vetoes", methods=["POST"])
@role_required(Role.ADMIN)
def records_vetoes(code: str) -> object:
    def save(org: Org, form: VetoForm) -> str:
        unit = org if form.unit.data == ORG_UNIT else _member(org, form.unit.data)
        records.record_veto(unit, form.event.data, form.occurred_on.data, form.note.data,
                            indices_spec(), by=current_user())
        return _("已记录 %(name)s 的否决事项。", name=unit.name)

    return _record(code, "veto", "event", save)


@bp.route("/records/<code>/exemptions", methods=["POST"])
@role_required(Role.ADMIN)
def records_exemptions(code: str) -> object:
    def save(org: Org, form: ExemptionForm) -> str:
        person = _member(org, form.person.data)
        records.record_exemption(person, form.reason.data, form.starts_on.data,
                                 form.ends_on.data, form.note.data, indices_spec(),
                                 by=current_user())
        return _("已保存 %(name)s 的免评情形。", name=person.name)

    return _record(code, "exemption", "reason", save)


def _record(code: str, kind: str, refused_field: str,
            save: Callable[[Org, Any], str]) -> object:
    """One record form posted for ``code``: saved and back to the page with ``save``'s
    message, or the page again (400) with the form's errors, a refusal shown at
    ``refused_field``."""
    org = _org_or_404(code)
    forms = _forms(org)
    form = forms[kind]
    if form.validate_on_submit():
        try:
            message = save(org, form)
        except records.RecordRefused as refused:
            field = form[refused_field]
            field.errors = [*field.errors, str(refused)]
        else:
            flash(message)
            return redirect(url_for("admin.records_org", code=org.code))
    return _page(org, forms, status=400)


def _org_or_404(code: str) -> Org:
    org = orgs.get_org(code)
    if org is None:
        abort(404, description=_("没有找到这个组织。"))
    return org


def _member(org: Org, code: str) -> Person:
    found = next((p for p in records.records_for(org).members if p.code == code), None)
    if found is None:
        abort(400, description=_("所选党员不属于这个组织。"))
    return found


def _forms(org: Org) -> dict[str, FlaskForm]:
    spec = indices_spec()
    members = [(p.code, f"{p.code} {p.name}") for p in records.records_for(org).members]
    points = PointsForm(prefix="points")
    veto = VetoForm(prefix="veto")
    exemption = ExemptionForm(prefix="exemption")
    points.person.choices = exemption.person.choices = members
    units = [(ORG_UNIT, _("本组织：%(name)s", name=org.name))] if org.kind in VILLAGE_KINDS else []
    veto.unit.choices = units + members
    member_events = list(records.veto_rules(spec, "member"))
    village_events = list(records.veto_rules(spec, "village"))
    veto.event.choices = {
        str(_("党员（清零）")): [(e, e) for e in member_events],
        str(_("村（社区）党组织（一票否决）")): [(e, e) for e in village_events],
    }
    exemption.reason.choices = [(r, records.exemption_label(r))
                                for r in records.exemption_reasons(spec)]
    return {"points": points, "veto": veto, "exemption": exemption}


def _page(org: Org, forms: dict[str, FlaskForm] | None = None, status: int = 200) -> object:
    forms = forms or _forms(org)
    return render_template("admin/records_org.html", org=org, found=records.records_for(org),
                           kind_text=records.POINTS_KIND_TEXT,
                           exemption_label=records.exemption_label, **forms), status
