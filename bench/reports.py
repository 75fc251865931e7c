"""Time the PDF reports (acceptance: a village report ≤ 1.3 × WeasyPrint alone on the same
final HTML; the whole demo county — every village, township and the county — ≤ 3 min).

Run by hand: ``.venv/bin/python bench/reports.py`` (builds /tmp/bench-reports.db with the
default demo county once). Set BENCH_REPORTS_SIZE=full for the 222-village county.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SIZE = os.environ.get("BENCH_REPORTS_SIZE", "small")
DB = Path(f"/tmp/bench-reports-{SIZE}.db")
ENV = {**os.environ, "DATABASE_URL": f"sqlite:///{DB}", "FLASK_APP": "surveyapp"}
FLASK = str(ROOT / ".venv" / "bin" / "flask")
WAVE = "citizen_approval-2026-11"


def build() -> None:
    subprocess.run([FLASK, "db", "upgrade"], cwd=ROOT, env=ENV, check=True, capture_output=True)
    subprocess.run([FLASK, "demo", "load", "--size", SIZE], cwd=ROOT, env=ENV, check=True)


def village_report(repeats: int = 5) -> None:
    """Data → HTML → PDF against WeasyPrint alone on the HTML it produced (data gathered
    once beforehand: the indices are cached per wave in the app as well), two ways: "cold",
    the chart cache emptied first so every chart is drawn (a worker's first village of a
    township), and "in a build", after a neighbouring village of the same township, whose
    township forests the report then reuses while its own profiles are drawn."""
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
    html = render_html(data)
    html_to_pdf(html)  # warm fonts and matplotlib once for both
    cold, warm, alone = [], [], []
    for _ in range(repeats):
        clear_chart_cache()
        t = time.perf_counter()
        html_to_pdf(render_html(data))
        cold.append(time.perf_counter() - t)
        clear_chart_cache()
        render_html(before)
        t = time.perf_counter()
        html_to_pdf(render_html(data))
        warm.append(time.perf_counter() - t)
        t = time.perf_counter()
        html_to_pdf(html)
        alone.append(time.perf_counter() - t)
    c, w, a = (sorted(x)[repeats // 2] for x in (cold, warm, alone))
    print(
        f"village report {village.org.code}: WeasyPrint alone {a:.2f} s; cold {c:.2f} s, "
        f"ratio {c / a:.2f}; in a build {w:.2f} s, ratio {w / a:.2f} (medians of {repeats})"
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
    if not DB.exists():
        build()
    village_report()
    whole_county()
