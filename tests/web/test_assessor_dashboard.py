"""The assessors' dashboard, exports, PDF reports and the township ZIP job (demo county)."""

from __future__ import annotations

import csv
import html
import io
import re
import shutil
import subprocess
import zipfile
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from openpyxl import load_workbook

from surveyapp.models import AuditEntry
from surveyapp.services import report_jobs
from tests.web.test_auth import csrf_token

WAVE = "citizen_approval-2026-11"
BASE = f"/assessor/waves/{WAVE}/orgs"
# assessor-t01 sees 城关街道 (QY01) and its villages; 石桥镇 (QY02) is outside.
ROUTES = [
    "/",
    "/results.csv",
    "/results.xlsx",
    "/reports/township.pdf",
    "/reports/village.pdf",
    "/village-zip/0123abcd",
    "/village-zip/0123abcd/download",
]


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("org", ["QY02", "QY02V01"])
def test_assessor_cannot_reach_an_org_outside_their_subtree(
    client: FlaskClient, login_as: Any, route: str, org: str
) -> None:
    login_as("assessor-t01")
    response = client.get(f"{BASE}/{org}{route}")
    assert response.status_code == 404
    assert "页面不存在" in response.get_data(as_text=True)


def test_assessor_cannot_start_a_zip_job_outside_their_subtree(
    client: FlaskClient, login_as: Any
) -> None:
    login_as("assessor-t01")
    token = csrf_token(client, f"{BASE}/QY01/")
    assert client.post(f"{BASE}/QY02/village-zip", data={"csrf_token": token}).status_code == 404


@pytest.mark.parametrize(
    "path", ["/assessor/waves/nope/orgs/QY01/", f"{BASE}/NOPE/", f"{BASE}/QY01/reports/poster.pdf"]
)
def test_unknown_wave_org_or_kind_gets_a_404_page_in_chinese(
    client: FlaskClient, login_as: Any, path: str
) -> None:
    login_as("assessor")
    response = client.get(path)
    assert response.status_code == 404 and "找不到" in response.get_data(as_text=True)


def test_dashboard_shows_intervals_grades_and_keeps_small_samples_apart(
    client: FlaskClient, login_as: Any
) -> None:
    login_as("assessor")
    page = client.get(f"{BASE}/QY02/").get_data(as_text=True)
    assert "群众对党风政风认可度指数" in page and "置信区间" in page
    assert "样本不足" in page and "不排名" in page  # the forest plot's separate group
    assert page.count("<svg") >= 2 and "Noto Sans CJK SC" in page
    assert 'href="/assessor/waves/citizen_approval-2026-11/orgs/QY02V01/"' in page  # drill down
    assert "<script src" not in page  # no JavaScript library from elsewhere


def test_the_english_dashboard_names_each_estimates_status_in_english(
    client: FlaskClient, login_as: Any
) -> None:
    from tests.web.test_auth import csrf_token

    login_as("assessor")
    client.post("/lang/en", data={"csrf_token": csrf_token(client, f"{BASE}/QY02/"),
                                  "next": "/"})
    page = client.get(f"{BASE}/QY02/").get_data(as_text=True)
    # The status is the cell just before the notes' cell.
    statuses = re.findall(r'<td>([^<]*)</td>\s*<td class="note-refs">', page)
    assert "Published" in statuses and "Too few respondents" in statuses
    assert "已发布" not in statuses and "样本不足" not in statuses


def test_county_dashboard_has_the_three_up_two_down_panel(
    client: FlaskClient, login_as: Any
) -> None:
    login_as("assessor")
    page = client.get(f"{BASE}/QY/").get_data(as_text=True)
    assert "三升两降" in page and "信访件数" in page and "违纪违法案件" in page


def test_village_dashboard_drills_down_to_member_slips(client: FlaskClient, login_as: Any) -> None:
    login_as("assessor-t01")
    page = client.get(f"{BASE}/QY01V01/").get_data(as_text=True)
    assert "党员先锋指数" in page and "kind=member" not in page
    assert re.search(r"/reports/member\.pdf\?member=P\d+", page)


