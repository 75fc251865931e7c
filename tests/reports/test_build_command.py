"""`flask reports build`: every report of one level on several processes, and bad input as one
line on stderr with exit status 2."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskCliRunner

pytestmark = pytest.mark.pdf
WAVE = "citizen_approval-2026-11"


def test_build_renders_a_townships_village_reports_on_two_processes(
    runner: FlaskCliRunner, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    result = runner.invoke(
        args=["reports", "build", "--wave", WAVE, "--level", "village", "--org", "QY01",
              "--out", str(out), "--jobs", "2", "--json"]
    )
    assert result.exit_code == 0, result.output
    pdfs = sorted(p.name for p in out.glob("*.pdf"))
    assert pdfs == [f"{WAVE}-village-QY01V0{i}.pdf" for i in (1, 2, 3)]
    assert all((out / name).read_bytes().startswith(b"%PDF") for name in pdfs)
    data = json.loads((out / pdfs[0]).with_suffix(".json").read_text(encoding="utf-8"))
    assert data["kind"] == "village" and data["org"]["code"] == "QY01V01"
    assert "生成报告" in result.stderr  # the progress bar
    assert result.stdout.strip() == f"已生成 3 份报告到 {out}"
    assert not list(out.glob(".write-test-*"))


@pytest.fixture
def a_file(tmp_path: Path) -> Path:
    path = tmp_path / "a-file"
    path.write_text("not a folder")
    return path


BAD = {
    "unknown wave": (["--wave", "nope", "--level", "village"], "没有编号为 nope 的调查轮次"),
    "unknown org": (["--level", "village", "--org", "NOPE"], "没有编号为 NOPE 的单位"),
    "village above its level": (
        ["--level", "township", "--org", "QY01V01"],
        "--org QY01V01（玉泉社区）之下没有 township 层级的报告",
    ),
    "township for a county report": (["--level", "county", "--org", "QY01"], "之下没有 county"),
    "unit off the tree": (["--level", "member", "--org", "QYU01"], "之下没有 member"),
    "bad level": (["--level", "province"], "--level"),
    "jobs zero": (["--level", "village", "--jobs", "0"], "--jobs"),
    "jobs not a number": (["--level", "village", "--jobs", "many"], "--jobs"),
    "out is a file": (["--level", "village", "--out", "{file}"], "a-file"),
    "out under a file": (["--level", "village", "--out", "{file}/sub"], "无法写入输出目录"),
    "out's parent missing": (["--level", "village", "--out", "{tmp}/no/such"], "无法写入"),
}


@pytest.mark.parametrize("args, message", BAD.values(), ids=BAD.keys())
def test_bad_input_is_one_line_on_stderr_and_exit_2(
    runner: FlaskCliRunner, a_file: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    args = [a.format(file=a_file, tmp=tmp_path) for a in args]
    if "--wave" not in args:
        args = ["--wave", WAVE, *args]
    if "--out" not in args:
        args += ["--out", str(tmp_path / "out")]
    result = runner.invoke(args=["reports", "build", *args])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("错误: ") and message in lines[0], lines
    assert "Traceback" not in result.output and result.stdout == ""
    assert not (tmp_path / "no").exists()


def test_bad_input_is_refused_before_any_folder_is_made(runner: FlaskCliRunner, tmp_path: Path,
                                                       db: Any) -> None:
    out = tmp_path / "out"
    result = runner.invoke(args=["reports", "build", "--wave", "nope", "--level", "village",
                                 "--out", str(out)])
    assert result.exit_code == 2 and not out.exists()
