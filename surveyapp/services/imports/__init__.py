"""Bringing rosters in from the county's spreadsheets: one module per kind.

``import_file(kind, filename, data, dry_run=...)`` reads a CSV or XLSX file, checks every row
against the file itself and the database, and reports each problem as ``row N, column X:
message``. A file with any error writes nothing; a clean file is applied in one transaction,
upserting by code, so importing the same file again changes nothing. The web page and
``flask import`` both call it.

Kinds, in the order a county's rosters are imported: orgs, branches, households, people,
links, teams, users, population, counts, points, vetoes, exemptions.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _

from surveyapp.extensions import db
from surveyapp.models import User
from surveyapp.services import audit
from surveyapp.services.imports.branches import BranchesKind
from surveyapp.services.imports.common import (
    EXTENSIONS,
    Change,
    Errors,
    Kind,
    RowError,
    UnreadableFile,
    header_map,
    parse_rows,
    read_table,
    unknown_headers,
    write_table,
)
from surveyapp.services.imports.counts import CountsKind
from surveyapp.services.imports.exemptions import ExemptionsKind
from surveyapp.services.imports.households import HouseholdsKind
from surveyapp.services.imports.links import LinksKind
from surveyapp.services.imports.orgs import OrgsKind
from surveyapp.services.imports.people import PeopleKind
from surveyapp.services.imports.points import PointsEntriesKind
from surveyapp.services.imports.population import PopulationKind
from surveyapp.services.imports.teams import TeamsKind
from surveyapp.services.imports.users import UsersKind
from surveyapp.services.imports.vetoes import VetoesKind

KINDS: dict[str, type[Kind]] = {
    kind.name: kind
    for kind in (OrgsKind, BranchesKind, HouseholdsKind, PeopleKind, LinksKind, TeamsKind,
                 UsersKind, PopulationKind, CountsKind, PointsEntriesKind, VetoesKind,
                 ExemptionsKind)
}
# names, phone numbers, sanctions: admins only
PERSONAL_KINDS = ("households", "people", "users", "points", "vetoes", "exemptions")

__all__ = ["EXTENSIONS", "KINDS", "PERSONAL_KINDS", "ImportResult", "RowError", "UnknownKind",
           "UnreadableFile", "get_kind", "import_file", "template"]


class UnknownKind(ValueError):
    """No import kind has this name."""


@dataclass(slots=True)
class ImportResult:
    kind: str
    filename: str
    rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    changes: list[Change] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    applied: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors


def get_kind(name: str) -> Kind:
    if name not in KINDS:
        raise UnknownKind(name)
    return KINDS[name]()


def import_file(kind_name: str, filename: str, data: bytes, *, dry_run: bool,
                user: User | None = None) -> ImportResult:
    """Check a file and, unless `dry_run` or any row has an error, apply it and commit.

    Raises
    ------
    UnknownKind
        No such kind.
    UnreadableFile
        Not a CSV or XLSX table (wrong extension, damaged workbook, unknown encoding).
    """
    kind = get_kind(kind_name)
    table = read_table(filename, data)
    result = ImportResult(kind.name, filename, rows=len(table.rows),
                          ignored_columns=unknown_headers(table, kind.columns))
    errors = Errors()
    rows = parse_rows(table, kind.columns, errors)
    records = kind.records(rows, errors) if rows else {}
    if errors:
        result.errors = sorted(errors.items, key=lambda e: (e.row, _column_order(kind, e)))
        return result
    present = set(header_map(table, kind.columns, Errors()))
    diff = kind.diff(records, absent=[c.key for c in kind.columns if c.key not in present])
    result.added, result.updated, result.unchanged = (len(diff.adds), len(diff.updates),
                                                      diff.unchanged)
    result.changes = diff.changes
    if dry_run or not (diff.adds or diff.updates):
        return result
    try:
        kind.apply(diff)
        audit.record(f"import.{kind.name}", user=user, target_type="file", target=filename[-64:],
                     detail={"rows": result.rows, "added": result.added,
                             "updated": result.updated, "unchanged": result.unchanged})
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    result.applied = True
    return result


def _column_order(kind: Kind, error: RowError) -> int:
    headers = [c.header for c in kind.columns]
    return headers.index(error.column) if error.column in headers else len(headers)


def template(kind_name: str, fmt: str) -> bytes:
    """The documented template of a kind: Chinese headers and one example row; an XLSX file
    also explains each column on a second sheet."""
    kind = get_kind(kind_name)
    headers = [c.header for c in kind.columns]
    example = [str(c.example) for c in kind.columns]
    notes = [[_("列名"), _("英文列名"), _("必填"), _("说明"), _("示例")]] + [
        [c.header, c.key, _("是") if c.required else "", str(c.help), str(c.example)]
        for c in kind.columns
    ] + [[""], [_("第 2 行是示例，导入前请删除或改成真实数据。")]]
    return write_table(headers, [example], fmt, notes=notes)
