"""The assessors' dashboard: plain data for one wave and one organisation in the assessor's
subtree, built from the same rows as the reports (``services/reports.py``), so a number on
the page and the number in the PDF are one number.

Charts are SVG text from ``scoring.reports.charts``, kept per wave (and per response count
while the wave is open) in a small in-process cache keyed by the chart's input hash.
"""

from __future__ import annotations

import csv
import io
import threading
from typing import Any

from flask_babel import gettext as _
from openpyxl import Workbook

from scoring.reports import charts, input_hash, suppress_small_cells
from surveyapp.models import Org, User, Wave
from surveyapp.services import reports as report_service
from surveyapp.services.scope import OutOfScope, ancestors, require_visible, visible_org_ids

EXPORT_FIELDS = (
    "index",
    "title",
    "level",
    "unit",
    "unit_name",
    "status",
    "estimate",
    "se",
    "ci_low",
    "ci_high",
    "df",
    "n",
    "raters",
    "grades",
    "rank",
    "rank_low",
    "rank_high",
    "notes",
)
CHILD_LEVEL = {"county": "township", "township": "village", "village": "member"}

_charts: dict[str, str] = {}
_charts_lock = threading.Lock()


def open_view(user: User, wave_code: str, org_code: str) -> tuple[Wave, Org, set[int] | None]:
    """The wave and organisation, after the scope check.

    Raises
    ------
    ReportNotFound
        Unknown wave or organisation, or one outside the user's subtree (the same answer,
        so an assessor cannot probe for organisations they may not see).
    """
    wave = report_service.find_wave(wave_code)
    org = report_service.find_org(org_code)
    try:
        require_visible(user, org)
    except OutOfScope:
        raise report_service.ReportNotFound(f"没有编号为 {org_code} 的单位") from None
    return wave, org, visible_org_ids(user)


def chart(kind: str, wave: Wave, rows: list[dict], **options: Any) -> str:
    """An SVG chart, cached by wave and input hash."""
    key = f"{wave.code}:{kind}:{input_hash({'rows': rows, **options})}"
    with _charts_lock:
        if key in _charts:
            return _charts[key]
    draw = {
        "forest": charts.forest_plot,
        "profile": charts.profile_plot,
        "change": charts.change_plot,
    }[kind]
    svg = draw(rows, **options)
    with _charts_lock:
        _charts[key] = svg
    return svg


def dashboard(user: User, wave_code: str, org_code: str) -> dict[str, Any]:
    """Everything the dashboard page shows for ``org`` in ``wave``."""
    wave, org, visible = open_view(user, wave_code, org_code)
    subtree = report_service.subtree_ids(org.id)
    if visible is not None:
        subtree &= visible
    level = org.kind.level
    own_level = "village" if level == "village" else level
    own = [
        r
        for r in report_service.level_rows(wave, own_level, subtree)
        if r["unit"] == report_service.unit_code(org) and r["level"] != "member"
    ]
    child_level = CHILD_LEVEL.get(level)
    children = []
    if child_level:
        source = "village" if child_level == "member" else child_level
        children = [
            r for r in report_service.level_rows(wave, source, subtree) if r["level"] == child_level
        ]
    forests = []
    for index in dict.fromkeys(r["index"] for r in children):
        rows = [r for r in children if r["index"] == index]
        if all(r["estimate"] is None for r in rows):
            continue
        forests.append(
            {
                "title": rows[0]["title"],
                "svg": chart(
                    "forest",
                    wave,
                    [
                        {
                            "label": r["unit_name"],
                            "status": r["status"],
                            **{k: r[k] for k in ("estimate", "ci_low", "ci_high")},
                        }
                        for r in rows
                    ],
                    xlabel=f"{rows[0]['title']}（0–100）",
                ),
            }
        )
    profiles = [
        {"title": p["title"], "svg": chart("profile", wave, p["rows"], xlabel=p["xlabel"])}
        for p in report_service.profiles(own)
    ]
    own, own_notes = footnoted(own)
    children, children_notes = footnoted(children)
    changes = report_service.changes(wave, org) if level in ("county", "township") else []
    rises = [{"label": c["title"], **c} for c in changes if c["target"] == "升"]
    progress = report_service.quality(wave, subtree)
    return {
        "wave": wave,
        "org": org,
        "crumbs": [a for a in ancestors(org) if visible is None or a.id in visible],
        "child_orgs": [o for o in org.children if visible is None or o.id in visible],
        "own": own,
        "own_notes": own_notes,
        "children": children,
        "children_notes": children_notes,
        "child_level": child_level,
        "forests": forests,
        "profiles": profiles,
        "changes": changes,
        "change_svg": chart("change", wave, rises) if rises else None,
        "progress": progress,
        "breakdown": {
            **(b := report_service.age_breakdown(wave, subtree)),
            "rows": suppress_small_cells(b["rows"], report_service.min_cell_size()),
        },
        "report_kinds": [
            k for k, levels in report_service.KIND_ORGS.items() if level in levels and k != "member"
        ],
    }


