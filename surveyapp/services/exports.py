"""Taking data out: rosters in the import templates' layout, and anonymised responses.

Rosters carry personal data (names, phone numbers) and are for admins only; they use the same
columns as the import templates, so an exported roster imports unchanged into another database.
The accounts roster is the one exception by design: it carries no passwords (its 初始密码 column
is empty), so importing it where an account does not exist yet is a row error, "新账号必须填写
初始密码", until the admin fills that column in. Generating passwords instead would mean printing
them once to whoever ran the import; leaving the choice to the admin is safer and simpler.

A wave's responses leave as one row per response, with the design columns an analyst needs:

- ``strata``: the township (or street) code of the sampled organisation;
- ``cluster``: the village (or community) code, the primary sampling unit;
- ``weight``: the stored inverse inclusion probability for drawn households; otherwise the
  village's adults divided by the wave's respondents in that village (blank when the village
  has no adult count).

Answers are coded 1..k in the order of the questionnaire's choices; "don't know" style
answers (the item's ``missing`` labels) are 97, 98, …; an item not answered is blank. A
multiple-choice item becomes one 0/1 column per choice, a ballot with aspects one column per
aspect. Free text is left out unless asked for.

Small cells: in a cluster with fewer than ``MIN_CELL_SIZE`` responses in the export (default
5, the reports' rule), the demographic columns (items the questionnaire marks ``raking``:
age group, sex, residence) are blanked and ``small_cell`` is 1, so a person cannot be picked
out by the combination of a tiny village and their age and sex. Their other answers, the
cluster and the weight stay, so estimates and their variances are unchanged.
"""

from __future__ import annotations

import hashlib
import math
import os
import tempfile
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask import current_app

from surveyapp.extensions import db
from surveyapp.models import Org, Person, Response, User, Wave
from surveyapp.questionnaire.definition import iter_items
from surveyapp.services import audit
from surveyapp.services.imports import get_kind
from surveyapp.services.imports.common import write_table

FORMATS = ("csv", "xlsx", "sav")
FIRST_MISSING_CODE = 97
TEXT_TYPES = ("short_text", "long_text")
CHOICE_TYPES = ("likert", "single", "quiz", "ballot")
DESIGN_LABELS = {
    "resp_id": "答卷序号（随机顺序，不对应提交先后）",
    "strata": "分层：乡镇（街道）编码",
    "cluster": "整群：村（社区）编码",
    "weight": "权数：抽中农户为入样概率倒数，其余为村成年人数/本村答卷数",
    "recruitment": "来源",
    "mode": "作答方式",
    "duration": "用时",
    "flag_too_fast": "用时过短标记",
    "flag_straightline": "同一答案连选标记",
    "flag_burst": "短时集中提交标记",
    "small_cell": "本村答卷少于最小单元数，人口学变量已隐去",
    "subject": "被评价对象编码",
}
CODED_DESIGN = {
    "recruitment": {"poster": "二维码海报", "drawn_household": "抽中农户",
                    "household_slip": "联户邀请条", "account": "账号登录"},
    "mode": {"self": "自填", "face_to_face": "面访", "phone": "电话"},
    "duration": {"lt1m": "不到1分钟", "1-3m": "1—3分钟", "3-5m": "3—5分钟", "5-10m": "5—10分钟",
                 "gt10m": "10分钟以上"},
}
YES_NO = {0: "否", 1: "是"}


class ExportError(ValueError):
    """An export that cannot be made as asked (unknown format, unknown kind)."""


# Rosters ------------------------------------------------------------------------------------


def export_roster(kind_name: str, fmt: str, *, by: User | None) -> bytes:
    """A kind's stored rows in its import template's layout; audit-logged."""
    if fmt not in ("csv", "xlsx"):
        raise ExportError(f"format {fmt!r}: rosters export as csv or xlsx")
    kind = get_kind(kind_name)
    rows = kind.export_rows()
    data = write_table([c.header for c in kind.columns],
                       ([row.get(c.key, "") for c in kind.columns] for row in rows), fmt,
                       sheet=str(kind.title))
    audit.record("export.roster", user=by, target_type="roster", target=kind.name,
                 detail={"format": fmt, "rows": len(rows)})
    db.session.commit()
    return data


