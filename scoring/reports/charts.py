"""Report charts: matplotlib's ``Figure`` API (never pyplot) drawn to SVG text.

Every function takes plain rows (dicts of numbers and strings, as the report data holds them)
and returns an ``<svg>`` element as a string, ready to inline in HTML. Text stays text
(``svg.fonttype = 'none'``) in the font "Noto Sans CJK SC", so Chinese labels render in the
browser and in WeasyPrint, can be searched and copied, and keep the PDF small. Output is
deterministic (fixed hash salt, no date), so the same data gives the same bytes and a chart
cache keyed by the data's hash is sound.

Drawing is most of a report's cost beyond WeasyPrint, so each chart is laid out once, with
margins computed from its labels (no ``bbox_inches="tight"``, which lays it out twice), the
row labels are plain texts rather than ticks, and each series of intervals is one collection
and its estimates one line of markers, not an artist per unit.
"""

from __future__ import annotations

import gc
import io
import math
from collections.abc import Callable, Sequence
from functools import cache, lru_cache, wraps
from typing import Any

import matplotlib
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.markers import TICKDOWN
from matplotlib.textpath import text_to_path
from matplotlib.transforms import ScaledTranslation

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
GRID = "#eef1f4"
# Margins in points. BOTTOM holds the x tick marks, their labels and the axis title (9 pt
# text); RIGHT half of a tick label that may sit at the right end of the axis.
LABEL_PAD = 4.0
EDGE = 3.0
TOP = 4.0
RIGHT = 12.0
BOTTOM = 36.0
BOTTOM_NO_LABEL = 22.0
MIN_PLOT_WIDTH = 180.0


def _drawn(draw: Callable[..., str]) -> Callable[..., str]:
    """A chart function run in the charts' style, with no garbage collection until it has
    returned.

    A figure is thousands of objects in reference cycles. Young collections while it was
    drawn moved the live ones to the oldest generation, where, once garbage, they counted
    towards a full collection: in a process holding the app and a wave's data (the
    dashboard, the township ZIP job, the bench) that scanned half a million objects for
    0.2-0.35 s, about once per report drawn. Collected only after the function has returned,
    its figure is unreachable and still young, and goes in the next cheap young collection.
    """

    @wraps(draw)
    def drawn(*args: Any, **kwargs: Any) -> str:
        enabled = gc.isenabled()
        gc.disable()
        try:
            with matplotlib.rc_context(RC):
                return draw(*args, **kwargs)
        finally:
            if enabled:
                gc.enable()

    return drawn


def _finite(x: Any) -> bool:
    return isinstance(x, (int, float)) and math.isfinite(x)


def _has_interval(row: dict) -> bool:
    return all(_finite(row.get(k)) for k in ("estimate", "ci_low", "ci_high"))


@cache
def _label_font() -> FontProperties:
    return FontProperties(family=[FONT, "DejaVu Sans"], size=RC["font.size"])


@cache
def _digits_height() -> float:
    """Height in points of a tick label (digits) as the SVG backend lays it out."""
    _, height, _ = text_to_path.get_text_width_height_descent("0123456789.−", _label_font(),
                                                              ismath=False)
    return height


@lru_cache(maxsize=4096)
def _text_width(text: str) -> float:
    """Width in points of ``text`` as the SVG backend lays it out (its own font metrics;
    kept, as the same names label the charts of every report of a township)."""
    width, _, _ = text_to_path.get_text_width_height_descent(text, _label_font(), ismath=False)
    return width


def clear_caches() -> None:
    """Forget the label widths measured so far."""
    _text_width.cache_clear()


