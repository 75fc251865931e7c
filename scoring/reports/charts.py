"""Report charts: matplotlib's ``Figure`` API (never pyplot) drawn to SVG text.

Every function takes plain rows (dicts of numbers and strings, as the report data holds them)
and returns an ``<svg>`` element as a string, ready to inline in HTML. Text stays text
(``svg.fonttype = 'none'``) in the font "Noto Sans CJK SC", so Chinese labels render in the
browser and in WeasyPrint, can be searched and copied, and keep the PDF small. Output is
deterministic (fixed hash salt, no date), so the same data gives the same bytes and a chart
cache keyed by the data's hash is sound.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from typing import Any

import matplotlib
from matplotlib.figure import Figure

FONT = "Noto Sans CJK SC"
PUBLISHED = "已发布"
TOO_FEW = "样本不足"
COLOURS = {
    "ink": "#1f2d3d",
    "grey": "#8a949e",
    "up": "#1a7f37",
    "down": "#b42318",
    "band": "#d0d7de",
}
RC = {
    "svg.fonttype": "none",
    "svg.hashsalt": "surveyapp",
    "font.family": "sans-serif",
    "font.sans-serif": [FONT, "DejaVu Sans"],
    "font.size": 9,
    "axes.unicode_minus": False,
    "axes.spines.top": False,
    "axes.spines.right": False,
}


def _finite(x: Any) -> bool:
    return isinstance(x, (int, float)) and math.isfinite(x)


def _has_interval(row: dict) -> bool:
    return all(_finite(row.get(k)) for k in ("estimate", "ci_low", "ci_high"))


def _svg(fig: Figure) -> str:
    out = io.StringIO()
    fig.savefig(out, format="svg", metadata={"Date": None}, bbox_inches="tight")
    text = out.getvalue()
    return text[text.index("<svg") :]


def forest_plot(
    rows: Sequence[dict], *, xlabel: str, thresholds: Sequence[float] = (), width: float = 6.3
) -> str:
    """Estimates with their intervals, one line per unit, sorted from highest to lowest.

    Units whose status is 已发布 come first; every other unit (样本不足, 方差为零 …) is drawn
    apart below a rule, hollow and grey, under the heading of its status, so nobody reads an
    unpublished estimate as a rank. Units without any estimate are listed by name only.

    Parameters
    ----------
    rows : sequence of dict
        ``label``, ``estimate``, ``ci_low``, ``ci_high`` (numbers or None) and ``status``.
    xlabel : str
        The axis title (the index and its scale).
    thresholds : sequence of float
        Grade cut-offs drawn as thin vertical lines.

    Returns
    -------
    str
        An ``<svg>`` element.

    Examples
    --------
    >>> svg = forest_plot([{"label": "甲村", "estimate": 80, "ci_low": 75, "ci_high": 85,
    ...                     "status": "已发布"}], xlabel="认可度")
    >>> svg.startswith("<svg") and "甲村" in svg
    True
    """
    published = sorted(
        (r for r in rows if r.get("status") == PUBLISHED and _has_interval(r)),
        key=lambda r: -r["estimate"],
    )
    apart = sorted(
        (r for r in rows if r not in published),
        key=lambda r: -(r["estimate"] if _finite(r.get("estimate")) else -math.inf),
    )
    lines: list[tuple[str, dict | None, bool]] = [(r["label"], r, True) for r in published]
    if apart:
        statuses = "、".join(dict.fromkeys(str(r.get("status") or TOO_FEW) for r in apart))
        lines.append((f"—— {statuses}（不排名，仅供参考）", None, False))
        lines += [(r["label"], r, False) for r in apart]
    with matplotlib.rc_context(RC):
        fig = Figure(figsize=(width, 0.6 + 0.26 * max(len(lines), 1)))
        ax = fig.add_subplot()
        for t in thresholds:
            ax.axvline(t, color=COLOURS["band"], linewidth=0.8, zorder=0)
        for y, (_, row, is_published) in enumerate(lines):
            if row is None or not _finite(row.get("estimate")):
                continue
            colour = COLOURS["ink"] if is_published else COLOURS["grey"]
            if _has_interval(row):
                ax.hlines(y, row["ci_low"], row["ci_high"], color=colour, linewidth=1.4)
            ax.plot(
                [row["estimate"]],
                [y],
                marker="o" if is_published else "D",
                markersize=4.5,
                color=colour,
                markerfacecolor=colour if is_published else "white",
            )
        ax.set_yticks(range(len(lines)), [label for label, _, _ in lines])
        for tick, (_, row, is_published) in zip(ax.get_yticklabels(), lines, strict=True):
            if not is_published:
                tick.set_color(COLOURS["grey"] if row is not None else COLOURS["ink"])
        ax.set_ylim(len(lines) - 0.5, -0.5)
        ax.set_xlabel(xlabel)
        ax.grid(axis="x", color="#eef1f4", linewidth=0.6)
        return _svg(fig)


def profile_plot(rows: Sequence[dict], *, xlabel: str, width: float = 6.3) -> str:
    """A unit's dimension profile (the 四清, the 三不腐): each dimension's estimate and
    interval on one shared axis, in the order given, so imbalance shows at a glance.

    Examples
    --------
    >>> "政治清明" in profile_plot([{"label": "政治清明", "estimate": 82, "ci_low": 78,
    ...                               "ci_high": 86}], xlabel="得分")
    True
    """
    with matplotlib.rc_context(RC):
        fig = Figure(figsize=(width, 0.6 + 0.3 * max(len(rows), 1)))
        ax = fig.add_subplot()
        for y, row in enumerate(rows):
            if _has_interval(row):
                ax.hlines(y, row["ci_low"], row["ci_high"], color=COLOURS["ink"], linewidth=1.6)
            if _finite(row.get("estimate")):
                ax.plot([row["estimate"]], [y], marker="s", markersize=5, color=COLOURS["ink"])
        ax.set_yticks(range(len(rows)), [r["label"] for r in rows])
        ax.set_ylim(len(rows) - 0.5, -0.5)
        ax.set_xlabel(xlabel)
        ax.grid(axis="x", color="#eef1f4", linewidth=0.6)
        return _svg(fig)


def change_plot(rows: Sequence[dict], *, width: float = 6.3) -> str:
    """Wave-over-wave changes with their intervals around a zero line, coloured by verdict
    (升 green, 降 red, anything else grey): the 三升 part of the 三升两降 panel.

    Examples
    --------
    >>> "认可度" in change_plot([{"label": "认可度", "estimate": 2.0, "ci_low": -1.0,
    ...                           "ci_high": 5.0, "verdict": "持平"}])
    True
    """
    with matplotlib.rc_context(RC):
        fig = Figure(figsize=(width, 0.7 + 0.3 * max(len(rows), 1)))
        ax = fig.add_subplot()
        ax.axvline(0, color=COLOURS["grey"], linewidth=0.8)
        for y, row in enumerate(rows):
            verdict = str(row.get("verdict") or "")
            colour = (
                COLOURS["up"]
                if verdict.startswith("升")
                else COLOURS["down"]
                if verdict.startswith("降")
                else COLOURS["grey"]
            )
            if _has_interval(row):
                ax.hlines(y, row["ci_low"], row["ci_high"], color=colour, linewidth=1.6)
                ax.plot([row["estimate"]], [y], marker="o", markersize=5, color=colour)
            else:
                ax.text(0, y, f" {verdict or '无数据'}", va="center", color=COLOURS["grey"])
        ax.set_yticks(range(len(rows)), [r["label"] for r in rows])
        ax.set_ylim(len(rows) - 0.5, -0.5)
        ax.set_xlabel("本轮 − 上轮（分）")
        return _svg(fig)
