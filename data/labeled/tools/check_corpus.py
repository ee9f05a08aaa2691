"""Check our labeled corpus and the style-held-out set (a maintainer tool; runs from anywhere).

Usage: python data/labeled/tools/check_corpus.py [CORPUS.csv] [--heldout HELDOUT.csv]

Schema, label vocabulary, channels, duplicates, near-duplicates (character 5-gram Jaccard > 0.8 on
at most 2% of messages), split integrity, coverage, and that no held-out text equals or nearly
equals a corpus text. Exit 1 when a check fails. tests/test_corpus.py runs it in CI.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))

from complaint_nlp.corpus import check_corpus, check_heldout, format_report  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("path", nargs="?", default=str(ROOT / "data" / "labeled" / "corpus.csv"))
    ap.add_argument("--heldout", default=None, help="held-out set to check against the corpus (default: data/heldout/heldout.csv when no path is given)")
    args = ap.parse_args(argv)
    report = check_corpus(args.path)
    ok = report["ok"]
    default = ROOT / "data" / "heldout" / "heldout.csv"
    heldout = args.heldout if args.heldout is not None else (str(default) if argv is None or not argv else None)
    if heldout is not None:
        held = check_heldout(heldout, args.path)
        print(format_report(held) + "\n")
        ok = ok and held["ok"]
    print(format_report(report))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