def _frame(labels: Sequence[str], *, width: float, row: float, xlabel: str) -> tuple[Figure, Any]:
    """A figure with one row per label and margins worked out from the labels: the left one
    from the longest label's measured width, the others fixed. The figure is ``width``
    inches wide unless the labels need more, as the tight bounding box used to allow."""
    left = max((_text_width(s) for s in labels), default=0.0) + LABEL_PAD + EDGE
    plot_height = max(len(labels), 1) * row * 72
    fig_width = max(width * 72, left + MIN_PLOT_WIDTH + RIGHT)
    fig_height = TOP + plot_height + (BOTTOM if xlabel else BOTTOM_NO_LABEL)
    fig = Figure(figsize=(fig_width / 72, fig_height / 72))
    ax = fig.add_axes(
        (
            left / fig_width,
            1 - (TOP + plot_height) / fig_height,
            (fig_width - left - RIGHT) / fig_width,
            plot_height / fig_height,
        )
    )
    ax.set_yticks([])
    ax.set_ylim(max(len(labels), 1) - 0.5, -0.5)
    if xlabel:
        ax.set_xlabel(xlabel)
    return fig, ax


def _labels(ax: Any, labels: Sequence[str], colours: Sequence[str]) -> None:
    """Row labels as texts beside the axis, where tick labels would be (a tick is five
    artists, each laid out; a text is one)."""
    transform, va, ha = ax.get_yaxis_text1_transform(LABEL_PAD)
    for y, (label, colour) in enumerate(zip(labels, colours, strict=True)):
        ax.text(0, y, label, transform=transform, va=va, ha=ha, color=colour)


def _series(
    ax: Any, rows: Sequence[tuple[int, dict]], *, colour: str, linewidth: float, **marker: Any
) -> None:
    """``(y, row)`` pairs: every interval as one line collection, every estimate as one line
    of markers."""
    bars = [(y, r) for y, r in rows if _has_interval(r)]
    if bars:
        ax.hlines(
            [y for y, _ in bars],
            [r["ci_low"] for _, r in bars],
            [r["ci_high"] for _, r in bars],
            color=colour,
            linewidth=linewidth,
        )
    points = [(y, r["estimate"]) for y, r in rows if _finite(r.get("estimate"))]
    if points:
        ax.plot(
            [x for _, x in points],
            [y for y, _ in points],
            linestyle="none",
            color=colour,
            **marker,
        )


def _svg(fig: Figure, *, grid: bool = False) -> str:
    """The figure as an ``<svg>`` element, its x axis marked at the locator's ticks inside the
    view, with vertical grid lines at them when ``grid``.

    The marks are drawn as one line of tick-shaped markers, one line collection for the grid
    and a text per label, not as matplotlib ticks: a tick is five artists, each made and laid
    out (and the locator proposes ticks beyond the view too), which was the largest part of
    drawing a chart. They look the same: the same positions, labels, sizes and colours.
    """
    for ax in fig.axes:
        lo, hi = sorted(ax.get_xlim())
        ticks = [t for t in ax.xaxis.get_major_locator()() if lo <= t <= hi]
        labels = ax.xaxis.get_major_formatter().format_ticks(ticks)
        ax.set_xticks([])
        ax.set_xlim(lo, hi)
        along = ax.get_xaxis_transform()  # x in data, y in axes coordinates
        if grid:
            ax.vlines(ticks, 0, 1, transform=along, colors=GRID, linewidth=0.6, zorder=0.5)
        size, pad = matplotlib.rcParams["xtick.major.size"], matplotlib.rcParams["xtick.major.pad"]
        ax.plot(ticks, [0] * len(ticks), transform=along, linestyle="none", clip_on=False,
                marker=TICKDOWN, markersize=size, color="black",
                markeredgewidth=matplotlib.rcParams["xtick.major.width"])
        text_transform, va, ha = ax.get_xaxis_text1_transform(size + pad)
        for tick, label in zip(ticks, labels, strict=True):
            ax.text(tick, 0, label, transform=text_transform, va=va, ha=ha)
        if title := ax.get_xlabel():
            # Where matplotlib puts the axis title: below the tick labels, labelpad apart.
            below = size + pad + _digits_height() + matplotlib.rcParams["axes.labelpad"]
            ax.set_xlabel("")
            ax.text(0.5, 0, title, ha="center", va="top",
                    transform=ax.transAxes + ScaledTranslation(0, -below / 72,
                                                               fig.dpi_scale_trans))
    out = io.StringIO()
    fig.savefig(out, format="svg", metadata={"Date": None})
    text = out.getvalue()
    return text[text.index("<svg") :]


