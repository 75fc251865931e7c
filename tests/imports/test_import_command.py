"""``flask import``: one line and exit 2 for bad input, each row error and exit 1 otherwise."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask.testing import FlaskCliRunner

from surveyapp.models import Org


def test_row_errors_print_file_row_column_and_exit_1(runner: FlaskCliRunner, tmp_path: Path,
                                                      db: Any) -> None:
    path = tmp_path / "orgs.csv"
    path.write_text("组织编码,组织名称,类型,上级组织编码\nQY01V80,新村,村,QY77\n", encoding="utf-8")
    result = runner.invoke(args=["import", "orgs", str(path)])
    assert result.exit_code == 1
    assert f"{path}: row 2, column 上级组织编码: 上级组织编码 QY77 不存在" in result.output


def test_a_dry_run_reports_and_writes_nothing(runner: FlaskCliRunner, tmp_path: Path,
                                               db: Any) -> None:
    path = tmp_path / "orgs.csv"
    path.write_text("组织编码,组织名称,类型,上级组织编码\nQY01V81,新村,村,QY01\n", encoding="utf-8")
    result = runner.invoke(args=["import", "orgs", str(path), "--dry-run"])
    assert result.exit_code == 0 and "将新增 1" in result.output
    assert db.session.scalar(sa.select(Org).where(Org.code == "QY01V81")) is None
    result = runner.invoke(args=["import", "orgs", str(path)])
    assert result.exit_code == 0 and "已新增 1" in result.output


def test_bad_input_is_one_line_and_exit_2(runner: FlaskCliRunner, tmp_path: Path) -> None:
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"not a workbook")
    wrong = tmp_path / "orgs.txt"
    wrong.write_text("x")
    for args in (["import", "planets", str(wrong)], ["import", "orgs", str(tmp_path / "no.csv")],
                 ["import", "orgs", str(broken)], ["import", "orgs", str(wrong)]):
        result = runner.invoke(args=args)
        assert result.exit_code == 2, args
        assert len(result.output.strip().splitlines()) == 1, result.output
