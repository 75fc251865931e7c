"""`python -m scoring report`: a report from its exported plain data, without the app."""

from __future__ import annotations

import json

from scoring.cli import main
from scoring.reports import input_hash


def test_report_command_builds_the_report_from_exported_data(report_data, tmp_path, capsys):
    source = tmp_path / "report.json"
    source.write_text(json.dumps(report_data, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "report.html"
    assert main(["report", str(source), "--out", str(out), "--html"]) == 0
    assert "玉泉社区清廉建设测评报告" in out.read_text(encoding="utf-8")
    assert input_hash(report_data) in capsys.readouterr().out


def test_report_command_names_the_file_and_missing_key_in_one_line(report_data, tmp_path,
                                                                    capsys):
    del report_data["wave"]
    source = tmp_path / "bad.json"
    source.write_text(json.dumps(report_data, ensure_ascii=False), encoding="utf-8")
    assert main(["report", str(source), "--out", str(tmp_path / "x.pdf")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"{source}: ") and "'wave'" in err


def test_report_command_points_at_the_line_of_broken_json(tmp_path, capsys):
    source = tmp_path / "broken.json"
    source.write_text('{\n"kind": "village",\n oops}', encoding="utf-8")
    assert main(["report", str(source), "--out", str(tmp_path / "x.pdf")]) == 2
    assert capsys.readouterr().err.startswith(f"{source}:3: not valid JSON")
