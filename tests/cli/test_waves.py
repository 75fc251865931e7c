"""`flask waves …`: CSV for scripts, posters and call sheets as PDFs, one-line errors."""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskCliRunner

from surveyapp.models import Household, Invitation, SampledHousehold, Wave
from surveyapp.services import waves
from tests.services import require
from tests.web.test_waves_admin import new_wave

DEMO_CITIZEN = "citizen_approval-2026-11"
CITIZEN = "ca-test"  # a fresh wave: the demo's own waves may already hold a sample and slips
SLIPS = "hh-test"


@pytest.fixture(autouse=True)
def fresh_waves(app: Any) -> None:
    new_wave(CITIZEN)
    new_wave(SLIPS, "household_rates_member")


def wave_id(code: str) -> int:
    return waves.get_wave(code).id


def rows(output: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(output)))


def test_list_prints_every_wave_as_csv_with_its_response_count(runner: FlaskCliRunner,
                                                                 db: Any) -> None:
    result = runner.invoke(args=["waves", "list"])
    assert result.exit_code == 0, result.output
    listed = rows(result.output)
    assert list(listed[0]) == ["code", "questionnaire_id", "version", "status", "starts_on",
                               "ends_on", "responses"]
    assert len(listed) == db.session.scalar(sa.select(sa.func.count()).select_from(Wave))
    citizen = next(r for r in listed if r["code"] == DEMO_CITIZEN)
    assert citizen["questionnaire_id"] == "citizen_approval" and citizen["status"] == "open"
    assert int(citizen["responses"]) > 0


def test_links_prints_one_url_per_village_from_the_configured_base(runner: FlaskCliRunner,
                                                                    app: Any) -> None:
    app.config["PUBLIC_BASE_URL"] = "https://survey.example.cn"
    try:
        result = runner.invoke(args=["waves", "links", "--wave", CITIZEN])
    finally:
        app.config["PUBLIC_BASE_URL"] = "http://127.0.0.1:5000"
    assert result.exit_code == 0, result.output
    links = rows(result.output)
    assert len(links) == 7
    assert links[0] == {"village_code": "QY01V01", "village_name": "玉泉社区",
                        "url": f"https://survey.example.cn/s/{CITIZEN}/QY01V01"}


@pytest.mark.parametrize(
    "args",
    [
        ["waves", "links", "--wave", "no-such-wave"],
        ["waves", "posters", "--wave", "no-such-wave", "--out", "."],
        ["waves", "posters", "--wave", CITIZEN, "--out", "/no/such/folder"],
        ["waves", "posters", "--wave", CITIZEN, "--out", ".", "--village", "QY99V99"],
        ["waves", "sample", "--wave", "no-such-wave", "--seed", "1"],
        ["waves", "sample", "--wave", CITIZEN, "--seed", "-1"],
        ["waves", "sample", "--wave", CITIZEN, "--seed", "abc"],
        ["waves", "sample", "--wave", CITIZEN],
        ["waves", "sample", "--wave", CITIZEN, "--seed", "1", "--per-village", "0"],
        ["waves", "sample", "--wave", CITIZEN, "--seed", "1", "--out", "/no/such/folder"],
        ["waves", "sheets", "--wave", CITIZEN, "--out", "."],
        ["waves", "tokens", "--wave", SLIPS, "--village", "QY99V99"],
        ["waves", "tokens", "--wave", "no-such-wave", "--village", "QY01V01"],
        ["waves", "tokens", "--wave", CITIZEN, "--village", "QY01V01"],
        ["waves", "tokens", "--wave", SLIPS, "--village", "QY01V01", "--out", "/no/such"],
    ],
)
def test_bad_input_is_one_line_on_stderr_and_exit_2(runner: FlaskCliRunner, db: Any,
                                                    args: list[str]) -> None:
    result = runner.invoke(args=args)
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr
    for model in (SampledHousehold, Invitation):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(model).where(
            model.wave_id.in_(sa.select(Wave.id).where(Wave.code.in_([CITIZEN, SLIPS]))))) == 0


def test_sample_draws_per_village_with_inclusion_probabilities(runner: FlaskCliRunner,
                                                               db: Any) -> None:
    result = runner.invoke(args=["waves", "sample", "--wave", CITIZEN, "--seed", "7",
                                 "--per-village", "20"])
    assert result.exit_code == 0, result.stderr
    draws = {r["village_code"]: r for r in rows(result.stdout)}
    big, hamlet = draws["QY01V01"], draws["QY02V03"]
    households = int(big["households"])
    assert households > 20 and big["drawn"] == "20"
    assert float(big["inclusion_probability"]) == pytest.approx(20 / households, rel=1e-9)
    # A hamlet with fewer households than the target is taken whole, with certainty.
    assert int(hamlet["households"]) < 20
    assert hamlet["drawn"] == hamlet["households"]
    assert float(hamlet["inclusion_probability"]) == 1
    stored = db.session.execute(
        sa.select(SampledHousehold.village_id, Household.village_id)
        .join(Household, Household.id == SampledHousehold.household_id)
        .where(SampledHousehold.wave_id == wave_id(CITIZEN))
    ).all()
    assert len(stored) == sum(int(d["drawn"]) for d in draws.values())
    assert all(a == b for a, b in stored)


