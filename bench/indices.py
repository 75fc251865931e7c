"""Time every index of the full demo county from the database (acceptance: under 5 s).

Run by hand: ``.venv/bin/python bench/indices.py`` (builds /tmp/bench-indices.db once).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DB = Path(os.environ.get("BENCH_INDICES_DB", "/tmp/bench-indices.db"))
URL = f"sqlite:///{DB}"
WAVE = "citizen_approval-2026-11"


def build() -> None:
    env = {**os.environ, "DATABASE_URL": URL, "FLASK_APP": "surveyapp"}
    flask = str(ROOT / ".venv" / "bin" / "flask")
    subprocess.run([flask, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run([flask, "demo", "load", "--size", "full"], cwd=ROOT, env=env, check=True)


def main() -> None:
    if not DB.exists():
        build()
    sys.path.insert(0, str(ROOT))
    from scoring.indices import compute_all_levels
    from surveyapp import create_app
    from surveyapp.services.estimates import gather

    app = create_app({"SQLALCHEMY_DATABASE_URI": URL})
    with app.app_context():
        for run in range(3):
            start = time.perf_counter()
            data = gather(WAVE)
            gathered = time.perf_counter()
            reports = compute_all_levels(
                data.table,
                data.spec,
                population=data.population,
                counts=data.counts,
                **data.records,
            )
            done = time.perf_counter()
            units = sum(len(r.results) for r in reports.values())
            print(
                f"run {run + 1}: {len(data.table['period'])} responses, {units} unit results; "
                f"gather+score {gathered - start:.2f} s, indices {done - gathered:.2f} s, "
                f"total {done - start:.2f} s"
            )


if __name__ == "__main__":
    main()
