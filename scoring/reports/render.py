"""Plain report data → Jinja2 (sandboxed, autoescaped, ``StrictUndefined``) → HTML → PDF.

A report is one dict of numbers and strings (never ORM objects), so the app, the command line
(``python -m scoring report DATA.json``) and a statistician holding an export all build the
same PDF. The keys:

``kind``
    one of :data:`KINDS`.
``title``, ``date``, ``confidence_level``
    the report's title, the date it states, and the level of every interval in it.
``org``, ``wave``
    ``{"code", "name", "kind", "path"}`` and ``{"code", "name", "starts_on", "ends_on",
    "status"}``; ``previous_wave`` the same as ``wave`` or None.
``indices``
    rows with ``title``, ``unit_name``, ``status``, ``estimate``, ``se``, ``ci_low``,
    ``ci_high``, ``df``, ``n``, ``raters``, ``grades``, ``rank`` (text or None),
    ``shrinkage`` (``{"label", "estimate", "ci_low", "ci_high"}`` or None), ``notes`` (list)
    and ``components`` (rows with ``title``, ``status``, ``weight``, ``estimate``,
    ``ci_low``, ``ci_high``, ``n``, ``raters``, ``note``).
``forests``, ``profiles``
    charts: ``{"title", "xlabel", "rows": [...]}`` (forests also ``thresholds``), rows as
    :func:`scoring.reports.charts.forest_plot` and ``profile_plot`` take them.
``comparison``
    the previous wave beside this one: ``title``, ``previous``, ``current`` (estimate rows or
    None), ``change`` (estimate row or None), ``verdict``.
``changes``
    the 三升两降 table: ``title``, ``target`` (升 or 降), ``previous``, ``current``,
    ``estimate``, ``ci_low``, ``ci_high`` (of the change, or of the rate ratio), ``measure``
    (what the change is), ``verdict``.
``breakdowns``
    ``{"title", "rows": [{"group", "n", ...}]}``; rows under ``min_cell`` respondents (and,
    when that is a single row, the next smallest) are suppressed here, whatever the caller
    sent; see :func:`suppress_small_cells`.
``quality``
    ``{"rows": [{"name", "responses", "target", "flagged"}], "notes": [...]}``.
``ballots``, ``reliability``, ``method``
    tallies, α per dimension, and the method appendix's paragraphs and index compositions.

Every optional list may be left out. The footer of every page carries :func:`input_hash` of
the data, so a printed number can be traced to the exact inputs and reproduced.
"""

from __future__ import annotations

import base64
import hashlib
import json
import mimetypes
from collections import OrderedDict
from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from jinja2 import FileSystemLoader, StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

from scoring.reports import charts

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
KINDS = {
    "county": "县级清廉建设测评报告",
    "township": "乡镇（街道）清廉建设测评报告",
    "village": "村（社区）清廉建设测评报告",
    "member": "党员先锋指数反馈单",
    "integrity": "干部廉洁用权意识汇总",
    "ballot": "民主测评结果表",
}
OPTIONAL_LISTS = (
    "indices",
    "forests",
    "profiles",
    "comparison",
    "changes",
    "breakdowns",
    "ballots",
    "reliability",
)
REQUIRED = ("kind", "title", "org", "wave", "date", "confidence_level")
DEFAULT_MIN_CELL = 5
SVG_DATA = "data:image/svg+xml;base64,"
# Charts drawn lately, by their input: a township's forests recur in each of its villages'
# reports. Bounded, as a build renders hundreds of reports in one process.
CHART_CACHE_SIZE = 64
_charts: OrderedDict[str, str] = OrderedDict()