def test_the_same_seed_draws_the_same_households(runner: FlaskCliRunner, db: Any) -> None:
    def drawn() -> list[int]:
        return list(db.session.scalars(
            sa.select(SampledHousehold.household_id)
            .where(SampledHousehold.wave_id == wave_id(CITIZEN))
            .order_by(SampledHousehold.village_id, SampledHousehold.draw_order)))

    runner.invoke(args=["waves", "sample", "--wave", CITIZEN, "--seed", "5"])
    first = drawn()
    replaced = runner.invoke(args=["waves", "sample", "--wave", CITIZEN, "--seed", "5",
                                   "--replace"])
    assert replaced.exit_code == 0, replaced.stderr
    assert drawn() == first
    runner.invoke(args=["waves", "sample", "--wave", CITIZEN, "--seed", "6", "--replace"])
    assert drawn() != first


def test_sampling_a_wave_twice_is_refused_without_replace(runner: FlaskCliRunner) -> None:
    assert runner.invoke(args=["waves", "sample", "--wave", CITIZEN, "--seed", "1"]).exit_code == 0
    again = runner.invoke(args=["waves", "sample", "--wave", CITIZEN, "--seed", "2"])
    assert again.exit_code == 2
    assert again.stderr.strip().splitlines() == [
        f"错误: 调查轮次 {CITIZEN} 已经抽过样；确需重抽请加 --replace"
    ]


def test_a_sample_with_recorded_outcomes_is_never_redrawn(runner: FlaskCliRunner,
                                                          db: Any) -> None:
    from surveyapp.models import Outcome

    runner.invoke(args=["waves", "sample", "--wave", CITIZEN, "--seed", "1"])
    first = db.session.scalars(
        sa.select(SampledHousehold).where(SampledHousehold.wave_id == wave_id(CITIZEN))).first()
    first.outcome = Outcome.REFUSED
    db.session.commit()
    result = runner.invoke(args=["waves", "sample", "--wave", CITIZEN, "--seed", "2",
                                 "--replace"])
    assert result.exit_code == 2 and "已有访问结果" in result.stderr


def test_tokens_print_one_slip_per_linked_household_and_store_only_hashes(
        runner: FlaskCliRunner, db: Any) -> None:
    result = runner.invoke(args=["waves", "tokens", "--wave", SLIPS, "--village", "QY01V02"])
    assert result.exit_code == 0, result.stderr
    slips = rows(result.stdout)
    assert slips and all(s["url"].startswith("http://127.0.0.1:5000/t/") for s in slips)
    tokens = [s["url"].rsplit("/", 1)[1] for s in slips]
    hashes = set(db.session.scalars(
        sa.select(Invitation.token_hash).where(Invitation.wave_id == wave_id(SLIPS))))
    assert len(hashes) == len(slips)
    assert not hashes & set(tokens)
    again = runner.invoke(args=["waves", "tokens", "--wave", SLIPS, "--village", "QY01V02"])
    assert again.exit_code == 2 and "--reissue" in again.stderr


def _pdf_tools() -> None:
    for tool in ("pdftoppm", "pdffonts"):
        if shutil.which(tool) is None:
            require("poppler-utils", f"{tool} is not installed (make test installs it)")


@pytest.mark.pdf
def test_a_poster_is_an_a4_pdf_with_an_embedded_cjk_font_and_a_vector_qr(
        runner: FlaskCliRunner, tmp_path: Path, artifacts_dir: Path) -> None:
    _pdf_tools()
    result = runner.invoke(args=["waves", "posters", "--wave", CITIZEN, "--out", str(tmp_path),
                                 "--village", "QY01V01"])
    assert result.exit_code == 0, result.stderr
    pdf = tmp_path / f"{CITIZEN}-QY01V01.pdf"
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True)
    cjk = [line for line in fonts.stdout.splitlines() if "Noto-Sans-CJK-SC" in line]
    assert cjk and all(" yes " in line for line in cjk)  # embedded
    images = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True,
                            check=True)
    assert len(images.stdout.strip().splitlines()) == 2  # header only: the QR is vector
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    assert "(A4)" in info.stdout and re.search(r"^Pages:\s+1$", info.stdout, re.M)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "玉泉社区" in text and "隐私说明" in text and "2026-11-01" in text
    png = artifacts_dir / "poster-QY01V01"
    subprocess.run(["pdftoppm", "-r", "60", "-png", "-singlefile", str(pdf), str(png)],
                   check=True)
    assert (artifacts_dir / "poster-QY01V01.png").stat().st_size > 10_000


@pytest.mark.pdf
def test_sample_prints_a_call_sheet_per_village_with_the_drawn_households(
        runner: FlaskCliRunner, tmp_path: Path, db: Any) -> None:
    _pdf_tools()
    result = runner.invoke(args=["waves", "sample", "--wave", CITIZEN, "--seed", "3",
                                 "--per-village", "5", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.stderr
    sheets = sorted(p.name for p in tmp_path.glob("*-calls.pdf"))
    assert len(sheets) == 7
    first = db.session.execute(
        sa.select(Household).join(SampledHousehold, SampledHousehold.household_id == Household.id)
        .where(SampledHousehold.draw_order == 1, SampledHousehold.wave_id == wave_id(CITIZEN))
        .order_by(Household.code)
    ).scalars().first()
    pdf = tmp_path / f"{CITIZEN}-{first.village.code}-calls.pdf"
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert first.code in text and first.head_name in text and "拒访" in text
