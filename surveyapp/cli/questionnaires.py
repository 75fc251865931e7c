"""``flask questionnaires check`` and ``flask questionnaires load``.

``check`` needs no app and no database, so county staff can run it on a laptop before they
send a file; every problem is one line ``file:line: message`` on stderr.
"""

from __future__ import annotations

from pathlib import Path

import click

from surveyapp.cli import CheckFailed, OneLineGroup
from surveyapp.questionnaire.check import CheckResult, check_paths

questionnaires_cli = OneLineGroup(
    "questionnaires",
    help="检查、载入问卷与指数文件（questionnaires/*.yaml）。",
)

STATUS_NAMES = {
    "new": "新问卷，已载入",
    "changed": "内容有变化，已载入为新版本",
    "unchanged": "没有变化",
}


class FilesUnreadable(CheckFailed):
    """A file is missing or is not YAML: bad input, exit status 2."""

    exit_code = 2


def _report(result: CheckResult) -> None:
    lines = [str(error) for error in result.unreadable] + [str(p) for p in result.problems]
    if result.unreadable:
        raise FilesUnreadable("\n".join(lines))
    if result.problems:
        raise CheckFailed("\n".join(lines))


@questionnaires_cli.command("check", with_appcontext=False)
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
def check_command(paths: tuple[Path, ...]) -> None:
    """检查问卷文件（默认：questionnaires/ 下全部文件）。有问题时退出码为 1，文件无法读取时为 2。"""
    result = check_paths(paths)
    _report(result)
    click.echo(f"{len(result.documents)} 个文件检查通过")


@questionnaires_cli.command("load")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
def load_command(paths: tuple[Path, ...]) -> None:
    """检查并载入问卷文件：内容没变的跳过，变了的存为新版本；已开始的调查仍用原版本。"""
    from surveyapp.questionnaire.load import QuestionnairesNotValid, load_questionnaires

    try:
        results = load_questionnaires(paths)
    except QuestionnairesNotValid as error:
        _report(error.result)
        raise
    for loaded in results:
        note = "（注意：内容变了但 version 没改）" if loaded.version_reused else ""
        click.echo(
            f"{loaded.file}: {loaded.questionnaire_id} {loaded.version} "
            f"{STATUS_NAMES[loaded.status]}{note}"
        )