class AssetFetcher:
    """WeasyPrint's URL fetcher for reports: serves files from the reports' ``static`` folder
    and the charts inlined as SVG ``data:`` URLs, and refuses everything else (network, other
    files, ``..`` tricks, other data), so a report can never reach out of its own assets
    whatever its data contains.

    Examples
    --------
    >>> AssetFetcher()("https://example.org/x.png")
    Traceback (most recent call last):
    ValueError: report assets only: refused 'https://example.org/x.png'
    """

    def __init__(self, root: Path = STATIC) -> None:
        self.root = root.resolve()
        self.fetched: list[str] = []

    def __call__(self, url: str) -> Any:
        from weasyprint.urls import URLFetcherResponse

        if url.startswith(SVG_DATA):
            body = base64.b64decode(url[len(SVG_DATA) :], validate=True)
            return URLFetcherResponse(url, body=body, headers={"Content-Type": "image/svg+xml"})
        path = self._local_path(url)
        self.fetched.append(url)
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, body=path.read_bytes(), headers={"Content-Type": mime})

    def _local_path(self, url: str) -> Path:
        parts = urlsplit(url)
        if parts.scheme == "file":
            path = Path(unquote(parts.path)).resolve()
            if path.is_relative_to(self.root) and path.is_file():
                return path
        raise ValueError(f"report assets only: refused {url!r}")


def input_hash(data: dict[str, Any]) -> str:
    """SHA-256 of the report's data in canonical JSON (sorted keys, no spaces, UTF-8).

    Examples
    --------
    >>> input_hash({"b": 1, "a": 2}) == input_hash({"a": 2, "b": 1})
    True
    """
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def suppress_small_cells(rows: Sequence[dict], min_cell: int = DEFAULT_MIN_CELL) -> list[dict]:
    """Rows of a breakdown with fewer than ``min_cell`` respondents lose every number but the
    note; the group's name stays so readers know it exists.

    The report also prints the total, so a single hidden row could be worked out as the total
    minus the rest. When exactly one row is hidden for being small, the next smallest row is
    hidden too (complementary suppression), so neither can be derived.

    Examples
    --------
    >>> rows = [{"group": "18-39", "n": 12}, {"group": "40-59", "n": 9}, {"group": "60+", "n": 3}]
    >>> [r["suppressed"] for r in suppress_small_cells(rows, 5)]
    [None, '为防推算，一并不予显示', '少于 5 人，不予显示']
    """
    if min_cell < 1:
        raise ValueError(f"min_cell ({min_cell}) must be at least 1")
    small = {i for i, r in enumerate(rows) if r.get("n") is not None and r["n"] < min_cell}
    shown = [i for i, r in enumerate(rows) if r.get("n") is not None and i not in small]
    complementary = (
        {min(shown, key=lambda i: (rows[i]["n"], i))} if len(small) == 1 and shown else set()
    )
    out = []
    for i, row in enumerate(rows):
        if i in small or i in complementary:
            hidden = {k: (v if k == "group" else None) for k, v in row.items()}
            note = f"少于 {min_cell} 人，不予显示" if i in small else "为防推算，一并不予显示"
            out.append({**hidden, "suppressed": note})
        else:
            out.append({**row, "suppressed": None})
    return out


@cache
def environment() -> SandboxedEnvironment:
    env = SandboxedEnvironment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = format_number
    env.filters["pct"] = _percent
    return env


def format_number(x: Any, digits: int = 1) -> str:
    if x is None or (isinstance(x, float) and x != x):
        return "—"
    if isinstance(x, int):
        return str(x)
    return f"{x:.{digits}f}"


def _percent(x: Any, digits: int = 0) -> str:
    return "—" if x is None else f"{100 * x:.{digits}f}%"


def _check(data: dict[str, Any]) -> None:
    if not isinstance(data, dict):
        raise TypeError(f"report data must be a dict, not {type(data).__name__}")
    missing = [k for k in REQUIRED if k not in data]
    if missing:
        raise ValueError(f"report data: missing key {missing[0]!r} (needs {', '.join(REQUIRED)})")
    if data["kind"] not in KINDS:
        raise ValueError(f"report kind {data['kind']!r} is unknown; allowed: {', '.join(KINDS)}")


