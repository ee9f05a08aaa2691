"""Print the data-card tables of GUIDE.md from the corpus and the held-out set.

Usage (from the repository root): python data/labeled/tools/data_card.py
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from complaint_nlp.corpus import check_corpus, check_heldout  # noqa: E402


def dots(d: dict) -> str:
    return " · ".join(f"{k} {v}" for k, v in d.items())


def main() -> None:
    c = check_corpus()["stats"]
    h = check_heldout()["stats"]
    print(f"## Data card ({c['rows']:,} messages; held-out set {h['rows']:,})\n")
    print("| label | corpus.csv | heldout.csv |")
    print("|---|---|---|")
    for key in ("category", "emotion", "level", "script"):
        print(f"| {key} | {dots(c[key])} | {dots(h[key])} |")
    print(f"| split | {dots(c['split'])} ({c['groups']:,} paraphrase groups) | heldout |")
    ln = c["length"]
    print(f"| length (characters) | min {ln['min']} · p5 {ln['p5']} · p25 {ln['p25']} · median {ln['p50']} · p75 {ln['p75']} · p95 {ln['p95']} · max {ln['max']} | |")
    print(f"| signals | {dots(dict(list(c['signals'].items())[:14]))} … | |")
    print()
    print("| channel | corpus messages | median length | with @ | with # | held-out messages | median length | with @ |")
    print("|---|---|---|---|---|---|---|---|")
    for ch, v in c["channel"].items():
        w = h["channel"].get(ch, {"rows": 0, "median_length": 0, "mentions": 0})
        print(f"| {ch} | {v['rows']:,} | {v['median_length']} | {v['mentions']:.0%} | {v['hashtags']:.0%} | {w['rows']:,} | {w['median_length']} | {w['mentions']:.0%} |")
    print()
    print(f"Domains ({len(c['domain'])}): " + " · ".join(f"{k} {v}" for k, v in c["domain"].items()) + ".")


if __name__ == "__main__":
    main()
