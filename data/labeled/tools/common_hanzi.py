"""Writes complaint_nlp/data/common_hanzi.txt: the 1,500 most frequent Chinese characters of our
own corpus (Simplified) plus their Traditional forms. The reader uses it to tell GB18030 from
Big5 text: each decoding of the same bytes is scored by the share of its characters in this set
(a wrong decoding gives mostly rare characters).

    python data/labeled/tools/common_hanzi.py
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import opencc

ROOT = Path(__file__).resolve().parents[3]
TOP = 1500


def main() -> None:
    counts: Counter[str] = Counter()
    s2t = opencc.OpenCC("s2t")
    t2s = opencc.OpenCC("t2s")
    with open(ROOT / "data" / "labeled" / "corpus.csv", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            counts.update(c for c in t2s.convert(row["text"]) if "\u4e00" <= c <= "\u9fff")
    top = [c for c, _ in counts.most_common(TOP)]
    chars = sorted(set(top) | {t for c in top for t in s2t.convert(c) if "\u4e00" <= t <= "\u9fff"})
    out = ROOT / "complaint_nlp" / "data" / "common_hanzi.txt"
    out.write_text(
        f"# the {TOP} most frequent characters of data/labeled/corpus.csv and their Traditional forms;\n"
        "# written by data/labeled/tools/common_hanzi.py; used to tell GB18030 from Big5\n" + "".join(chars) + "\n",
        encoding="utf-8",
    )
    print(f"{len(chars)} characters → {out}")


if __name__ == "__main__":
    main()
