"""What every import kind shares: reading CSV and XLSX, parsing cells, reporting errors.

A file is read into a `Table` of strings; each kind declares its `Column`s and turns the rows
into records. Every problem becomes a `RowError` that names the spreadsheet row as a person
sees it (header = row 1, first data row = row 2) and the column by its Chinese header.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from flask_babel import gettext as _

EXTENSIONS = (".csv", ".xlsx")


class UnreadableFile(ValueError):
    """The file is not a CSV or XLSX table this importer can read (bad input, not bad rows)."""


class CellError(ValueError):
    """A cell's value is not allowed; the message is already in the user's language."""


@dataclass(frozen=True, slots=True)
class RowError:
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}, column {self.column}: {self.message}"


@dataclass(frozen=True, slots=True)
class Column:
    key: str  # English key, also accepted as a header
    header: str  # the Chinese header: the contract with the county's spreadsheets
    parse: Callable[[str], Any]
    required: bool = False
    example: str = ""
    help: str = ""


@dataclass(slots=True)
class Table:
    headers: list[str]
    rows: list[tuple[int, list[str]]]  # (spreadsheet row number, cells)


@dataclass(slots=True)
class Row:
    """One data row, parsed: values by column key (None for a blank cell)."""

    number: int
    values: dict[str, Any]


@dataclass(slots=True)
class Errors:
    items: list[RowError] = field(default_factory=list)

    def add(self, row: int, column: Column | str, message: str) -> None:
        header = column.header if isinstance(column, Column) else column
        self.items.append(RowError(row, header, message))

    def __bool__(self) -> bool:
        return bool(self.items)


# Reading ------------------------------------------------------------------------------------


def read_table(filename: str, data: bytes) -> Table:
    """The first sheet of an XLSX file, or a CSV file (UTF-8, or GB18030 as Chinese Excel
    saves it), as strings with blank rows dropped."""
    name = filename.lower()
    if name.endswith(".csv"):
        lines = _csv_rows(data)
    elif name.endswith(".xlsx"):
        lines = _xlsx_rows(data)
    else:
        raise UnreadableFile(_("只能导入 .csv 或 .xlsx 文件"))
    numbered = [(n, cells) for n, cells in enumerate(lines, start=1) if any(cells)]
    if not numbered or numbered[0][0] != 1:
        raise UnreadableFile(_("第 1 行应为表头，文件为空或第 1 行是空行"))
    headers = numbered[0][1]
    width = len(headers)
    rows = [(n, (cells + [""] * width)[:max(width, len(cells))]) for n, cells in numbered[1:]]
    return Table(headers=headers, rows=rows)


def _csv_rows(data: bytes) -> list[list[str]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise UnreadableFile(_("无法识别文件编码，请另存为 UTF-8 编码的 CSV"))
    if "\x00" in text:
        raise UnreadableFile(_("文件不是文本格式的 CSV"))
    try:
        return [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(text))]
    except csv.Error as error:
        raise UnreadableFile(_("CSV 格式有误：%(error)s", error=str(error))) from None


def _xlsx_rows(data: bytes) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as error:
        raise UnreadableFile(_("无法读取 XLSX 文件（%(error)s）", error=type(error).__name__)
                             ) from None
    except Exception as error:  # openpyxl raises many kinds on a damaged workbook
        raise UnreadableFile(_("无法读取 XLSX 文件（%(error)s）", error=type(error).__name__)
                             ) from None
    try:
        sheet = book.worksheets[0]
        return [[_cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    except Exception as error:  # a workbook that opens can still fail while streaming rows
        raise UnreadableFile(_("无法读取 XLSX 文件（%(error)s）", error=type(error).__name__)
                             ) from None
    finally:
        book.close()


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Excel stores every number as a float: 12.0 is the code "12"
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def header_map(table: Table, columns: Iterable[Column], errors: Errors) -> dict[str, int]:
    """Column key -> position, by Chinese header or English key; missing required columns are
    row-1 errors. A trailing ``*`` (how templates mark required columns) is ignored."""
    positions: dict[str, int] = {}
    names = [h.strip().rstrip("*＊").strip() for h in table.headers]
    for column in columns:
        for i, name in enumerate(names):
            if name in (column.header, column.key):
                if column.key in positions:
                    errors.add(1, column, _("此列出现了两次"))
                positions[column.key] = i
        if column.key not in positions and column.required:
            errors.add(1, column, _("缺少此列"))
    return positions


def parse_rows(table: Table, columns: list[Column], errors: Errors) -> list[Row]:
    positions = header_map(table, columns, errors)
    if errors:
        return []
    rows = []
    for number, cells in table.rows:
        values: dict[str, Any] = {}
        for column in columns:
            text = cells[positions[column.key]] if column.key in positions else ""
            if not text:
                if column.required:
                    errors.add(number, column, _("必须填写"))
                values[column.key] = None
                continue
            try:
                values[column.key] = column.parse(text)
            except CellError as error:
                errors.add(number, column, str(error))
                values[column.key] = None
        rows.append(Row(number, values))
    return rows


def unknown_headers(table: Table, columns: Iterable[Column]) -> list[str]:
    known = {c.header for c in columns} | {c.key for c in columns}
    return [h for h in table.headers if h and h.strip().rstrip("*＊").strip() not in known]


# Cell parsers -------------------------------------------------------------------------------

CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")
PHONE_PATTERN = re.compile(r"^\+?[0-9][0-9 -]{5,18}[0-9]$")


def code(text: str) -> str:
    if not CODE_PATTERN.match(text):
        raise CellError(_("编码“%(value)s”无效：只能用字母、数字、-、_、.，最长 32 位", value=text))
    return text


def text_of(limit: int) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if len(text) > limit:
            raise CellError(_("内容过长（%(n)s 字），最多 %(limit)s 字", n=len(text), limit=limit))
        return text

    return parse


def phone(text: str) -> str:
    if not PHONE_PATTERN.match(text):
        raise CellError(_("电话号码“%(value)s”无效", value=text))
    return text


def count(text: str) -> int:
    """A whole number ≥ 0, written as people write it (thousands separators allowed)."""
    cleaned = text.replace(",", "").replace("，", "")
    try:
        value = int(cleaned)
    except ValueError:
        raise CellError(_("“%(value)s”不是有效的整数", value=text)) from None
    if value < 0:
        raise CellError(_("不能为负数：%(value)s", value=text))
    return value


def positive(text: str) -> int:
    value = count(text)
    if value == 0:
        raise CellError(_("必须大于 0"))
    return value


def year(text: str) -> int:
    value = count(text)
    if not 1900 < value <= datetime.now(UTC).year:
        raise CellError(_("年份“%(value)s”不合理", value=text))
    return value


def day(text: str) -> date:
    try:
        return date.fromisoformat(text.replace("/", "-").replace(".", "-"))
    except ValueError:
        raise CellError(_("日期“%(value)s”无效，请写成 2025-06-30", value=text)) from None


YES = ("是", "yes", "y", "true", "1", "√")
NO = ("否", "no", "n", "false", "0")


def yes_no(text: str) -> bool:
    if text.lower() in YES:
        return True
    if text.lower() in NO:
        return False
    raise CellError(_("“%(value)s”无效，请填“是”或“否”", value=text))


def choice(labels: dict[str, Any]) -> Callable[[str], Any]:
    """A value written as its Chinese label or its English key."""

    def parse(text: str) -> Any:
        for label, value in labels.items():
            if text in (label, str(value)):
                return value
        allowed = "、".join(labels)
        raise CellError(_("“%(value)s”无效，可选：%(allowed)s", value=text, allowed=allowed))

    return parse


def yes_no_text(value: bool | None) -> str:
    return "" if value is None else ("是" if value else "否")


def first_duplicates(rows: list[Row], key: Callable[[Row], Any]) -> Iterable[tuple[Row, int]]:
    """Rows whose key appeared on an earlier row, with that earlier row's number."""
    seen: dict[Any, int] = {}
    for row in rows:
        k = key(row)
        if k is None:
            continue
        if k in seen:
            yield row, seen[k]
        else:
            seen[k] = row.number


