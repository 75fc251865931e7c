"""Command-line conventions shared by every `flask …` command.

Bad input ends in one line on stderr and exit status 2, never a traceback: commands raise
`CliError`, and `OneLineGroup` turns click's own usage errors (a bad option value, a missing
argument) into the same one-line form.
"""

from __future__ import annotations

import sys
from typing import Any, NoReturn

import click
from flask.cli import AppGroup


class CliError(click.ClickException):
    """Bad input to a command: printed as one line, exit status 2."""

    exit_code = 2

    def show(self, file: Any = None) -> None:
        click.echo(f"错误: {self.format_message()}", file=file or sys.stderr)


class CheckFailed(CliError):
    """A check ran and found problems (already printed): exit status 1."""

    exit_code = 1

    def show(self, file: Any = None) -> None:
        if self.message:
            click.echo(self.message, file=file or sys.stderr)


class OneLineCommand(click.Command):
    def make_context(self, info_name: str | None, args: list[str], parent: Any = None,
                     **extra: Any) -> click.Context:
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except click.UsageError as error:
            name = " ".join(filter(None, [parent.command_path if parent else None, info_name]))
            raise CliError(f"{name}: {error.format_message()}") from None


class OneLineGroup(AppGroup):
    """An AppGroup whose commands report usage errors in one line with exit status 2."""

    command_class = OneLineCommand


def fail(message: str) -> NoReturn:
    raise CliError(message)


def register_cli(app: Any) -> None:
    from surveyapp.cli.demo import demo_cli
    from surveyapp.cli.exports import export_cli
    from surveyapp.cli.imports import import_command
    from surveyapp.cli.indices import indices_cli
    from surveyapp.cli.questionnaires import questionnaires_cli
    from surveyapp.cli.reports import reports_cli
    from surveyapp.cli.waves import waves_cli

    app.cli.add_command(demo_cli)
    app.cli.add_command(export_cli)
    app.cli.add_command(import_command)
    app.cli.add_command(indices_cli)
    app.cli.add_command(questionnaires_cli)
    app.cli.add_command(reports_cli)
    app.cli.add_command(waves_cli)
