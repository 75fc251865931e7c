"""`flask reports build`: every report of one level for a wave, rendered on several processes."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
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
    with report_service.one_build():
        try:
            wave = report_service.find_wave(wave_code)
            org = report_service.find_org(org_code) if org_code else None
            if org is not None and not reaches(org.kind.level, level):
                raise CliError(f"--org {org_code}（{org.name}）之下没有 {level} 层级的报告")
            requests = report_service.requests_for(wave, level, org)
            if not requests:
                raise CliError(f"{org_code or '全县'} 下没有 {level} 层级的报告可生成")
            out = writable_folder(out_dir)
            # The first report computes the level's indices: a wave without results stops
            # here, before any rendering starts.
            first = report_service.report_data(requests[0])
        except (report_service.ReportNotFound, report_service.ReportUnavailable) as error:
            raise CliError(str(error)) from None
        with click.progressbar(length=len(requests), label="生成报告", file=sys.stderr) as bar:
            render_all(
                each_report(requests, first, out, with_json),
                jobs=jobs,
                min_cell=report_service.min_cell_size(),
                progress=bar.update,
            )
    click.echo(f"已生成 {len(requests)} 份报告到 {out}")


def each_report(
    requests: list[report_service.ReportRequest], first: dict, out: Path, with_json: bool
) -> Iterator[tuple[dict, Path]]:
    """Each report's data and PDF path, made one at a time so rendering can start at once;
    its data beside it as JSON when asked."""
    for request in requests:
        try:
            data = first if request is requests[0] else report_service.report_data(request)
        except (report_service.ReportNotFound, report_service.ReportUnavailable) as error:
            raise CliError(str(error)) from None
        path = out / report_service.file_name(request)
        if with_json:
            path.with_suffix(".json").write_text(
                json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8"
            )
        yield data, path


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