# Kinds --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Change:
    row: int
    key: str
    action: str  # "add" or "update"
    fields: tuple[str, ...]  # the Chinese headers of what changes (an update)


@dataclass(slots=True)
class Diff:
    adds: list[dict[str, Any]] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)  # each with the row's "id"
    unchanged: int = 0
    changes: list[Change] = field(default_factory=list)


class Kind:
    """One kind of roster: its columns, how rows become records, and how records are stored.

    A record is ``key -> (row number, values)``; values use the same representation as
    `existing` returns for what is stored, so a re-import of the same file compares equal
    and changes nothing.
    """

    name: str
    columns: list[Column]
    model: Any
    # Where a column's value is stored under another key (a code resolved to an id).
    value_keys: dict[str, str] = {}

    @property
    def title(self) -> str:
        raise NotImplementedError

    def records(self, rows: list[Row], errors: Errors) -> dict[Any, tuple[int, dict[str, Any]]]:
        raise NotImplementedError

    def existing(self) -> dict[Any, tuple[int, dict[str, Any]]]:
        raise NotImplementedError

    def export_rows(self) -> list[dict[str, str]]:
        """What is stored, as cell texts by column key, in the layout of the template."""
        raise NotImplementedError

    def apply(self, diff: Diff) -> None:
        from sqlalchemy import insert, update

        from surveyapp.extensions import db

        if diff.adds:
            db.session.execute(insert(self.model), diff.adds)
        if diff.updates:
            db.session.execute(update(self.model), diff.updates)

    def header_of(self, key: str) -> str:
        column_key = next((k for k, v in self.value_keys.items() if v == key), key)
        return next((c.header for c in self.columns if c.key == column_key), key)

    def diff(self, records: dict[Any, tuple[int, dict[str, Any]]],
             absent: Iterable[str] = ()) -> Diff:
        """Adds, updates and unchanged rows. A column the file does not have (`absent`, by
        column key) leaves stored values alone; a blank cell in a column it has clears them."""
        skip = {self.value_keys.get(k, k) for k in absent}
        stored = self.existing()
        result = Diff()
        for key, (row, values) in records.items():
            if key not in stored:
                result.adds.append(values)
                result.changes.append(Change(row, _key_text(key), "add", ()))
                continue
            row_id, current = stored[key]
            changed = {k: v for k, v in values.items() if k not in skip and current.get(k) != v}
            if not changed:
                result.unchanged += 1
                continue
            result.updates.append({"id": row_id, **changed})
            fields = tuple(dict.fromkeys(self.header_of(k) for k in changed))
            result.changes.append(Change(row, _key_text(key), "update", fields))
        return result


