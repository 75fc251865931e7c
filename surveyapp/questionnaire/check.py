"""Check questionnaire and indices files: the schema first, then what a schema cannot say.

``check_paths`` is what ``flask questionnaires check`` runs and what ``load`` runs before it
stores anything. Every problem is a ``Problem(file, line, message)`` with a Chinese message
naming the item, scale, dimension or component, at the YAML line of the node to fix.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from . import show_if
from .definition import is_indices, iter_items, normalise_indices, normalise_questionnaire
from .schema import validate
from .source import Document, Problem, SourceError, parse_document, read_document

DEFAULT_DIR = Path(__file__).resolve().parents[2] / "questionnaires"
WEIGHT_TOLERANCE = 1e-9


@dataclass(slots=True)
class CheckResult:
    """What a check found: unreadable files, problems, and the definitions that passed."""

    unreadable: list[SourceError] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    documents: list[Document] = field(default_factory=list)
    definitions: dict[str, dict] = field(default_factory=dict)  # file -> normalised definition

    @property
    def ok(self) -> bool:
        return not self.unreadable and not self.problems


def questionnaire_files(paths: Iterable[str | Path]) -> list[Path]:
    """The files named by ``paths``: a directory stands for its ``*.yaml`` files."""
    files = []
    for path in map(Path, paths):
        files.extend(sorted(path.glob("*.yaml")) if path.is_dir() else [path])
    return files


def display_name(path: Path) -> str:
    """``path`` relative to the working directory when it lies inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def check_paths(paths: Sequence[str | Path] = ()) -> CheckResult:
    """Check the files named by ``paths`` (default: every file in ``questionnaires/``).

    An indices file's references are resolved against the instruments checked with it;
    when it is checked alone, against the instrument files in its own directory.
    """
    result = CheckResult()
    for path in questionnaire_files(paths or [DEFAULT_DIR]):
        try:
            result.documents.append(read_document(path, display_name(path)))
        except SourceError as error:
            result.unreadable.append(error)
    instruments: dict[str, dict] = {}
    indices_docs = []
    for doc in result.documents:
        result.problems.extend(doc.problems)
        if is_indices(doc.data):
            indices_docs.append(doc)
        else:
            _check_instrument_document(doc, result, instruments)
    for doc in indices_docs:
        problems = validate(doc, "indices")
        if not problems:
            definition = normalise_indices(doc)
            problems = check_indices(doc, definition, instruments or _siblings(doc))
            result.definitions[doc.file] = definition
        result.problems.extend(problems)
    result.problems.sort(key=lambda p: (p.file, p.line))
    return result