@_drawn
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
    fig, ax = _frame([s for s, _, _ in lines], width=width, row=0.22, xlabel=xlabel)
    if thresholds:
        ax.vlines(
            list(thresholds),
            0,
            1,
            transform=ax.get_xaxis_transform(),
            color=COLOURS["band"],
            linewidth=0.8,
            zorder=0,
        )
    rows_of = {
        flag: [(y, row) for y, (_, row, p) in enumerate(lines) if row is not None and p == flag]
        for flag in (True, False)
    }
    _series(ax, rows_of[True], colour=COLOURS["ink"], linewidth=1.4, marker="o", markersize=4.5)
    _series(
        ax,
        rows_of[False],
        colour=COLOURS["grey"],
        linewidth=1.4,
        marker="D",
        markersize=4.5,
        markerfacecolor="white",
    )
    _labels(
        ax,
        [label for label, _, _ in lines],
        [
            "black" if p else COLOURS["grey"] if row is not None else COLOURS["ink"]
            for _, row, p in lines
        ],
    )
    return _svg(fig, grid=True)


@_drawn
def profile_plot(rows: Sequence[dict], *, xlabel: str, width: float = 6.3) -> str:
    """A unit's dimension profile (the 四清, the 三不腐): each dimension's estimate and
    interval on one shared axis, in the order given, so imbalance shows at a glance.

    Examples
    --------
    >>> "政治清明" in profile_plot([{"label": "政治清明", "estimate": 82, "ci_low": 78,
    ...                               "ci_high": 86}], xlabel="得分")
    True
    """
    labels = [r["label"] for r in rows]
    fig, ax = _frame(labels, width=width, row=0.3, xlabel=xlabel)
    _series(
        ax,
        list(enumerate(rows)),
        colour=COLOURS["ink"],
        linewidth=1.6,
        marker="s",
        markersize=5,
    )
    _labels(ax, labels, ["black"] * len(labels))
    return _svg(fig, grid=True)


@_drawn
def change_plot(rows: Sequence[dict], *, width: float = 6.3) -> str:
    """Wave-over-wave changes with their intervals around a zero line, coloured by verdict
    (升 green, 降 red, anything else grey): the 三升 part of the 三升两降 panel.

    Examples
    --------
    >>> "认可度" in change_plot([{"label": "认可度", "estimate": 2.0, "ci_low": -1.0,
    ...                           "ci_high": 5.0, "verdict": "持平"}])
    True
    """
    labels = [r["label"] for r in rows]
    fig, ax = _frame(labels, width=width, row=0.4, xlabel="本轮 − 上轮（分）")
    ax.axvline(0, color=COLOURS["grey"], linewidth=0.8)
    by_colour: dict[str, list[tuple[int, dict]]] = {}
    for y, row in enumerate(rows):
        verdict = str(row.get("verdict") or "")
        if _has_interval(row):
            colour = (
                COLOURS["up"]
                if verdict.startswith("升")
                else COLOURS["down"]
                if verdict.startswith("降")
                else COLOURS["grey"]
            )
            by_colour.setdefault(colour, []).append((y, row))
        else:
            ax.text(0, y, f" {verdict or '无数据'}", va="center", color=COLOURS["grey"])
    for colour, series in by_colour.items():
        _series(ax, series, colour=colour, linewidth=1.6, marker="o", markersize=5)
    _labels(ax, labels, ["black"] * len(labels))
    return _svg(fig)
