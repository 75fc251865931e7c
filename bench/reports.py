"""Time the PDF reports (acceptance: a village report ≤ 1.3 × WeasyPrint alone on the same
final HTML; the whole demo county — every village, township and the county — ≤ 3 min).

Run by hand: ``.venv/bin/python bench/reports.py`` (builds /tmp/bench-reports.db with the
default demo county once). Set BENCH_REPORTS_SIZE=full for the 222-village county; pass
``--village`` to time only the single village report (``--repeats N``, default 5;
``--no-freeze`` to leave the app's objects to the garbage collector).
"""

from __future__ import annotations

import gc
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SIZE = os.environ.get("BENCH_REPORTS_SIZE", "small")
DB = Path(f"/tmp/bench-reports-{SIZE}.db")
ENV = {**os.environ, "DATABASE_URL": f"sqlite:///{DB}", "FLASK_APP": "surveyapp"}
FLASK = str(ROOT / ".venv" / "bin" / "flask")
WAVE = "citizen_approval-2026-11"


def build() -> None:
    subprocess.run([FLASK, "db", "upgrade"], cwd=ROOT, env=ENV, check=True, capture_output=True)
    subprocess.run([FLASK, "demo", "load", "--size", SIZE], cwd=ROOT, env=ENV, check=True)


def village_report(repeats: int = 5, *, freeze: bool = True) -> None:
    """Data → HTML → PDF against WeasyPrint alone on the HTML it produced (data gathered
    once beforehand: the indices are cached per wave in the app as well), two ways: "cold",
    the chart cache emptied first so every chart is drawn (a worker's first village of a
    township), and "in a build", after a neighbouring village of the same township, whose
    township forests the report then reuses while its own profiles are drawn.

    The app and the wave's data (about half a million objects) are frozen out of the
    garbage collector first: each full collection scanned them for 0.2-0.35 s, triggered
    every two or three PDFs by WeasyPrint's own objects and landing on whichever run was
    going, cold, in a build or alone. A build's workers hold no such data (and freeze what
    they imported); ``freeze=False`` times it as it was. CPU time (this process's) is
    printed beside wall time: on the shared machine other processes' load shows in the
    latter only."""
    sys.path.insert(0, str(ROOT))
    os.environ["DATABASE_URL"] = ENV["DATABASE_URL"]
    from scoring.reports import html_to_pdf, render_html
    from scoring.reports.render import clear_chart_cache
    from surveyapp import create_app
    from surveyapp.services import reports

    app = create_app()
    with app.app_context(), reports.one_build():
        wave = reports.find_wave(WAVE)
        village, neighbour = reports.requests_for(wave, "village", None)[:2]
        data = reports.report_data(village)
        before = reports.report_data(neighbour)
    if freeze:
        gc.collect()
        gc.freeze()
    html = render_html(data)
    html_to_pdf(html)  # warm fonts and matplotlib once for both
    runs: dict[str, list[tuple[float, float]]] = {"cold": [], "warm": [], "alone": []}

    def timed(name: str, html_of: Any) -> None:
        t, cpu = time.perf_counter(), time.process_time()
        html_to_pdf(html_of())
        runs[name].append((time.perf_counter() - t, time.process_time() - cpu))

    for _ in range(repeats):
        clear_chart_cache()
        timed("cold", lambda: render_html(data))
        clear_chart_cache()
        render_html(before)
        timed("warm", lambda: render_html(data))
        timed("alone", lambda: html)
    for i, clock in enumerate(("wall", "CPU")):
        c, w, a = (sorted(r[i] for r in runs[k])[repeats // 2] for k in ("cold", "warm", "alone"))
        print(
            f"village report {village.org.code}, {clock} time: WeasyPrint alone {a:.2f} s; "
            f"cold {c:.2f} s, ratio {c / a:.2f}; in a build {w:.2f} s, ratio {w / a:.2f} "
            f"(medians of {repeats}; load average {os.getloadavg()[0]:.2f})"
        )


def whole_county(jobs: int = 2) -> None:
    out = Path(tempfile.mkdtemp(prefix="bench-reports-"))
    t0 = time.perf_counter()
    for level in ("village", "township", "county"):
        t = time.perf_counter()
        subprocess.run(
            [
                FLASK,
                "reports",
                "build",
                "--wave",
                WAVE,
                "--level",
                level,
                "--out",
                str(out),
                "--jobs",
                str(jobs),
            ],
            cwd=ROOT,
            env=ENV,
            check=True,
            capture_output=True,
        )
        print(f"  {level}: {time.perf_counter() - t:.1f} s")
    count = len(list(out.glob("*.pdf")))
    print(
        f"whole county ({count} PDFs, --jobs {jobs}): {time.perf_counter() - t0:.1f} s; "
        f"{os.cpu_count()} CPUs, load average after {os.getloadavg()[0]:.2f}"
    )
    shutil.rmtree(out)


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--village", action="store_true", help="only the village report")
    parser.add_argument("--repeats", type=int, default=5, help="runs per village measurement")
    parser.add_argument(
        "--no-freeze", action="store_true", help="leave the app's objects to the collector"
    )
    args = parser.parse_args()
    if not DB.exists():
        build()
    village_report(args.repeats, freeze=not args.no_freeze)
    if not args.village:
        whole_county()
