"""Bounded memory of batch scoring: score a generated N-row CSV and report peak RSS.

Usage: python bench/bench_memory.py [--rows 2000000] [--jobs 1] [--json OUT]

The CSV is made from the corpus texts (cycled, with an id and a customer column) in a temporary
directory; `complaint-nlp score` runs in a child process and its peak RSS (ru_maxrss of that child
and its workers, from wait4) is reported, with rows/s. The issue's target: a 2-million-row CSV under 1 GB RSS.
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


#: run argv[1:] as a forked child of this small process; print its exit code and peak RSS
_LAUNCHER = """import json, os, sys
pid = os.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
_, status, usage = os.wait4(pid, 0)
print(json.dumps({"rc": os.waitstatus_to_exitcode(status), "maxrss_kb": usage.ru_maxrss}))
"""


def main(argv: list[str] | None = None) -> dict[str, object]:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=2_000_000)
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--json")
    args = ap.parse_args(argv)
    with open(ROOT / "data" / "labeled" / "corpus.csv", encoding="utf-8") as f:
        texts = [r["text"] for r in csv.DictReader(f)]
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "big.csv"
        with open(src, "w", encoding="utf-8", newline="") as f:
            w = csv.writer(f)
            w.writerow(["id", "customer", "text"])
            for i in range(args.rows):
                w.writerow([i, f"c{i % 50000}", texts[i % len(texts)]])
        size_mb = src.stat().st_size / 1e6
        out = Path(tmp) / "scored.csv"
        t0 = time.perf_counter()
        cmd = [sys.executable, "-m", "complaint_nlp", "score", str(src), "-o", str(out), "--text-col", "text", "--id-col", "id", "--no-progress", "--jobs", str(args.jobs)]
        with open(Path(tmp) / "stderr.txt", "w+", encoding="utf-8") as err:
            # A child's ru_maxrss starts from its parent's peak: fork/vfork shares the parent's
            # memory and exec keeps that high-water mark (a scorer started straight from
            # bench/run.py, hundreds of MB into its benchmarks, "peaked" at the parent's size).
            # So a small launcher forks the scorer and reports its peak (workers included).
            launched = subprocess.run([sys.executable, "-c", _LAUNCHER, *cmd], stdout=subprocess.PIPE, stderr=err, text=True)
            secs = time.perf_counter() - t0
            report = json.loads(launched.stdout.strip().splitlines()[-1]) if launched.stdout.strip() else {"rc": launched.returncode}
            if launched.returncode != 0 or report["rc"] != 0:
                err.seek(0)
                sys.exit(err.read())
        peak_mb = report["maxrss_kb"] / 1024
        with open(out, encoding="utf-8-sig") as f:
            n_out = sum(1 for _ in csv.reader(f)) - 1
    res = {"measured": f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC", "rows": args.rows, "input_mb": round(size_mb, 1), "output_rows": n_out, "seconds": round(secs, 1), "rows_per_second": round(args.rows / secs, 1), "peak_rss_mb": round(peak_mb, 1), "jobs": args.jobs}
    print(f"score {args.rows:,} rows ({size_mb:.0f} MB CSV, --jobs {args.jobs}): {secs:.0f} s, {args.rows / secs:,.0f} rows/s, peak RSS {peak_mb:,.0f} MB, {n_out:,} output rows")
    if args.json:
        Path(args.json).write_text(json.dumps(res, indent=2), encoding="utf-8")
    return res


if __name__ == "__main__":
    main()