def unit_notes(row: dict[str, Any]) -> list[str]:
    """What the PDF report and the exports say about one unit's index: the index's own notes
    (design, interval clipped to 0–100, caps, vetoes, 免评 …), why a component could not be
    published (样本不足 …), and the 收缩估计 with what it is."""
    notes = list(row["notes"])
    notes += [
        f"{c['title']}：{c['note']}"
        for c in row["components"]
        if c["note"] and c["status"] != report_service.PUBLISHED
    ]
    shrinkage = row["shrinkage"]
    if shrinkage and None not in (shrinkage["estimate"], shrinkage["ci_low"], shrinkage["ci_high"]):
        notes.append(
            _(
                "收缩估计（模型估计）：%(estimate).1f（%(low).1f–%(high).1f）",
                estimate=shrinkage["estimate"],
                low=shrinkage["ci_low"],
                high=shrinkage["ci_high"],
            )
        )
        notes.append(
            _("收缩估计：借用全县信息的 Fay-Herriot 模型估计，非直接调查结果，不用于评级。")
        )
    return notes


def footnoted(rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[str]]:
    """The rows, each with ``note_numbers`` into the returned list of distinct note texts.

    A note many units share (the design of every village's estimate) is listed once under
    the table, so the table keeps a narrow 说明 column of numbers on a phone. The rows are
    copies: the originals are cached for every reader of the wave.
    """
    texts: dict[str, int] = {}
    numbered = []
    for row in rows:
        numbers = [texts.setdefault(note, len(texts) + 1) for note in unit_notes(row)]
        numbered.append({**row, "note_numbers": list(dict.fromkeys(numbers))})
    return numbered, list(texts)


def export_rows(view: dict[str, Any]) -> list[dict[str, Any]]:
    """The index rows the page shows (own, then children), with the breakdown after them."""
    # The notes as the page shows them (the index's own, components short of sample, the
    # 收缩估计), so the file says what the page says.
    rows = [{**{k: _cell(r.get(k)) for k in EXPORT_FIELDS}, "notes": _cell(unit_notes(r))}
            for r in view["own"] + view["children"]]
    for r in view["breakdown"]["rows"]:
        rows.append(
            {
                **{k: None for k in EXPORT_FIELDS},
                "index": "breakdown",
                "title": view["breakdown"]["title"],
                "unit_name": r["group"],
                "n": r["n"],
                "estimate": r["share"],
                "notes": r["suppressed"],
            }
        )
    return rows


def _cell(value: Any) -> Any:
    if isinstance(value, list):
        return "；".join(str(v) for v in value) or None
    return value


NOTES = (
    "estimate/ci_low/ci_high: 估计值及其 95% 置信区间；df：自由度；n：样本数；raters：评价人数。",
    "等级只在整个置信区间落在同一档内时给出，否则为待定；样本不足的单位不评级、不排名。",
    "index=breakdown 行为样本构成（estimate 为占比），少于最小格数的分组不显示数字；"
    "只有一个这样的分组时，次小的分组也不显示，以免用合计反推。",
)


def export_csv(view: dict[str, Any]) -> str:
    out = io.StringIO()
    out.write("\ufeff")  # Excel opens UTF-8 CSV as Chinese only with the BOM
    writer = csv.DictWriter(out, fieldnames=EXPORT_FIELDS, lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: "" if v is None else v for k, v in r.items()} for r in export_rows(view))
    for note in NOTES:
        out.write(f"# {note}\n")
    return out.getvalue()


def export_xlsx(view: dict[str, Any]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "结果"
    sheet.append(list(EXPORT_FIELDS))
    for r in export_rows(view):
        sheet.append([r[k] for k in EXPORT_FIELDS])
    notes = book.create_sheet("说明")
    notes.append([f"{view['org'].name} · {view['wave'].name}（{view['wave'].code}）"])
    for note in NOTES:
        notes.append([note])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