# Responses ----------------------------------------------------------------------------------


@dataclass(slots=True)
class Variable:
    name: str
    label: str
    kind: str  # "numeric" or "string"
    values: dict[int, str] = field(default_factory=dict)
    missing: list[int] = field(default_factory=list)
    note: str = ""


@dataclass(slots=True)
class ResponseTable:
    wave: Wave
    variables: list[Variable]
    rows: list[dict[str, Any]]
    min_cell_size: int
    small_clusters: list[str]
    include_text: bool

    def column(self, name: str) -> list[Any]:
        return [row.get(name) for row in self.rows]


def response_table(wave: Wave, *, include_text: bool = False,
                   min_cell_size: int | None = None) -> ResponseTable:
    """A wave's responses, anonymised and coded, with design columns (see module docstring)."""
    k = current_app.config["MIN_CELL_SIZE"] if min_cell_size is None else min_cell_size
    definition = wave.questionnaire_version.definition
    items = [i for i in iter_items(definition) if include_text or i["type"] not in TEXT_TYPES]
    responses = db.session.scalars(sa.select(Response).where(Response.wave_id == wave.id)).all()
    orgs = {o.id: o for o in db.session.scalars(sa.select(Org))}
    n_in = _counts([r.org_id for r in responses])
    small = {org_id for org_id, n in n_in.items() if n < k}
    subjects = _subject_codes(responses, orgs) if definition.get("subject") else None
    variables = _design_variables(subjects is not None) + [
        v for item in items for v in _item_variables(item)]
    demographic = {v.name for item in items if item.get("raking")
                   for v in _item_variables(item)}
    rows = []
    for response in sorted(responses, key=lambda r: _shuffle_key(wave.code, r.id)):
        org = orgs[response.org_id]
        row = {
            "strata": _township_code(org, orgs),
            "cluster": org.code,
            "weight": _weight(response, org, n_in[response.org_id]),
            "recruitment": _code_of(CODED_DESIGN["recruitment"], response.recruitment),
            "mode": _code_of(CODED_DESIGN["mode"], response.mode),
            "duration": _code_of(CODED_DESIGN["duration"], response.duration_bucket),
            "flag_too_fast": int(response.flag_too_fast),
            "flag_straightline": int(response.flag_straightline),
            "flag_burst": int(response.flag_burst),
            "small_cell": int(response.org_id in small),
        }
        if subjects is not None:
            row["subject"] = subjects.get(response.id, "")
        for item in items:
            row.update(_item_values(item, (response.answers or {}).get(item["id"])))
        if response.org_id in small:
            row.update(dict.fromkeys(demographic))
        rows.append(row)
    rows.sort(key=lambda r: (r["strata"], r["cluster"]))
    for number, row in enumerate(rows, start=1):
        row["resp_id"] = number
    return ResponseTable(wave, variables, rows, k,
                         sorted(orgs[i].code for i in small), include_text)


