"""Time importing a 20,000-row member file into SQLite (acceptance: under 30 s).

Run: .venv/bin/python bench/import_members.py [ROWS]. Builds a fresh SQLite database with the
small demo county, writes an XLSX member roster spread over its villages, and times a dry run
and the real import (check + apply in one transaction), then a re-import (all unchanged).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade  # noqa: E402

from surveyapp import create_app  # noqa: E402
from surveyapp.extensions import db  # noqa: E402
from surveyapp.models import VILLAGE_KINDS, Org  # noqa: E402
from surveyapp.services.imports import get_kind, import_file  # noqa: E402
from surveyapp.services.imports.common import write_table  # noqa: E402


def main(rows: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.db",
                          "SECRET_KEY": "bench"})
        with app.app_context(), app.test_request_context():
            from surveyapp.demo import load_demo_county

            upgrade()
            load_demo_county(db.session, seed=1, size="small")
            db.session.commit()
            villages = db.session.scalars(sa.select(Org.code).where(
                Org.kind.in_(VILLAGE_KINDS))).all()
            headers = [c.header for c in get_kind("people").columns]
            data = write_table(headers, (
                [f"B{i:06d}", f"党员{i}", "男" if i % 3 else "女", str(1950 + i % 50),
                 f"139{i:08d}", villages[i % len(villages)], "是", "否", "", "长驻", "", ""]
                for i in range(rows)), "xlsx")
            for label, dry in (("dry run", True), ("import", False), ("re-import", False)):
                start = time.perf_counter()
                result = import_file("people", "members.xlsx", data, dry_run=dry)
                took = time.perf_counter() - start
                print(f"{label:10s} {rows} rows: {took:6.2f} s  added={result.added} "
                      f"updated={result.updated} unchanged={result.unchanged} "
                      f"errors={len(result.errors)}")
            db.engine.dispose()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000)