class DefinitionInvalid(ValueError):
    """A questionnaire that does not pass the check; ``problems`` says why."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(map(str, problems)))
        self.problems = problems


def parse_questionnaire(raw: bytes | str, file: str = "<questionnaire>") -> dict:
    """Parse, check and normalise one questionnaire given as YAML text.

    Raises
    ------
    SourceError
        The text is not YAML.
    DefinitionInvalid
        It is YAML but fails the schema or a semantic check.
    """
    doc = parse_document(raw.encode("utf-8") if isinstance(raw, str) else raw, file)
    result = CheckResult(documents=[doc], problems=list(doc.problems))
    _check_instrument_document(doc, result, {})
    if result.problems:
        raise DefinitionInvalid(result.problems)
    return result.definitions[file]


def _check_instrument_document(doc: Document, result: CheckResult, seen: dict) -> None:
    problems = (
        validate(doc, "questionnaire")
        if isinstance(doc.data, dict)
        else [doc.problem((), "文件顶层应为键值表（id、version、title……）")]
    )
    if problems:
        result.problems.extend(problems)
        return
    definition = normalise_questionnaire(doc)
    result.problems.extend(check_questionnaire(doc, definition))
    if definition["id"] in seen:
        result.problems.append(
            doc.problem(("id",), f"问卷编号 '{definition['id']}' 与其他文件重复")
        )
    seen[definition["id"]] = definition
    result.definitions[doc.file] = definition


def _siblings(doc: Document) -> dict[str, dict]:
    instruments = {}
    for path in questionnaire_files([Path(doc.file).parent]):
        try:
            sibling = read_document(path)
        except SourceError:
            continue
        if is_indices(sibling.data) or not isinstance(sibling.data, dict):
            continue
        if not validate(sibling, "questionnaire"):
            definition = normalise_questionnaire(sibling)
            instruments[definition["id"]] = definition
    return instruments


# --- one instrument -------------------------------------------------------------------


def check_questionnaire(doc: Document, definition: dict) -> list[Problem]:
    """Semantic problems of one schema-valid questionnaire."""
    return (
        _check_scales(doc, definition)
        + _check_sections(doc)
        + _check_items(doc, definition)
        + _check_show_if(doc, definition)
        + _check_dimensions(doc, definition)
    )


def _item_paths(doc: Document) -> list[tuple[tuple, dict]]:
    """(path, raw item) for every item, in order, for locating lines."""
    return [
        (("sections", s, "items", i), item)
        for s, section in enumerate(doc.data["sections"])
        for i, item in enumerate(section["items"])
    ]


def _check_scales(doc: Document, definition: dict) -> list[Problem]:
    problems = []
    for name, scale in definition["scales"].items():
        path = ("scales", name)
        labels = [p["label"] for p in scale["points"]]
        problems += _duplicates(doc, (*path, "points"), labels, "选项")
        for label in scale["missing"]:
            if label in labels:
                problems.append(
                    doc.problem(
                        (*path, "missing"), f"量表 '{name}' 中 '{label}' 既是选项又是缺失项"
                    )
                )
        for label in scale["satisfied"]:
            if label not in labels:
                problems.append(
                    doc.problem((*path, "satisfied"), f"量表 '{name}' 没有选项 '{label}'")
                )
    return problems


def _check_sections(doc: Document) -> list[Problem]:
    ids = [section["id"] for section in doc.data["sections"]]
    return [
        doc.problem(("sections", index, "id"), f"栏目编号 '{section_id}' 重复")
        for index, section_id in enumerate(ids)
        if section_id in ids[:index]
    ]


def _check_items(doc: Document, definition: dict) -> list[Problem]:
    problems = []
    first_line: dict[str, int] = {}
    raking: dict[str, str] = {}
    for path, raw in _item_paths(doc):
        item_id = raw["id"]
        if item_id in first_line:
            problems.append(
                doc.problem(
                    (*path, "id"), f"题目编号 '{item_id}' 重复（第 {first_line[item_id]} 行已使用）"
                )
            )
        first_line.setdefault(item_id, doc.line_of((*path, "id")))
        problems += _check_item(doc, path, raw, definition["scales"])
        margin = raw.get("raking")
        if margin in raking:
            problems.append(
                doc.problem(
                    (*path, "raking"), f"加权变量 '{margin}' 已由题目 '{raking[margin]}' 使用"
                )
            )
        elif margin:
            raking[margin] = item_id
    return problems


def _check_item(doc: Document, path: tuple, raw: dict, scales: dict) -> list[Problem]:
    kind, item_id = raw["type"], raw["id"]
    scale_name = raw.get("scale")
    if scale_name is not None and scale_name not in scales:
        return [doc.problem((*path, "scale"), f"题目 '{item_id}' 使用的量表 '{scale_name}' 未定义")]
    scale = scales.get(scale_name)
    labels = [c["label"] for c in raw.get("choices") or (scale or {}).get("points", [])]
    clashes = [label for label in raw.get("missing", []) if label in labels]
    if clashes:
        return [
            doc.problem(
                (*path, "missing"), f"题目 '{item_id}' 中 '{clashes[0]}' 既是选项又是缺失项"
            )
        ]
    if kind == "likert":
        return _check_likert(doc, path, item_id, scale_name, scale)
    if kind in ("single", "multiple"):
        return _check_choice_item(doc, path, raw, scale)
    if kind == "quiz":
        return _check_quiz(doc, path, raw)
    if kind == "number" and raw["min"] >= raw["max"]:
        return [doc.problem((*path, "max"), f"数字题 '{item_id}' 的 max 应大于 min")]
    return []


def _check_likert(doc, path, item_id, scale_name, scale) -> list[Problem]:
    if scale is None:
        return [doc.problem(path, f"likert 题 '{item_id}' 没有量表（scale），无法计分")]
    unscored = [p["label"] for p in scale["points"] if p["score"] is None]
    if unscored:
        return [
            doc.problem(
                (*path, "scale"),
                f"likert 题 '{item_id}' 的量表 '{scale_name}' 中 '{unscored[0]}' 没有分值（score）",
            )
        ]
    return []


def _check_choice_item(doc, path, raw, scale) -> list[Problem]:
    item_id = raw["id"]
    if (scale is None) == ("choices" not in raw):
        return [doc.problem(path, f"选择题 '{item_id}' 需要 choices 或 scale 二者之一")]
    choices = raw.get("choices") or scale["points"]
    labels = [c["label"] for c in choices]
    problems = _duplicates(doc, (*path, "choices"), labels, "选项")
    scores = [c.get("score") for c in choices]
    if (
        raw["type"] == "single"
        and any(s is None for s in scores)
        and any(s is not None for s in scores)
    ):
        problems.append(
            doc.problem((*path, "choices"), f"单选题 '{item_id}' 的选项要么都有分值，要么都没有")
        )
    for label in raw.get("exclusive", []):
        if label not in labels:
            problems.append(
                doc.problem((*path, "exclusive"), f"题目 '{item_id}' 没有选项 '{label}'")
            )
    if raw.get("max_choices", 0) > len(labels):
        problems.append(
            doc.problem((*path, "max_choices"), f"题目 '{item_id}' 的 max_choices 多于选项数")
        )
    if raw.get("reverse") and any(s is None for s in scores):
        problems.append(doc.problem((*path, "reverse"), f"题目 '{item_id}' 不计分，不能反向计分"))
    return problems


def _check_quiz(doc, path, raw) -> list[Problem]:
    item_id = raw["id"]
    correct = sum(1 for choice in raw["choices"] if choice.get("correct"))
    problems = _duplicates(doc, (*path, "choices"), [c["label"] for c in raw["choices"]], "选项")
    if correct != 1:
        problems.append(
            doc.problem(
                (*path, "choices"),
                f"测验题 '{item_id}' 必须恰好有一个正确选项（现有 {correct} 个）",
            )
        )
    return problems


def _duplicates(doc: Document, path: tuple, labels: list[str], what: str) -> list[Problem]:
    return [
        doc.problem((*path, index), f"{what} '{label}' 重复")
        for index, label in enumerate(labels)
        if label in labels[:index]
    ]


def _check_show_if(doc: Document, definition: dict) -> list[Problem]:
    problems = []
    items = [item for section in definition["sections"] for item in section["items"]]
    paths = [path for path, _ in _item_paths(doc)]
    for position, (path, item) in enumerate(zip(paths, items, strict=True)):
        if item["show_if"] is None:
            continue
        where = (*path, "show_if")
        try:
            node = show_if.parse(item["show_if"])
        except show_if.ShowIfError as error:
            problems.append(doc.problem(where, f"show_if 语法错误：{error}"))
            continue
        earlier = {i["id"]: i for i in items[:position]}
        later = {i["id"] for i in items[position:]}
        problems += [doc.problem(where, m) for m in show_if.check(node, item["id"], earlier, later)]
    return problems


def _check_dimensions(doc: Document, definition: dict) -> list[Problem]:
    problems = []
    declared = definition["scoring"]["dimensions"]
    members = Counter()
    items = [item for section in definition["sections"] for item in section["items"]]
    for (path, _), item in zip(_item_paths(doc), items, strict=True):
        name = item["dimension"]
        if name is None:
            continue
        members[name] += 1
        if name not in declared:
            problems.append(
                doc.problem(
                    (*path, "dimension"),
                    f"题目 '{item['id']}' 的维度 '{name}' 未在 scoring.dimensions 中定义",
                )
            )
        elif not item["scored"]:
            problems.append(
                doc.problem(
                    (*path, "dimension"), f"题目 '{item['id']}' 不计分，不能归入维度 '{name}'"
                )
            )
    for name in declared:
        if not members[name]:
            problems.append(doc.problem(("scoring", "dimensions", name), f"维度 '{name}' 没有题目"))
    weights = [spec["weight"] for spec in declared.values()]
    where = ("scoring", "dimensions")
    if any(w is not None for w in weights):
        if any(w is None for w in weights):
            problems.append(doc.problem(where, "维度权重要么都写，要么都不写"))
        elif not _sums_to_one(weights):
            problems.append(doc.problem(where, f"维度权重之和为 {_show(sum(weights))}，应为 1"))
    if definition["scoring"]["respondent"]["from"] == "dimensions" and not declared:
        problems.append(doc.problem(("scoring",), "respondent 按维度计分，但没有定义维度"))
    return problems


def _sums_to_one(weights: Iterable[float]) -> bool:
    return math.isclose(math.fsum(weights), 1.0, abs_tol=WEIGHT_TOLERANCE)


def _show(number: float) -> str:
    return f"{number:.6g}"


# --- indices.yaml ---------------------------------------------------------------------


def check_indices(doc: Document, definition: dict, instruments: dict[str, dict]) -> list[Problem]:
    """Problems of a schema-valid indices file, given the instruments it may name."""
    problems = []
    for name, band_set in doc.data["bands"].items():
        problems += _check_bands(doc, ("bands", name), name, band_set["grades"])
    for name, index in doc.data["indices"].items():
        problems += _check_index(doc, name, index, definition, instruments)
    problems += _check_cycles(doc, definition)
    problems += _check_rises(doc, instruments)
    for name, ballot in doc.data.get("ballots", {}).items():
        problems += _check_ballot(doc, ("ballots", name), ballot, instruments)
    for name, quiz in doc.data.get("quizzes", {}).items():
        problems += _check_quiz_rule(doc, ("quizzes", name), quiz, instruments)
    problems += _check_fractions(doc)
    return problems


def _check_bands(doc: Document, path: tuple, name: str, grades: list[dict]) -> list[Problem]:
    problems = []
    order = sorted(range(len(grades)), key=lambda i: grades[i]["min"])
    for i in order:
        if grades[i]["min"] >= grades[i]["max"]:
            problems.append(
                doc.problem((*path, "grades", i), f"等级 '{grades[i]['label']}' 的 max 应大于 min")
            )
    if problems:
        return problems
    low, high = grades[order[0]], grades[order[-1]]
    if low["min"] > 0:
        problems.append(
            doc.problem(
                (*path, "grades", order[0]), f"等级表 '{name}' 没有覆盖 0–{_show(low['min'])} 分"
            )
        )
    if high["max"] < 100:
        problems.append(
            doc.problem(
                (*path, "grades", order[-1]),
                f"等级表 '{name}' 没有覆盖 {_show(high['max'])}–100 分",
            )
        )
    for below, above in zip(order, order[1:], strict=False):
        a, b = grades[below], grades[above]
        where = (*path, "grades", below, "max")  # the lower grade's upper bound is the edge
        span = f"{_show(min(a['max'], b['min']))}–{_show(max(a['max'], b['min']))}"
        if a["max"] > b["min"]:
            problems.append(
                doc.problem(where, f"等级 '{b['label']}' 与 '{a['label']}' 在 {span} 分重叠")
            )
        elif a["max"] < b["min"]:
            problems.append(
                doc.problem(where, f"等级 '{a['label']}' 与 '{b['label']}' 之间 {span} 分没有等级")
            )
    return problems


def _check_index(doc, name, index, definition, instruments) -> list[Problem]:
    path = ("indices", name)
    problems = []
    components = index["components"]
    ids = [c["id"] for c in components]
    problems += _duplicates(doc, (*path, "components"), ids, "成分")
    for i, component in enumerate(components):
        problems += _check_component(
            doc, (*path, "components", i), component, definition, instruments
        )
    for i, breakdown in enumerate(index.get("breakdowns", [])):
        problems += _check_source(doc, (*path, "breakdowns", i), breakdown, instruments)
    weights = [c["weight"] for c in components]
    if not _sums_to_one(weights):
        problems.append(
            doc.problem(
                (*path, "components"),
                f"指数 '{name}' 的成分权重之和为 {_show(math.fsum(weights))}，应为 1",
            )
        )
    for band in index.get("bands", []):
        if band not in definition["bands"]:
            problems.append(doc.problem((*path, "bands"), f"等级表 '{band}' 未定义"))
    for i, cap in enumerate(index.get("caps", [])):
        problems += _check_cap(doc, (*path, "caps", i), cap, ids, index, definition)
    return problems


def _check_component(doc, path, component, definition, instruments) -> list[Problem]:
    sources = [key for key in ("instrument", "index", "points") if key in component]
    if len(sources) != 1:
        return [
            doc.problem(
                path, f"成分 '{component['id']}' 必须且只能指定 instrument、index、points 之一"
            )
        ]
    if "index" in component:
        if component["index"] not in definition["indices"]:
            return [
                doc.problem(
                    (*path, "index"),
                    f"成分 '{component['id']}' 引用的指数 '{component['index']}' 未定义",
                )
            ]
        return []
    if "points" in component:
        return []
    problems = _check_source(doc, path, component, instruments)
    if problems:
        return problems
    instrument = instruments[component["instrument"]]
    subject = instrument["subject"] or {}
    if component.get("raters") == "self" and not subject.get("self_rating"):
        problems.append(
            doc.problem(
                (*path, "raters"), f"问卷 '{instrument['id']}' 不允许自评，成分不能用 raters: self"
            )
        )
    return problems


def _check_source(doc, path, source, instruments) -> list[Problem]:
    """An instrument reference, with its optional dimension, items and audience."""
    instrument_id = source["instrument"]
    if instrument_id not in instruments:
        return [doc.problem((*path, "instrument"), f"问卷 '{instrument_id}' 不存在")]
    instrument = instruments[instrument_id]
    problems = []
    dimension = source.get("dimension")
    if dimension is not None and dimension not in instrument["scoring"]["dimensions"]:
        problems.append(
            doc.problem((*path, "dimension"), f"问卷 '{instrument_id}' 没有维度 '{dimension}'")
        )
    items = {i["id"]: i for s in instrument["sections"] for i in s["items"]}
    for k, item_id in enumerate(source.get("items", [])):
        if item_id not in items:
            problems.append(
                doc.problem((*path, "items", k), f"问卷 '{instrument_id}' 没有题目 '{item_id}'")
            )
        elif not items[item_id]["scored"]:
            problems.append(
                doc.problem(
                    (*path, "items", k), f"问卷 '{instrument_id}' 的题目 '{item_id}' 不计分"
                )
            )
    audience = source.get("audience")
    if audience is not None and audience not in instrument["audience"]:
        problems.append(
            doc.problem((*path, "audience"), f"问卷 '{instrument_id}' 的答卷人不包括 '{audience}'")
        )
    if dimension is not None and "items" in source:
        problems.append(doc.problem(path, "dimension 与 items 只能写一个"))
    return problems


def _check_cap(doc, path, cap, component_ids, index, definition) -> list[Problem]:
    problems = []
    if cap["component"] not in component_ids:
        problems.append(
            doc.problem((*path, "component"), f"成分 '{cap['component']}' 不在本指数中")
        )
    if cap["statistic"] != "score" and cap["below"] > 1:
        problems.append(
            doc.problem((*path, "below"), f"{cap['statistic']} 是比例，below 应在 0–1 之间")
        )
    band_set = definition["bands"].get(cap["band_set"])
    if band_set is None or cap["band_set"] not in index.get("bands", []):
        problems.append(
            doc.problem((*path, "band_set"), f"本指数没有使用等级表 '{cap['band_set']}'")
        )
    elif cap["max_grade"] not in [g["label"] for g in band_set["grades"]]:
        problems.append(
            doc.problem(
                (*path, "max_grade"), f"等级表 '{cap['band_set']}' 没有等级 '{cap['max_grade']}'"
            )
        )
    return problems


def _check_cycles(doc: Document, definition: dict) -> list[Problem]:
    uses = {
        name: {c["index"] for c in index["components"] if c["source"] == "index"}
        for name, index in definition["indices"].items()
    }
    problems = []
    for name in uses:
        seen, frontier = set(), set(uses[name])
        while frontier:
            current = frontier.pop()
            if current == name:
                problems.append(
                    doc.problem(("indices", name), f"指数 '{name}' 直接或间接引用了自身")
                )
                break
            if current not in seen:
                seen.add(current)
                frontier |= uses.get(current, set())
    return problems


def _check_rises(doc: Document, instruments: dict[str, dict]) -> list[Problem]:
    """Each 三升 measure names a scored instrument, once (its id keys the change)."""
    problems = []
    first_line: dict[str, int] = {}
    for i, rise in enumerate(doc.data.get("rises", [])):
        path = ("rises", i, "instrument")
        instrument_id = rise["instrument"]
        instrument = instruments.get(instrument_id)
        if instrument is None:
            problems.append(doc.problem(path, f"问卷 '{instrument_id}' 不存在"))
        elif not any(item["scored"] for item in iter_items(instrument)):
            problems.append(
                doc.problem(path, f"问卷 '{instrument_id}' 没有计分的题目，无法比较平均分")
            )
        elif instrument_id in first_line:
            problems.append(
                doc.problem(
                    path, f"问卷 '{instrument_id}' 重复（第 {first_line[instrument_id]} 行已列出）"
                )
            )
        first_line.setdefault(instrument_id, doc.line_of(path))
    return problems


def _check_ballot(doc, path, ballot, instruments) -> list[Problem]:
    instrument = instruments.get(ballot["instrument"])
    if instrument is None:
        return [doc.problem((*path, "instrument"), f"问卷 '{ballot['instrument']}' 不存在")]
    items = {i["id"]: i for s in instrument["sections"] for i in s["items"]}
    item = items.get(ballot["item"])
    if item is None or item["type"] != "ballot":
        return [
            doc.problem(
                (*path, "item"), f"问卷 '{instrument['id']}' 没有测评票题目 '{ballot['item']}'"
            )
        ]
    labels = [c["label"] for c in item["choices"]]
    return [
        doc.problem(
            (*path, "flags", i, "grade"), f"测评票 '{item['id']}' 没有等次 '{flag['grade']}'"
        )
        for i, flag in enumerate(ballot.get("flags", []))
        if flag["grade"] not in labels
    ]


def _check_quiz_rule(doc, path, quiz, instruments) -> list[Problem]:
    instrument = instruments.get(quiz["instrument"])
    if instrument is None:
        return [doc.problem((*path, "instrument"), f"问卷 '{quiz['instrument']}' 不存在")]
    members = [
        i for s in instrument["sections"] for i in s["items"] if i["dimension"] == quiz["dimension"]
    ]
    if not members:
        return [
            doc.problem(
                (*path, "dimension"), f"问卷 '{instrument['id']}' 没有维度 '{quiz['dimension']}'"
            )
        ]
    if any(i["type"] != "quiz" for i in members):
        return [doc.problem((*path, "dimension"), f"维度 '{quiz['dimension']}' 中有非测验题")]
    problems = []
    for key, wanted in (("items_per_sitting", "每次抽"), ("bank_min", "题库至少要")):
        count = quiz.get(key)
        if count is not None and count > len(members):
            problems.append(
                doc.problem((*path, key), f"{wanted} {count} 题，但题库只有 {len(members)} 题")
            )
    return problems


def _check_fractions(doc: Document) -> list[Problem]:
    problems = []

    def visit(value, path):
        if isinstance(value, dict):
            for key, child in value.items():
                visit(child, (*path, key))
        elif isinstance(value, list):
            for i, child in enumerate(value):
                visit(child, (*path, i))
        elif isinstance(value, str) and "/" in value and value.replace("/", "").isdigit():
            if Fraction(value) > 1:
                problems.append(doc.problem(path, f"比例 {value} 大于 1"))

    visit(doc.data, ())
    return problems
