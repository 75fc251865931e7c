"""Admin pages for waves: create, open and close, live progress per village, links and posters."""

from __future__ import annotations

import csv
import io

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from werkzeug.wrappers import Response as WerkzeugResponse
from wtforms import (
    DateField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from surveyapp.admin import bp
from surveyapp.auth.access import current_user, role_required
from surveyapp.models import Org, Role, Wave, WaveStatus
from surveyapp.services import ballots, sampling, waves


class WaveForm(FlaskForm):
    code = StringField(_l("编号"), validators=[
        DataRequired(_l("请填写编号")), Length(max=32),
        Regexp(r"^[A-Za-z0-9_-]+$", message=_l("编号只能包含字母、数字、下划线和连字符"))])
    name = StringField(_l("名称"), validators=[DataRequired(_l("请填写名称")), Length(max=100)])
    questionnaire = SelectField(_l("问卷"), coerce=int,
                                validators=[DataRequired(_l("请选择问卷"))])
    targets = SelectMultipleField(_l("调查对象单位"),
                                  validators=[DataRequired(_l("请至少选择一个单位"))])
    starts_on = DateField(_l("开始日期"), validators=[DataRequired(_l("请填写开始日期"))])
    ends_on = DateField(_l("结束日期"), validators=[DataRequired(_l("请填写结束日期"))])
    target_per_village = IntegerField(_l("每村目标份数"), validators=[
        Optional(), NumberRange(min=1, max=10000, message=_l("请填写 1–10000 之间的整数"))])


class VotersForm(FlaskForm):
    file = FileField(_l("上传 CSV（第一列为人员编码）"))
    codes = TextAreaField(_l("或粘贴人员编码（每行一个）"))


def _wave_or_404(code: str) -> Wave:
    try:
        return waves.get_wave(code)
    except waves.WaveNotFound:
        abort(404, description=_("没有找到这个调查轮次。"))


def _village_or_404(wave: Wave, code: str) -> Org:
    try:
        return waves.get_village(wave, code)
    except waves.OrgNotFound:
        abort(404, description=_("这个调查轮次不包括该村（社区）。"))


@bp.route("/waves")
@role_required(Role.ADMIN)
def waves_index() -> str:
    return render_template("admin/waves.html", rows=waves.list_wave_rows())


@bp.route("/waves/new", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def wave_new() -> object:
    form = WaveForm()
    form.questionnaire.choices = [
        (v.id, f"{v.title}（{v.version}）") for v in waves.current_versions()
    ]
    form.targets.choices = [(o.code, f"{o.name}（{o.code}）") for o in waves.target_choices()]
    if form.validate_on_submit():
        try:
            wave = waves.create_wave(
                code=form.code.data, name=form.name.data,
                questionnaire_version_id=form.questionnaire.data,
                target_codes=form.targets.data, starts_on=form.starts_on.data,
                ends_on=form.ends_on.data, target_per_village=form.target_per_village.data,
                user=current_user(),
            )
        except waves.InvalidWave as error:
            field, _sep, message = str(error).partition(": ")
            getattr(form, field, form.code).errors.append(message)
        else:
            flash(_("已创建调查轮次 %(code)s（草稿）。", code=wave.code))
            return redirect(url_for("admin.wave_detail", code=wave.code))
    status = 400 if request.method == "POST" else 200
    return render_template("admin/wave_new.html", form=form), status


@bp.route("/waves/<code>")
@role_required(Role.ADMIN)
def wave_detail(code: str) -> tuple[str, int]:
    return _wave_page(_wave_or_404(code))


def _wave_page(wave: Wave, voters_form: VotersForm | None = None,
               voter_problems: list[ballots.CodeProblem] | None = None, status: int = 200
               ) -> tuple[str, int]:
    is_ballot = ballots.is_ballot_wave(wave)
    page = render_template(
        "admin/wave.html", wave=wave, rows=waves.progress(wave), links=waves.village_links(wave),
        sampled=sampling.has_sample(wave), form=FlaskForm(), is_ballot=is_ballot,
        voters=ballots.voters(wave) if is_ballot else [],
        voters_form=voters_form or VotersForm(), voter_problems=voter_problems or [])
    return page, status


@bp.route("/waves/<code>/voters", methods=["POST"])
@role_required(Role.ADMIN)
def wave_voters(code: str) -> object:
    wave = _wave_or_404(code)
    form = VotersForm()
    if not form.validate_on_submit():
        abort(400)
    upload = form.file.data
    try:
        text = upload.read().decode("utf-8-sig") if upload else (form.codes.data or "")
    except UnicodeDecodeError:
        return _wave_page(wave, form, [ballots.CodeProblem(1, _("文件须为 UTF-8 编码的 CSV"))],
                          400)
    try:
        count = ballots.set_voters(wave, ballots.read_codes(text), current_user())
    except ballots.NotABallotWave:
        abort(400, description=_("这个调查轮次的问卷不是民主测评，不需要设定参评人员。"))
    except ballots.VotersNotValid as error:
        return _wave_page(wave, form, error.problems, 400)
    flash(_("参评人员已设为 %(count)d 人。", count=count))
    return redirect(url_for("admin.wave_detail", code=wave.code))


@bp.route("/waves/<code>/status", methods=["POST"])
@role_required(Role.ADMIN)
def wave_status(code: str) -> WerkzeugResponse:
    wave = _wave_or_404(code)
    form = FlaskForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        status = WaveStatus(request.form.get("status", ""))
        waves.set_status(wave, status, current_user())
    except (ValueError, waves.InvalidWave):
        abort(400, description=_("不能把调查轮次改为这个状态。"))
    flash(_("调查轮次 %(code)s 已%(what)s。", code=wave.code,
            what=_("开放") if status is WaveStatus.OPEN else _("结束")))
    return redirect(url_for("admin.wave_detail", code=wave.code))


@bp.route("/waves/<code>/links.csv")
@role_required(Role.ADMIN)
def wave_links_csv(code: str) -> WerkzeugResponse:
    wave = _wave_or_404(code)
    buffer = io.StringIO()
    out = csv.writer(buffer, lineterminator="\n")
    out.writerow(["village_code", "village_name", "url"])
    for link in waves.village_links(wave):
        out.writerow([link.code, link.name, link.url])
    return WerkzeugResponse(
        "\ufeff" + buffer.getvalue(),  # a BOM, so Excel opens the Chinese names as UTF-8
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename={wave.code}-links.csv"},
    )


def _pdf(data: bytes, filename: str) -> WerkzeugResponse:
    return WerkzeugResponse(data, mimetype="application/pdf",
                            headers={"Content-Disposition": f"inline; filename={filename}"})


@bp.route("/waves/<code>/posters/<village_code>.pdf")
@role_required(Role.ADMIN)
def wave_poster(code: str, village_code: str) -> WerkzeugResponse:
    wave = _wave_or_404(code)
    village = _village_or_404(wave, village_code)
    return _pdf(waves.poster_pdf(wave, village), f"{wave.code}-{village.code}.pdf")


@bp.route("/waves/<code>/calls/<village_code>.pdf")
@role_required(Role.ADMIN)
def wave_call_sheet(code: str, village_code: str) -> WerkzeugResponse:
    wave = _wave_or_404(code)
    village = _village_or_404(wave, village_code)
    return _pdf(sampling.call_sheet_pdf(wave, village), f"{wave.code}-{village.code}-calls.pdf")