def shown_notes(page: str, table: str) -> dict[tuple[str, str], list[str]]:
    """(unit, index) -> the note texts its row in the ``own`` or ``children`` table links to."""
    texts = dict(re.findall(rf'<li id="{table}-note-(\d+)">(.*?)</li>', page))
    first_link = page.index(f'href="#{table}-note-')
    body = page[page.rindex("<tbody>", 0, first_link) : page.index("</tbody>", first_link)]
    found = {}
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, flags=re.S):
        unit, index = [
            html.unescape(re.sub(r"<[^>]+>", "", cell)).strip()
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S)[:2]
        ]
        numbers = re.findall(rf'href="#{table}-note-(\d+)"', row)
        found[(unit, index)] = [html.unescape(texts[n]) for n in numbers]
    return found


def test_dashboard_rows_show_the_notes_of_the_exports_and_the_pdf(
    client: FlaskClient, login_as: Any
) -> None:
    from surveyapp.services import reports

    login_as("assessor")
    page = client.get(f"{BASE}/QY01/").get_data(as_text=True)
    assert "<th>说明</th>" in page
    shown = shown_notes(page, "own") | shown_notes(page, "children")

    # The results export carries exactly the notes each row shows.
    export = client.get(f"{BASE}/QY01/results.csv").get_data(as_text=True).lstrip("\ufeff")
    rows = [r for r in csv.DictReader(io.StringIO(export)) if r["title"] and r["unit_name"]]
    rows = [r for r in rows if r["index"] != "breakdown"]
    assert any(r["notes"] for r in rows)
    for r in rows:  # the export joins a row's notes with ；
        assert r["notes"] == "；".join(shown[(r["unit_name"], r["title"])])

    # The 收缩估计 the PDF lists beside a village's approval, and what it is.
    wave = reports.find_wave(WAVE)
    (yuquan,) = [
        r
        for r in reports.level_rows(wave, "village")
        if r["unit"] == "QY01V01" and r["index"] == "approval"
    ]
    s = yuquan["shrinkage"]
    notes = shown[("玉泉社区", yuquan["title"])]
    value = f"{s['estimate']:.1f}（{s['ci_low']:.1f}–{s['ci_high']:.1f}）"
    assert f"收缩估计（模型估计）：{value}" in notes
    assert any("Fay-Herriot" in n and "不用于评级" in n for n in notes)

    # A unit with too few raters says which component was short, as the PDF's component
    # table does.
    short = [
        r
        for r in reports.level_rows(wave, "township")
        if r["unit"] == "QY01" and r["status"] == "样本不足"
    ]
    assert short
    for r in short:
        reasons = {
            f"{c['title']}：{c['note']}"
            for c in r["components"]
            if c["note"] and c["status"] != "已发布"
        }
        assert reasons <= set(shown[("城关街道", r["title"])])
    assert any("少于" in n for r in short for n in shown[("城关街道", r["title"])])


def test_exports_carry_the_shown_rows_with_ci_columns_and_notes(
    client: FlaskClient, login_as: Any, db: Any
) -> None:
    login_as("assessor-t01")
    text = client.get(f"{BASE}/QY01/results.csv").get_data(as_text=True)
    header = text.lstrip("\ufeff").splitlines()[0].split(",")
    assert {"estimate", "se", "ci_low", "ci_high", "df", "n", "notes"} <= set(header)
    assert "城关街道" in text and "石桥镇" not in text and "# " in text
    book = load_workbook(io.BytesIO(client.get(f"{BASE}/QY01/results.xlsx").data))
    assert book.sheetnames == ["结果", "说明"] and book["结果"]["J1"].value == "ci_high"
    actions = db.session.scalars(
        sa.select(AuditEntry.action).where(AuditEntry.action == "results.export")
    ).all()
    assert len(actions) == 2