def _key_text(key: Any) -> str:
    return " / ".join(str(k) for k in key) if isinstance(key, tuple) else str(key)


def text_or_blank(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    return str(value)


def org_index() -> dict[str, tuple[int, Any]]:
    """Every organisation's code -> (id, kind), for resolving the codes in a file."""
    from sqlalchemy import select

    from surveyapp.extensions import db
    from surveyapp.models import Org

    return {code: (id_, kind) for id_, code, kind in db.session.execute(
        select(Org.id, Org.code, Org.kind))}


def check_duplicates(rows: list[Row], column: Column, key: Callable[[Row], Any],
                     errors: Errors) -> None:
    for row, first in first_duplicates(rows, key):
        errors.add(row.number, column, _("与第 %(row)s 行重复", row=first))


# Writing ------------------------------------------------------------------------------------


def write_table(headers: list[str], rows: Iterable[list[Any]], fmt: str, *,
                notes: list[list[str]] | None = None, sheet: str = "数据") -> bytes:
    """A CSV (UTF-8 with BOM, so Excel shows the Chinese) or an XLSX file; `notes` become a
    second sheet 说明 in an XLSX file."""
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(headers)
        writer.writerows(rows)
        return out.getvalue().encode("utf-8-sig")
    if fmt != "xlsx":
        raise ValueError(f"format {fmt!r}: use csv or xlsx")
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    data = book.create_sheet(sheet)
    data.append(headers)
    for row in rows:
        data.append(row)
    if notes:
        info = book.create_sheet("说明")
        for line in notes:
            info.append(line)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
