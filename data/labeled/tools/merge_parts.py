"""Merge the per-domain part files written by the corpus authors into corpus.csv.

Usage (from the repository root):
    python data/labeled/tools/merge_parts.py PART.csv [PART.csv …]            append new parts
    python data/labeled/tools/merge_parts.py --rebuild PART.csv [PART.csv …]  rebuild from parts

A part file has the columns text,category,category2,emotion,signals,level,domain,script,group and
its file name (without .csv) names the part; a part already in corpus.csv is refused.

Assigns ids (<part>-<n>), keeps the authors' paraphrase group ids (prefixed by part), and splits
train/test about 80/20 BY GROUP with a stable hash, so near-paraphrases never straddle the split
and re-running the merge gives the same split.
"""

import csv
import hashlib
import sys
from pathlib import Path

COLUMNS = ["id", "text", "category", "category2", "emotion", "signals", "level", "domain", "script", "group", "split"]


def split_of(group: str) -> str:
    h = int(hashlib.sha256(group.encode("utf-8")).hexdigest()[:8], 16)
    return "test" if h % 100 < 20 else "train"


def main(parts: list[str]) -> None:
    out = Path("data/labeled/corpus.csv")
    rows: list[dict[str, str]] = []
    if parts and parts[0] == "--rebuild":
        parts = parts[1:]
    elif out.exists():
        with open(out, encoding="utf-8", newline="") as f:
            rows = list(csv.DictReader(f))
    have = {r["id"].rsplit("-", 1)[0] for r in rows}
    for part in parts:
        name = Path(part).stem
        if name in have:
            sys.exit(f"part {name!r} is already in {out}; rename the new part or use --rebuild")
        with open(part, encoding="utf-8", newline="") as f:
            for i, r in enumerate(csv.DictReader(f), 1):
                group = r["group"].strip()
                if not group.startswith(name):
                    group = f"{name}-{group}"
                rows.append(
                    {
                        "id": f"{name}-{i:04d}",
                        "text": r["text"].strip(),
                        "category": r["category"].strip(),
                        "category2": r["category2"].strip(),
                        "emotion": r["emotion"].strip(),
                        "signals": ";".join(x.strip() for x in r["signals"].split(";") if x.strip()),
                        "level": r["level"].strip(),
                        "domain": r["domain"].strip(),
                        "script": r["script"].strip(),
                        "group": group,
                        "split": split_of(group),
                    }
                )
    with open(out, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=COLUMNS)
        w.writeheader()
        w.writerows(rows)
    print(f"{len(rows)} rows → {out}")


if __name__ == "__main__":
    main(sys.argv[1:])
