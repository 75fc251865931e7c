"""`flask reports build`: every report of one level for a wave, rendered on several processes."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from surveyapp.cli import CliError, OneLineGroup
from surveyapp.services import reports as report_service
from surveyapp.services.report_jobs import render_all

# The org levels from the top; a member's slip belongs to the village level.
ORG_LEVELS = ("county", "township", "village")

reports_cli = OneLineGroup("reports", help="PDF 报告：按调查轮次和层级批量生成。")


@reports_cli.command("build")
@click.option("--wave", "wave_code", required=True, help="调查轮次编号")
@click.option(
    "--level", type=click.Choice(["county", "township", "village", "member"]), required=True
)
@click.option("--org", "org_code", help="只生成此单位及其下级的报告（默认全县）")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False),
    default="reports",
    show_default=True,
    help="输出目录",
)
@click.option("--jobs", type=click.IntRange(1, 64), default=2, show_default=True, help="并行进程数")
@click.option(
    "--json",
    "with_json",
    is_flag=True,
    help="每份报告旁另存其输入数据（python -m scoring report 可据此重现）",
)
def build_command(
    wave_code: str, level: str, org_code: str | None, out_dir: str, jobs: int, with_json: bool
) -> None:
    """生成某一轮次某一层级的全部 PDF 报告。"""
    try:
        wave = report_service.find_wave(wave_code)
        org = report_service.find_org(org_code) if org_code else None
        if org is not None and not reaches(org.kind.level, level):
            raise CliError(f"--org {org_code}（{org.name}）之下没有 {level} 层级的报告")
        requests = report_service.requests_for(wave, level, org)
        if not requests:
            raise CliError(f"{org_code or '全县'} 下没有 {level} 层级的报告可生成")
        out = writable_folder(out_dir)
        data = [report_service.report_data(r) for r in requests]
    except (report_service.ReportNotFound, report_service.ReportUnavailable) as error:
        raise CliError(str(error)) from None
    names = [report_service.file_name(r) for r in requests]
    if with_json:
        for name, d in zip(names, data, strict=True):
            (out / name).with_suffix(".json").write_text(
                json.dumps(d, ensure_ascii=False, indent=1), encoding="utf-8"
            )
    with click.progressbar(length=len(data), label="生成报告", file=sys.stderr) as bar:
        render_all(
            data,
            [out / n for n in names],
            jobs=jobs,
            min_cell=report_service.min_cell_size(),
            progress=bar.update,
        )
    click.echo(f"已生成 {len(data)} 份报告到 {out}")


def reaches(org_level: str, level: str) -> bool:
    """Whether an org at ``org_level`` has reports of ``level`` in its subtree (a clean-
    governance unit, off the county–township–village tree, has none)."""
    target = "village" if level == "member" else level
    return org_level in ORG_LEVELS and ORG_LEVELS.index(org_level) <= ORG_LEVELS.index(target)


def writable_folder(path: str) -> Path:
    """The output folder, made if only its last part is missing, after a test write: better one
    line now than a traceback after minutes of rendering."""
    out = Path(path)
    try:
        out.mkdir(exist_ok=True)
        probe = out / f".write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as error:
        raise CliError(f"{path}: 无法写入输出目录（{error.strerror or error}）") from None
    return out