def context(data: dict[str, Any], *, min_cell: int = DEFAULT_MIN_CELL) -> dict[str, Any]:
    """What the templates see: the data with defaults, suppressed breakdowns, charts as SVG,
    the kind's label and the input hash."""
    _check(data)
    full = (
        {k: [] for k in OPTIONAL_LISTS}
        | {
            "previous_wave": None,
            "quality": None,
            "method": None,
        }
        | data
    )
    full["breakdowns"] = [
        {**b, "rows": suppress_small_cells(b["rows"], min_cell)} for b in full["breakdowns"]
    ]
    return {
        **full,
        "kind_label": KINDS[data["kind"]],
        "min_cell": min_cell,
        "hash": input_hash(data),
        "forest_svgs": [
            {
                "title": f["title"],
                "svg": chart_image(
                    charts.forest_plot,
                    f["rows"],
                    xlabel=f["xlabel"],
                    thresholds=list(f.get("thresholds", ())),
                ),
            }
            for f in full["forests"]
            if f["rows"]
        ],
        "profile_svgs": [
            {
                "title": p["title"],
                "svg": chart_image(charts.profile_plot, p["rows"], xlabel=p["xlabel"]),
            }
            for p in full["profiles"]
            if p["rows"]
        ],
        "change_svg": chart_image(
            charts.change_plot,
            [{"label": c["title"], **c} for c in full["changes"] if c.get("target") == "升"],
        )
        if any(c.get("target") == "升" for c in full["changes"])
        else None,
    }


def chart_image(draw: Callable[..., str], rows: Sequence[dict], **options: Any) -> str:
    """The chart ``draw(rows, **options)`` as an ``<img>`` of its SVG (a ``data:`` URL).

    Inline, each of a chart's few hundred SVG elements went through WeasyPrint's CSS cascade
    with the page's own; as an image the same SVG is drawn with the same text and pixels at a
    third less time per report. A chart drawn lately for the same input is reused.

    Examples
    --------
    >>> chart_image(charts.profile_plot, [{"label": "政治清明", "estimate": 82,
    ...     "ci_low": 78, "ci_high": 86}], xlabel="得分").startswith('<img')
    True
    """
    key = json.dumps([draw.__name__, rows, options], sort_keys=True, default=repr)
    if key in _charts:
        _charts.move_to_end(key)
        return _charts[key]
    svg = draw(rows, **options)
    image = (
        '<img alt="" style="width: 100%; height: auto" src="'
        + SVG_DATA
        + base64.b64encode(svg.encode("utf-8")).decode("ascii")
        + '">'
    )
    _charts[key] = image
    if len(_charts) > CHART_CACHE_SIZE:
        _charts.popitem(last=False)
    return image


def render_html(data: dict[str, Any], *, min_cell: int = DEFAULT_MIN_CELL) -> str:
    """The report as one HTML document (charts inline as SVG).

    Raises
    ------
    ValueError
        A required key is missing or the kind is unknown.
    jinja2.UndefinedError
        The data lacks a field the template uses (names it).
    """
    values = context(data, min_cell=min_cell)
    name = "member.html" if data["kind"] == "member" else "report.html"
    return environment().get_template(name).render(**values)


def html_to_pdf(html: str) -> bytes:
    """WeasyPrint on report HTML, fetching only the reports' own assets."""
    from weasyprint import HTML

    return HTML(string=html, base_url=STATIC.as_uri() + "/", url_fetcher=AssetFetcher()).write_pdf(
        font_config=font_configuration()
    )


def clear_chart_cache() -> None:
    """Forget the charts drawn so far and the label widths measured for them (the bench
    times a report with every chart drawn from nothing)."""
    _charts.clear()
    charts.clear_caches()


@cache
def font_configuration() -> Any:
    """One WeasyPrint font configuration per process: the reports load no web fonts, so one
    set of system fonts (and Pango's caches of them) serves every report."""
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


def render_pdf(data: dict[str, Any], *, min_cell: int = DEFAULT_MIN_CELL) -> bytes:
    """:func:`render_html` then :func:`html_to_pdf`."""
    return html_to_pdf(render_html(data, min_cell=min_cell))
