"""The assessors' dashboard: results per wave and organisation, drill-down, exports, PDF
reports and the township ZIP job. Every route checks scope through the dashboard service."""

from __future__ import annotations

from typing import Any, NoReturn

from flask import (
    Response,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _

from surveyapp.assessor import bp
from surveyapp.auth.access import current_user, role_required
from surveyapp.extensions import db
from surveyapp.models import Role
from surveyapp.services import audit, report_jobs
from surveyapp.services import dashboard as dashboard_service
from surveyapp.services import reports as report_service


def _view(wave: str, org: str) -> dict[str, Any]:
    try:
        return dashboard_service.dashboard(current_user(), wave, org)
    except report_service.ReportNotFound as error:
        abort(404, description=_("找不到该调查轮次或单位：%(what)s", what=str(error)))
    except report_service.ReportUnavailable as error:
        abort(404, description=_("本轮次暂无可显示的结果：%(what)s", what=str(error)))


def _audit(action: str, wave: str, org: str, **detail: Any) -> None:
    audit.record(
        action, user=current_user(), target_type="org", target=org, detail={"wave": wave, **detail}
    )
    db.session.commit()


@bp.route("/waves/<wave>/orgs/<org>/")
@role_required(Role.ASSESSOR)
def dashboard(wave: str, org: str) -> str:
    return render_template("assessor/dashboard.html", **_view(wave, org))


@bp.route("/waves/<wave>/orgs/<org>/results.<any(csv, xlsx):fmt>")
@role_required(Role.ASSESSOR)
def export(wave: str, org: str, fmt: str) -> Response:
    view = _view(wave, org)
    _audit("results.export", wave, org, format=fmt)
    name = f"{wave}-{org}-results.{fmt}"
    if fmt == "csv":
        body, mimetype = dashboard_service.export_csv(view).encode("utf-8"), "text/csv"
    else:
        body = dashboard_service.export_xlsx(view)
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(
        body, mimetype=mimetype, headers={"Content-Disposition": f"attachment; filename={name}"}
    )


@bp.route("/waves/<wave>/orgs/<org>/reports/<kind>.pdf")
@role_required(Role.ASSESSOR)
def report(wave: str, org: str, kind: str) -> Response:
    try:
        wave_row, org_row, visible = dashboard_service.open_view(current_user(), wave, org)
        req = report_service.check_request(kind, wave_row, org_row, request.args.get("member"))
        data = report_service.report_data(req, visible=visible)
    except report_service.ReportNotFound as error:
        abort(404, description=_("找不到该报告：%(what)s", what=str(error)))
    except report_service.ReportUnavailable as error:
        abort(404, description=_("本轮次暂无可报告的结果：%(what)s", what=str(error)))
    pdf, digest = report_service.report_pdf(data, cache_dir=report_service.report_cache_dir())
    _audit("report.download", wave, org, kind=kind, member=req.member, input_hash=digest)
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f"attachment; filename={report_service.file_name(req)}"},
    )


@bp.route("/waves/<wave>/orgs/<org>/village-zip", methods=["POST"])
@role_required(Role.ASSESSOR)
def start_village_zip(wave: str, org: str) -> Any:
    wave_row, org_row, visible = _scoped(wave, org)
    if org_row.kind.level != "township":
        abort(404, description=_("只有乡镇（街道）可以打包所辖村的报告。"))
    # Logged and committed first: the job's thread may use the database at once.
    _audit("report.zip_started", wave, org)
    try:
        job_id = report_jobs.start_village_zip(wave, org, visible)
    except report_jobs.JobsUnavailable:
        _jobs_unavailable()
    return redirect(url_for("assessor.village_zip", wave=wave, org=org, job=job_id))


@bp.route("/waves/<wave>/orgs/<org>/village-zip/<job>")
@role_required(Role.ASSESSOR)
def village_zip(wave: str, org: str, job: str) -> Any:
    wave_row, org_row, _visible = _scoped(wave, org)
    status = _job(job, org)
    if request.args.get("format") == "json":
        return jsonify({k: status[k] for k in ("state", "done", "total", "error")})
    return render_template("assessor/job.html", wave=wave_row, org=org_row, job=job, status=status)


@bp.route("/waves/<wave>/orgs/<org>/village-zip/<job>/download")
@role_required(Role.ASSESSOR)
def village_zip_download(wave: str, org: str, job: str) -> Any:
    _scoped(wave, org)
    status = _job(job, org)
    if status["state"] != "finished" or not report_jobs.zip_path_ok(status["path"]):
        abort(404, description=_("压缩包尚未生成。"))
    _audit("report.zip_download", wave, org, job=job)
    return send_file(status["path"], as_attachment=True, download_name=f"{wave}-{org}-villages.zip")


def _scoped(wave: str, org: str) -> Any:
    try:
        return dashboard_service.open_view(current_user(), wave, org)
    except report_service.ReportNotFound as error:
        abort(404, description=_("找不到该调查轮次或单位：%(what)s", what=str(error)))


def _job(job: str, org: str) -> dict[str, Any]:
    try:
        status = report_jobs.job_status(job)
    except report_jobs.JobsUnavailable:
        _jobs_unavailable()
    if status is None or status.get("township") != org:
        abort(404, description=_("找不到该任务。"))
    return status


def _jobs_unavailable() -> NoReturn:
    current_app.logger.exception("report job queue unreachable")
    abort(503, description=_("后台任务服务暂时不可用，请稍后再试。"))
