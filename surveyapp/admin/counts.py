"""Admin page for administrative counts (violations, petitions) per period."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, NumberRange, Optional, ValidationError

from surveyapp.admin import bp
from surveyapp.auth.access import current_user, role_required
from surveyapp.models import CountKind, Role
from surveyapp.services import counts, orgs


def _valid_period(form: FlaskForm, field: StringField) -> None:
    try:
        counts.parse_period(field.data or "")
    except ValueError:
        raise ValidationError(_("期间无效，请写成 2025、2025-H1、2025-Q3 或 2025-07")) from None


def _known_org(form: FlaskForm, field: StringField) -> None:
    if orgs.get_org((field.data or "").strip()) is None:
        raise ValidationError(_("组织编码不存在"))


class CountForm(FlaskForm):
    org = StringField(_l("组织编码"), validators=[DataRequired(_l("请填写组织编码")), _known_org])
    period = StringField(_l("期间"), validators=[DataRequired(_l("请填写期间")), _valid_period],
                         description=_l("2025、2025-H1、2025-Q3 或 2025-07"))
    kind = SelectField(_l("类别"), choices=[(k.value, name) for name, k in
                                            counts.KIND_NAMES.items()])
    count = IntegerField(_l("数量"), validators=[
        InputRequired(_l("请填写数量")), NumberRange(min=0, message=_l("请填写不小于 0 的整数"))])
    exposure = IntegerField(_l("基数人数"), validators=[
        Optional(), NumberRange(min=1, message=_l("请填写大于 0 的整数"))],
        description=_l("计算每千人比率的人数；不填则用组织的成年人口数"))


@bp.route("/counts", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def counts_index() -> object:
    known = counts.periods()
    period = request.args.get("period") or (known[0] if known else "")
    form = CountForm(period=period)
    if form.validate_on_submit():
        org = orgs.get_org(form.org.data.strip())
        saved = counts.record_count(org, form.period.data, CountKind(form.kind.data),
                                    form.count.data, form.exposure.data, by=current_user())
        flash(_("已保存 %(org)s %(period)s 的数字。", org=org.name, period=saved.period))
        return redirect(url_for("admin.counts_index", period=saved.period))
    status = 400 if request.method == "POST" else 200
    return render_template("admin/counts.html", form=form, period=period, periods=known,
                           rows=counts.counts_for(period) if period else [],
                           kind_text=counts.KIND_TEXT), status
