"""Read a YAML file into plain data while remembering the line of every node.

County staff fix what the checker reports, so every message must point at a line of their
file. PyYAML's composed node tree knows each node's line; this module builds plain dicts,
lists and scalars from it and keeps a side table from the node's path (keys and list
indexes, as in ``jsonschema``'s ``absolute_path``) to its 1-based line.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

Path_ = tuple[str | int, ...]


class SourceError(Exception):
    """A file that cannot be read or parsed at all; ``line`` is None when no line applies."""

    def __init__(self, file: str, line: int | None, message: str) -> None:
        super().__init__(message)
        self.file = file
        self.line = line
        self.message = message

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        return f"{where}: {self.message}"


@dataclass(frozen=True, slots=True)
class Problem:
    """One finding of the checker, printed as ``file:line: message``."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


@dataclass(slots=True)
class Document:
    """A parsed YAML file: its data, the line and source text of each node, the raw bytes."""

    file: str
    data: Any
    raw: bytes
    lines: dict[Path_, int] = field(default_factory=dict)
    texts: dict[Path_, str] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def line_of(self, path: Sequence[str | int]) -> int:
        """Line of the node at ``path``, or of its nearest ancestor that has one."""
        path = tuple(path)
        while path not in self.lines and path:
            path = path[:-1]
        return self.lines.get(path, 1)

    def problem(self, path: Sequence[str | int], message: str) -> Problem:
        return Problem(self.file, self.line_of(path), message)


class _Loader(yaml.SafeLoader):
    """SafeLoader whose composed tree we walk ourselves (see ``_build``)."""


def read_document(path: str | Path, display: str | None = None) -> Document:
    """Parse ``path``; raise ``SourceError`` for a missing, unreadable or unparsable file."""
    file = display or str(path)
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise SourceError(file, None, "文件不存在") from None
    except OSError as exc:
        raise SourceError(file, None, f"无法读取文件：{exc.strerror}") from None
    return parse_document(raw, file)


def parse_document(raw: bytes, file: str) -> Document:
    """Parse YAML bytes; ``file`` is only used in messages."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SourceError(file, _line_of_offset(raw, exc.start), "文件不是 UTF-8 编码") from None
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise SourceError(file, 1, "文件是空的")
        doc = Document(file=file, data=None, raw=raw)
        doc.data = _build(loader, node, (), doc)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise SourceError(file, line, f"YAML 语法错误：{exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise SourceError(file, None, f"YAML 语法错误：{exc}") from None
    finally:
        loader.dispose()
    doc.lines.setdefault((), 1)
    return doc


def _line_of_offset(raw: bytes, offset: int) -> int:
    return raw.count(b"\n", 0, offset) + 1


def _build(loader: _Loader, node: yaml.Node, path: Path_, doc: Document) -> Any:
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)  # resolves `<<` merge keys like SafeLoader does
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if isinstance(key, list | dict) or key is None:
                doc.problems.append(Problem(doc.file, key_node.start_mark.line + 1, "键必须是文字"))
                continue
            # JSON object keys are strings; `5: 90` means the key "5" as the editor wrote it.
            key = key if isinstance(key, str) else key_node.value
            if key in result:
                # YAML would silently keep the second value; a county editor who pasted an
                # item twice must hear about it instead.
                doc.problems.append(
                    Problem(doc.file, key_node.start_mark.line + 1, f"重复的键 '{key}'")
                )
                continue
            child = (*path, key)
            doc.lines[child] = key_node.start_mark.line + 1
            result[key] = _build(loader, value_node, child, doc)
        return result
    if isinstance(node, yaml.SequenceNode):
        items = []
        for index, item_node in enumerate(node.value):
            child = (*path, index)
            doc.lines[child] = item_node.start_mark.line + 1
            items.append(_build(loader, item_node, child, doc))
        return items
    doc.texts[path] = node.value
    value = loader.construct_object(node, deep=True)
    if not isinstance(value, str | int | float | bool) and value is not None:
        # Dates and timestamps: keep the text the editor wrote, JSON cannot store them.
        value = node.value
    return value