@pytest.fixture
def village_pdf(client: FlaskClient, login_as: Any, db: Any, tmp_path: Any) -> tuple[str, str]:
    if not shutil.which("pdftotext"):
        from tests.services import require

        require("poppler-utils", "the report's text is read with pdftotext")
    login_as("assessor-t01")
    page = client.get(f"{BASE}/QY01V01/").get_data(as_text=True)
    response = client.get(f"{BASE}/QY01V01/reports/village.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    path = tmp_path / "village.pdf"
    path.write_bytes(response.data)
    return page, str(path)


def test_village_report_shows_the_dashboard_numbers_in_chinese_and_is_logged(
    village_pdf: tuple[str, str], db: Any, artifacts_dir: Any
) -> None:
    page, path = village_pdf
    text = subprocess.run(
        ["pdftotext", "-layout", path, "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "玉泉社区村（社区）清廉建设测评报告" in text.replace("\n", "")
    own = page.split("本单位")[1].split("</table>")[0]
    shown = re.findall(r'class="num"[^>]*>(\d+\.\d) – (\d+\.\d)<', own)
    values = re.findall(r'class="num" data-sort="[^"]+">(\d+\.\d)<', own)
    assert values and shown
    for value in values:
        assert value in text
    for low, high in shown:
        assert f"{low} – {high}" in text
    fonts = subprocess.run(["pdffonts", path], capture_output=True, text=True).stdout
    assert any("Noto-Sans-CJK" in line and line.split()[-5] == "yes" for line in fonts.splitlines())
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "80",
            "-f",
            "1",
            "-l",
            "2",
            path,
            str(artifacts_dir / f"report-demo-village-{db.engine.dialect.name}"),
        ],
        check=True,
    )
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "report.download"))
    assert entry.target == "QY01V01" and len(entry.detail["input_hash"]) == 64


@pytest.mark.parametrize(
    "org, kind, member",
    [
        ("QY", "county", None),
        ("QY01", "township", None),
        ("QY01V01", "village", None),
        ("QY01V01", "member", "first"),
        ("QY", "integrity", None),
        ("QY01", "integrity", None),
        ("QY01", "ballot", None),
    ],
)
def test_every_report_kind_renders_for_the_demo_county(
    app: Any, db: Any, org: str, kind: str, member: str | None
) -> None:
    from scoring.reports import KINDS, render_html
    from surveyapp.services import reports

    wave = reports.find_wave(WAVE)
    org_row = reports.find_org(org)
    if member:
        member = next(r.member for r in reports.requests_for(wave, "member", org_row))
    data = reports.report_data(reports.check_request(kind, wave, org_row, member))
    html = render_html(data)
    assert KINDS[kind] in html and org_row.name in html and "方法附录" in html


def test_township_zip_of_village_reports_runs_as_a_job_that_survives_reloads(
    client: FlaskClient, login_as: Any
) -> None:
    login_as("assessor-t01")
    token = csrf_token(client, f"{BASE}/QY01/")
    started = client.post(f"{BASE}/QY01/village-zip", data={"csrf_token": token})
    job_url = started.headers["Location"]
    job = job_url.rstrip("/").rsplit("/", 1)[1]
    report_jobs.wait_local(job)
    page = client.get(job_url).get_data(as_text=True)  # a reload finds the same job
    assert "<progress" in page and "3 / 3" in page and "下载压缩包" in page
    assert client.get(f"{job_url}?format=json").get_json()["state"] == "finished"
    archive = zipfile.ZipFile(io.BytesIO(client.get(f"{job_url}/download").data))
    assert sorted(archive.namelist()) == [f"{WAVE}-village-QY01V0{i}.pdf" for i in (1, 2, 3)]


def test_a_wave_without_responses_gets_a_chinese_message_not_an_error(
        client: FlaskClient, login_as: Any, db: Any) -> None:
    from datetime import date

    from surveyapp.models import Org, Wave, WaveStatus

    template = db.session.scalar(sa.select(Wave).where(Wave.code == WAVE))
    empty = Wave(code="citizen-empty", name="尚无答卷的轮次", status=WaveStatus.OPEN,
                 questionnaire_version_id=template.questionnaire_version_id,
                 starts_on=date(2026, 12, 1), ends_on=date(2026, 12, 31),
                 targets=db.session.scalars(sa.select(Org).where(Org.code.like("QY01V%"))).all())
    db.session.add(empty)
    db.session.commit()
    login_as("assessor-t01")
    response = client.get("/assessor/waves/citizen-empty/orgs/QY01/")
    assert response.status_code in (400, 404)
    text = response.get_data(as_text=True)
    assert "暂无" in text or "没有" in text
    assert "Traceback" not in text
