"""Multi-core batch scoring (issue #15): rows/s of `score --jobs N` and the parent's share of CPU.

Usage: python bench/bench_scale.py [--rows 120000] [--jobs 1,2] [--json OUT]

Two configurations: `plain` (text and id columns) and `threads+customers` (also --thread-col and
--customer-col, which add a first pass over the file and thread state kept by the parent).

Builds a CSV of ROWS rows, two corpus messages per row (as the issue's measurement), and scores it
in-process with score_file for each N. The parent's CPU is this process's own (RUSAGE_SELF), the
workers' is RUSAGE_CHILDREN (the pool is shut down, so reaped, before it is read). The model is
loaded before timing; the rate is scoring + reading + writing.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _cpu(who: int) -> float:
    r = resource.getrusage(who)
    return r.ru_utime + r.ru_stime


def build(path: Path, rows: int) -> None:
    with open(ROOT / "data" / "labeled" / "corpus.csv", encoding="utf-8") as f:
        texts = [r["text"] for r in csv.DictReader(f)]
    rng = random.Random(15)
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\r\n")
        w.writerow(["id", "ticket", "customer", "text"])
        for i in range(rows):
            w.writerow([i, f"T{rng.randrange(rows // 4 or 1)}", f"C{rng.randrange(rows // 8 or 1)}", rng.choice(texts) + " " + rng.choice(texts)])


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=120_000)
    ap.add_argument("--jobs", default="1,2")
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)
    from complaint_nlp.analyzer import Analyzer
    from complaint_nlp.batch import score_file

    an = Analyzer.load().warm_up()
    out: dict[str, Any] = {"rows": args.rows, "cores": os.cpu_count(), "runs": {}}
    with tempfile.TemporaryDirectory() as d:
        src = Path(d) / "in.csv"
        build(src, args.rows)
        for config, extra in (("plain", {}), ("threads+customers", {"thread_col": "ticket", "customer_col": "customer"})):
            runs = out["runs"].setdefault(config, {})
            for jobs in [int(j) for j in args.jobs.split(",")]:
                dst = Path(d) / f"out{jobs}.csv"
                p0, c0, t0 = _cpu(resource.RUSAGE_SELF), _cpu(resource.RUSAGE_CHILDREN), time.perf_counter()
                s = score_file(src, dst, analyzer=an, text_col="text", id_col="id", jobs=jobs, progress=False, **extra)
                wall = time.perf_counter() - t0
                parent, children = _cpu(resource.RUSAGE_SELF) - p0, _cpu(resource.RUSAGE_CHILDREN) - c0
                runs[jobs] = {
                    "rows_per_second": round(s["rows"] / wall, 1),
                    "wall_s": round(wall, 2),
                    "parent_cpu_s": round(parent, 2),
                    "workers_cpu_s": round(children, 2),
                    "parent_share": round(parent / (parent + children), 4) if jobs > 1 else 1.0,
                }
                print(f"{config} --jobs {jobs}: {runs[jobs]}", flush=True)
                dst.unlink()
            base = runs.get(1, {}).get("rows_per_second")
            for r in runs.values():
                r["speedup"] = round(r["rows_per_second"] / base, 2) if base else None
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    return out


if __name__ == "__main__":
    main()
