"""Speed benchmark: domain means on a million respondents, ours against R's survey package.

Run as ``make bench`` (``.venv/bin/python bench/estimate.py``). It writes the survey file once
(bench/out/, git-ignored), then in separate processes, so each peak memory is its own:

- ours, Taylor: ``scoring.read_csv``, ``Design``, the overall mean and the means of a
  14-level group (``mean(design, "y")`` and ``mean(design, "y", by="group")``);
- R: ``bench/estimate.R`` (``fread``, ``svydesign``, ``svymean`` and ``svyby``);
- ours, bootstrap: the same means with 500 Rao-Wu bootstrap replicates.

It prints a table and the largest relative difference from R, and saves the numbers in
bench/out/estimate.json. Goals: estimation at least 20 times faster than R's, peak memory at
most 1 GiB, and bootstrap(500) under 10 times the Taylor estimation. Timings are single runs.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

from make_data import CSV, OUT, ensure_csv  # noqa: E402

REPLICATES = 500
GOALS = {"speedup over R": 20.0, "peak GiB": 1.0, "bootstrap / Taylor": 10.0}


def run_ours(variance: str, path: str) -> dict:
    """In a child process: load, design and estimate; timings, peak memory and numbers."""
    import numpy as np

    from scoring import Design, mean, read_csv

    started = time.perf_counter()
    columns = read_csv(path)
    loaded = time.perf_counter()
    design = Design(columns, weights="w", strata="stratum", clusters="psu", fpc="fpc")
    designed = time.perf_counter()
    options = {"variance": variance, "replicates": REPLICATES, "seed": 1}
    overall = mean(design, "y", **options)
    groups = mean(design, "y", by="group", **options)
    estimated = time.perf_counter()
    return {
        "numpy_version": np.__version__,
        "read_s": loaded - started,
        "design_s": designed - loaded,
        "estimate_s": estimated - designed,
        "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "df": design.df,
        "overall": {"estimate": overall.estimate, "se": overall.se},
        "groups": {
            "group": [int(label) for label in groups],
            "estimate": [e.estimate for e in groups.values()],
            "se": [e.se for e in groups.values()],
        },
    }


def child(variance: str, path: Path) -> dict:
    command = [sys.executable, __file__, "--child", variance, str(path)]
    return json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)


def run_r(path: Path) -> dict:
    command = ["Rscript", str(HERE / "estimate.R"), str(path)]
    result = json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)
    # R runs first, so the largest child so far is R itself.
    result["peak_mib"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return result


def largest_relative_difference(ours: dict, r: dict) -> dict[str, float]:
    """Over the overall mean and every group's, for the estimates and for the SEs."""
    position = {group: i for i, group in enumerate(r["groups"]["group"])}
    differences = {}
    for field in ("estimate", "se"):
        pairs = [(ours["overall"][field], r["overall"][field])]
        for j, group in enumerate(ours["groups"]["group"]):
            pairs.append((ours["groups"][field][j], r["groups"][field][position[group]]))
        differences[field] = max(abs(a - b) / abs(b) for a, b in pairs)
    return differences


def machine() -> dict:
    cpu = next(
        (line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if "model name" in line),
        "unknown",
    )
    memory_kib = next(int(line.split()[1]) for line in open("/proc/meminfo") if "MemTotal" in line)
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "ram_gib": round(memory_kib / 1024**2, 1),
        "python": platform.python_version(),
        "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE"),
    }


def report(results: dict) -> None:
    ours, r, boot = results["ours_taylor"], results["r"], results["ours_bootstrap"]
    print(f"{results['rows']:,} rows, 50 strata, 2,000 PSUs, 14 groups; {results['machine']}")
    print(f"{'':24}{'read s':>9}{'design s':>10}{'estimate s':>12}{'peak MiB':>10}")
    for name, run in (
        ("ours, Taylor", ours),
        ("R survey, Taylor", r),
        ("ours, bootstrap 500", boot),
    ):
        print(
            f"{name:24}{run['read_s']:9.3f}{run['design_s']:10.3f}"
            f"{run['estimate_s']:12.3f}{run['peak_mib']:10.0f}"
        )
    checks = results["checks"]
    print(f"design + estimate, R / ours:  {checks['speedup over R']:.1f}x (goal >= 20x)")
    print(f"estimate alone, R / ours:     {checks['estimate alone, R / ours']:.1f}x")
    print(f"peak memory, ours:            {checks['peak GiB']:.2f} GiB (goal <= 1 GiB)")
    print(f"bootstrap / Taylor estimate:  {checks['bootstrap / Taylor']:.1f}x (goal < 10x)")
    print(
        "largest relative difference from R: "
        f"estimate {results['difference']['estimate']:.1e}, se {results['difference']['se']:.1e}"
    )


def main() -> None:
    path = ensure_csv(CSV)
    r = run_r(path)
    ours = child("taylor", path)
    boot = child("bootstrap", path)
    ours_time = ours["design_s"] + ours["estimate_s"]
    results = {
        "rows": sum(1 for _ in open(path)) - 1,
        "machine": machine() | {"numpy": ours["numpy_version"], "r": r["r_version"]},
        "ours_taylor": ours,
        "r": r,
        "ours_bootstrap": boot,
        "difference": largest_relative_difference(ours, r),
        "checks": {
            "speedup over R": (r["design_s"] + r["estimate_s"]) / ours_time,
            "estimate alone, R / ours": r["estimate_s"] / ours["estimate_s"],
            "peak GiB": max(ours["peak_mib"], boot["peak_mib"]) / 1024,
            "bootstrap / Taylor": boot["estimate_s"] / ours["estimate_s"],
        },
    }
    results["goals_met"] = {
        "speedup over R": results["checks"]["speedup over R"] >= GOALS["speedup over R"],
        "peak GiB": results["checks"]["peak GiB"] <= GOALS["peak GiB"],
        "bootstrap / Taylor": results["checks"]["bootstrap / Taylor"] < GOALS["bootstrap / Taylor"],
    }
    (OUT / "estimate.json").write_text(json.dumps(results, indent=2))
    report(results)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        print(json.dumps(run_ours(sys.argv[2], sys.argv[3])))
    else:
        main()