def _counts(values: list[int]) -> dict[int, int]:
    counts: dict[int, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return counts


def _shuffle_key(wave_code: str, response_id: int) -> str:
    # Row order must not reveal the order of submission, which a village could match to who
    # was seen answering when.
    return hashlib.sha256(f"{wave_code}:{response_id}".encode()).hexdigest()


def _township_code(org: Org, orgs: dict[int, Org]) -> str:
    node: Org | None = org
    while node is not None:
        if node.kind.level in ("township", "county"):
            return node.code
        node = orgs.get(node.parent_id) if node.parent_id else None
    return org.code


def _weight(response: Response, org: Org, respondents: int) -> float | None:
    if response.weight is not None:
        return float(response.weight)
    if org.adults:
        return org.adults / respondents
    return None


def _code_of(labels: dict[str, str], value: Any) -> int | None:
    if value is None:
        return None
    return list(labels).index(getattr(value, "value", value)) + 1


def _subject_codes(responses: list[Response], orgs: dict[int, Org]) -> dict[int, str]:
    person_ids = {r.subject_person_id for r in responses if r.subject_person_id}
    people = dict(db.session.execute(
        sa.select(Person.id, Person.code).where(Person.id.in_(person_ids))).all()
    ) if person_ids else {}
    codes = {}
    for r in responses:
        if r.subject_person_id:
            codes[r.id] = people[r.subject_person_id]
        elif r.subject_org_id:
            codes[r.id] = orgs[r.subject_org_id].code
    return codes


def _design_variables(with_subject: bool) -> list[Variable]:
    names = ["resp_id", "strata", "cluster", "weight", "recruitment", "mode", "duration",
             "flag_too_fast", "flag_straightline", "flag_burst", "small_cell"]
    if with_subject:
        names.append("subject")
    variables = []
    for name in names:
        kind = "string" if name in ("strata", "cluster", "subject") else "numeric"
        values = ({i + 1: label for i, label in enumerate(CODED_DESIGN[name].values())}
                  if name in CODED_DESIGN else YES_NO if name.startswith(("flag", "small"))
                  else {})
        variables.append(Variable(name, DESIGN_LABELS[name], kind, values))
    return variables


def _choice_codes(item: dict) -> tuple[dict[int, str], list[int]]:
    values = {i + 1: c["label"] for i, c in enumerate(item["choices"])}
    missing = list(range(FIRST_MISSING_CODE, FIRST_MISSING_CODE + len(item.get("missing", []))))
    values.update(zip(missing, item.get("missing", []), strict=True))
    return values, missing


def _item_variables(item: dict) -> list[Variable]:
    kind, text = item["type"], item["text"]
    if kind == "multiple":
        return [Variable(f"{item['id']}_{i + 1}", f"{text}：{c['label']}", "numeric", YES_NO)
                for i, c in enumerate(item["choices"])]
    if kind in CHOICE_TYPES:
        values, missing = _choice_codes(item)
        if item.get("aspects"):
            return [Variable(f"{item['id']}_{i + 1}", f"{text}：{aspect}", "numeric", values,
                             missing) for i, aspect in enumerate(item["aspects"])]
        note = "人口学变量，小单元隐去" if item.get("raking") else ""
        return [Variable(item["id"], text, "numeric", values, missing, note)]
    if kind == "number":
        return [Variable(item["id"], text, "numeric", note=item.get("unit") or "")]
    return [Variable(item["id"], text, "string", note="自由文本，可能含个人信息")]


def _item_values(item: dict, answer: Any) -> dict[str, Any]:
    kind, name = item["type"], item["id"]
    if kind == "multiple":
        labels = [c["label"] for c in item["choices"]]
        chosen = set(answer) if isinstance(answer, list) else None
        return {f"{name}_{i + 1}": (None if chosen is None else int(label in chosen))
                for i, label in enumerate(labels)}
    if kind in CHOICE_TYPES:
        values, _missing = _choice_codes(item)
        code_of = {label: code for code, label in values.items()}
        if item.get("aspects"):
            given = answer if isinstance(answer, dict) else {}
            return {f"{name}_{i + 1}": code_of.get(given.get(aspect))
                    for i, aspect in enumerate(item["aspects"])}
        return {name: code_of.get(answer) if isinstance(answer, str) else None}
    if kind == "number":
        return {name: float(answer) if isinstance(answer, int | float) else None}
    return {name: answer if isinstance(answer, str) and answer else None}


def export_responses(wave: Wave, fmt: str, *, include_text: bool = False,
                     by: User | None) -> bytes:
    """The response file in `fmt` (csv, xlsx or sav); audit-logged."""
    if fmt not in FORMATS:
        raise ExportError(f"format {fmt!r}: use one of {', '.join(FORMATS)}")
    table = response_table(wave, include_text=include_text)
    names = [v.name for v in table.variables]
    if fmt == "sav":
        data = _sav(table)
    else:
        notes = [["变量", "标签", "取值"]] + [
            [v.name, v.label, "；".join(f"{k}={label}" for k, label in v.values.items())]
            for v in table.variables]
        data = write_table(names, ([_blank(row.get(n)) for n in names] for row in table.rows),
                           fmt, notes=notes)
    audit.record("export.responses", user=by, target_type="wave", target=wave.code,
                 detail={"format": fmt, "include_text": include_text, "rows": len(table.rows),
                         "small_clusters": len(table.small_clusters)})
    db.session.commit()
    return data


def _blank(value: Any) -> Any:
    return "" if value is None else value


def _sav(table: ResponseTable) -> bytes:
    import pandas as pd
    import pyreadstat

    columns = {}
    for v in table.variables:
        values = table.column(v.name)
        if v.kind == "numeric":
            columns[v.name] = pd.Series([math.nan if x is None else x for x in values],
                                        dtype="float64")
        else:
            columns[v.name] = pd.Series(["" if x is None else str(x) for x in values],
                                        dtype="object")
    frame = pd.DataFrame(columns)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "responses.sav")
        pyreadstat.write_sav(
            frame, path,
            column_labels={v.name: v.label for v in table.variables},
            variable_value_labels={v.name: v.values for v in table.variables if v.values},
            missing_ranges={v.name: v.missing for v in table.variables if v.missing},
        )
        with open(path, "rb") as f:
            return f.read()


