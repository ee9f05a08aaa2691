"""Signals on real-post shapes (issue #13): per-code precision/recall on the rule cases.

Usage: python bench/bench_shapes.py [--set tuning|heldout|both] [--json OUT]

tests/data/shapes_a.jsonl, shapes_b.jsonl and shapes_c.jsonl are the TUNING cases (the rules were improved
against them; tests/test_shapes.py runs each); tests/data/shapes_heldout.jsonl was written by
another author from the same shape list and is only measured here, never used while tuning.

Gold is each case's complete `signals` list. Scores count escalating signals (threatened/done),
per case: a (code, modality) the rules emit and the gold has is a true positive, as the issue's
table does. `span_hits` is the share of gold escalating signals whose span the rules' evidence
overlaps.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from bench_rules import prf  # one precision/recall/F1 for every bench table

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
SETS = {"tuning": ["shapes_a.jsonl", "shapes_b.jsonl", "shapes_c.jsonl"], "heldout": ["shapes_heldout.jsonl"]}
ESCALATING = {"threatened", "done"}
GROUPS = {"regulator/media/legal": {"regulator", "media", "legal"}}


def load(names: list[str]) -> list[dict[str, Any]]:
    out = []
    for n in names:
        p = DATA / n
        if p.exists():
            out.extend(json.loads(line) for line in p.read_text(encoding="utf-8").splitlines() if line.strip())
    return out


def gold_span(case: dict[str, Any], sig: dict[str, Any]) -> tuple[int, int]:
    text, span = case["text"], sig["span"]
    start = -1
    for _ in range(int(sig.get("occurrence", 1))):
        start = text.index(span, start + 1)
    return start, start + len(span)


def evaluate(cases: list[dict[str, Any]], analyzer: Any = None) -> dict[str, Any]:
    from complaint_nlp.analyzer import Analyzer
    from complaint_nlp.taxonomy import SIGNALS

    an = analyzer or Analyzer.load()
    results = an.analyze_many([c["text"] for c in cases])
    counts = {code: [0, 0, 0] for code in SIGNALS}
    span_total = span_hit = 0
    level_ok = 0
    for c, r in zip(cases, results):
        gold = {(s["code"], s["modality"]) for s in c["signals"] if s["modality"] in ESCALATING}
        pred = {(s.code, s.modality) for s in r.signals if s.modality in ESCALATING}
        for code in SIGNALS:
            g = {x for x in gold if x[0] == code}
            p = {x for x in pred if x[0] == code}
            counts[code][0] += len(g & p)
            counts[code][1] += len(p - g)
            counts[code][2] += len(g - p)
        for s in c["signals"]:
            if s["modality"] not in ESCALATING:
                continue
            span_total += 1
            gs, ge = gold_span(c, s)
            span_hit += any(x.code == s["code"] and x.modality == s["modality"] and x.start < ge and gs < x.end for x in r.signals)
        level_ok += r.level == c["level"]
    out: dict[str, Any] = {"cases": len(cases), "codes": {k: prf(*v) for k, v in counts.items()}}
    for name, codes in GROUPS.items():
        out[name] = prf(*(sum(counts[k][i] for k in codes) for i in range(3)))
    out["all signals"] = prf(*(sum(v[i] for v in counts.values()) for i in range(3)))
    out["span_hits"] = span_hit / span_total if span_total else None
    out["level_accuracy"] = level_ok / len(cases) if cases else None
    return out


def f3(v: Any) -> str:
    return "  -  " if v is None else f"{v:.3f}"


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--set", default="both", choices=["tuning", "heldout", "both"])
    ap.add_argument("--json")
    args = ap.parse_args(argv)
    out = {}
    for name in (["tuning", "heldout"] if args.set == "both" else [args.set]):
        cases = load(SETS[name])
        if not cases:
            continue
        rep = evaluate(cases)
        out[name] = rep
        print(f"{name}: {rep['cases']} cases; regulator/media/legal F1 {f3(rep['regulator/media/legal']['f1'])}, all signals F1 {f3(rep['all signals']['f1'])}, "
              f"span hits {f3(rep['span_hits'])}, level accuracy {f3(rep['level_accuracy'])}")
        for code, v in rep["codes"].items():
            print(f"  {code:<18} P {f3(v['precision'])} R {f3(v['recall'])} F1 {f3(v['f1'])}  (tp {v['tp']}, fp {v['fp']}, fn {v['fn']})")
    if args.json:
        Path(args.json).write_text(json.dumps(out, ensure_ascii=False, indent=2), encoding="utf-8")
    return out


if __name__ == "__main__":
    main()
