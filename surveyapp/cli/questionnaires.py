"""``flask questionnaires check`` and ``flask questionnaires load``.

The lead registers ``questionnaires_cli`` in ``create_app``. ``check`` needs no app and no
database, so county staff can run it on a laptop before sending a file.
"""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from surveyapp.questionnaire.check import check_paths

EXIT_PROBLEMS = 1
EXIT_BAD_INPUT = 2

questionnaires_cli = AppGroup(
    "questionnaires",
    help="检查、载入问卷与指数文件（questionnaires/*.yaml）。",
)


@questionnaires_cli.command("check", with_appcontext=False)
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
def check_command(paths: tuple[Path, ...]) -> None:
    """检查问卷文件（默认：questionnaires/ 下全部文件），每个问题一行 file:line: message。"""
    result = check_paths(paths)
    for error in result.unreadable:
        click.echo(str(error), err=True)
    for problem in result.problems:
        click.echo(str(problem), err=True)
    if result.unreadable:
        raise SystemExit(EXIT_BAD_INPUT)
    if result.problems:
        raise SystemExit(EXIT_PROBLEMS)
    click.echo(f"{len(result.documents)} 个文件检查通过")