def codebook(wave: Wave, *, include_text: bool = False) -> str:
    """A Markdown codebook: the design, the small-cell rule and every variable's codes."""
    table = response_table(wave, include_text=include_text)
    version = wave.questionnaire_version
    lines = [
        f"# 变量说明：{wave.name}（{wave.code}）",
        "",
        f"- 问卷：{version.title}，版本 {version.version}（{version.questionnaire_id}）",
        f"- 答卷数：{len(table.rows)}；导出日期：{date.today().isoformat()}",
        "",
        "## 抽样设计",
        "",
        "- `strata`：分层，乡镇（街道）编码。",
        "- `cluster`：整群（初级抽样单元），村（社区）编码。",
        "- `weight`：抽中农户的答卷为入样概率的倒数（系统保存的值）；其余答卷为该村成年人数"
        "除以本轮该村答卷数；村无成年人数时为空。",
        "",
        "R：`svydesign(ids = ~cluster, strata = ~strata, weights = ~weight, data = d, "
        "nest = TRUE)`；Stata：`svyset cluster [pweight = weight], strata(strata)`。",
        "",
        "## 编码",
        "",
        "- 单选、量表、测验、投票题按问卷选项顺序编码为 1, 2, …；“不了解”等选项编码为 97, 98, …"
        "（SPSS 文件中设为用户缺失值）；未作答为空。",
        "- 多选题每个选项一列（1=选，0=未选；未作答为空）；分项投票题每项一列。",
        "- 自由文本默认不导出" + ("；本文件按要求包含自由文本，可能含个人信息，请妥善保管。"
                                  if include_text else "。"),
        "",
        "## 小单元隐去规则",
        "",
        f"某村（社区）本轮答卷少于 {table.min_cell_size} 份时，该村所有答卷的人口学变量（问卷中标为"
        "raking 的题目，如年龄段、性别、居住情况）置空，`small_cell` 为 1；其余答案、分层、整群和"
        "权数不变，因此总体估计及其方差不受影响。"
        f"本文件中这样的村（社区）有 {len(table.small_clusters)} 个。",
        "",
        "## 变量",
        "",
        "| 变量 | 标签 | 类型 | 取值 | 说明 |",
        "|---|---|---|---|---|",
    ]
    for v in table.variables:
        codes = "；".join(f"{k}={label}" for k, label in v.values.items())
        lines.append(f"| `{v.name}` | {_cell(v.label)} | {v.kind} | {_cell(codes)} | "
                     f"{_cell(v.note)} |")
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
