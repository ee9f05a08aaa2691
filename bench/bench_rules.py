"""Rule engine: per-code precision/recall on the project's labeled corpus, and throughput.

Usage: python bench/bench_rules.py [--split test|train|all] [--json OUT]

Gold = the corpus `signals` column (code:modality). Two views per code:
  code      a signal of that code with any modality, predicted vs labeled
  escalating  threatened/done only (what moves the escalation level)
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def prf(tp: int, fp: int, fn: int) -> dict[str, Any]:
    p = tp / (tp + fp) if tp + fp else None
    r = tp / (tp + fn) if tp + fn else None
    f = 2 * p * r / (p + r) if p and r else (0.0 if p is not None and r is not None else None)
    return {"precision": p, "recall": r, "f1": f, "tp": tp, "fp": fp, "fn": fn}


def evaluate(split: str = "test") -> dict[str, Any]:
    from complaint_nlp.analyzer import Analyzer
    from complaint_nlp.corpus import parse_signals
    from complaint_nlp.taxonomy import SIGNALS

    with open(ROOT / "data" / "labeled" / "corpus.csv", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if split == "all" or r["split"] == split]
    an = Analyzer.load(model=False)
    texts = [r["text"] for r in rows]
    an.analyze_many(texts[:50])
    t0 = time.perf_counter()
    results = an.analyze_many(texts)
    secs = time.perf_counter() - t0
    out: dict[str, Any] = {"split": split, "messages": len(rows), "rules_messages_per_second": round(len(rows) / secs, 1), "codes": {}}
    esc = {"threatened", "done"}
    for code in SIGNALS:
        c = {"code": [0, 0, 0], "escalating": [0, 0, 0]}
        for r, res in zip(rows, results):
            gold = parse_signals(r["signals"])
            g_any = any(k == code for k, _ in gold)
            g_esc = any(k == code and m in esc for k, m in gold)
            p_any = any(s.code == code for s in res.signals)
            p_esc = any(s.code == code and s.modality in esc for s in res.signals)
            for view, g, p in (("code", g_any, p_any), ("escalating", g_esc, p_esc)):
                c[view][0] += g and p
                c[view][1] += p and not g
                c[view][2] += g and not p
        out["codes"][code] = {view: prf(*v) for view, v in c.items()}
    return out


def levels(split: str = "test") -> dict[str, Any]:
    """Escalation level of the full analyzer (model + rules) against the corpus `level` column."""
    from complaint_nlp.analyzer import Analyzer
    from complaint_nlp.train import classification_report

    with open(ROOT / "data" / "labeled" / "corpus.csv", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if split == "all" or r["split"] == split]
    res = Analyzer.load().analyze_many([r["text"] for r in rows])
    return classification_report([r["level"] for r in rows], [a.level or "minor" for a in res], ["urgent", "serious", "normal", "minor"])


def one_megabyte() -> float:
    from complaint_nlp.lexicon import Lexicon
    from complaint_nlp.normalize import normalize
    from complaint_nlp.signals import detect_signals
    from complaint_nlp.traits import detect_traits

    lex = Lexicon.load()
    text = ("我的车第三次返修了！！客服说再不满意可以打12315，我要求十倍赔偿。" * 40000)[:1_000_000]
    t0 = time.perf_counter()
    nt = normalize(text)
    detect_signals(nt, lex)
    detect_traits(nt, lex)
    return time.perf_counter() - t0


#: patterns that backtrack catastrophically on Python's re (issue #12); each must be refused
CATASTROPHIC = ["(a+)+b", "(a*)*b", "(a|a)*b", "(a|aa)+b", "(?:a{1,9}){1,9}b", "(.*a){12}", "(\\w+\\s?)+$", "^(a+)+$", "(x+x+)+y", "a{0,300}a{0,300}a{0,300}b"]
#: accepted patterns near the user budget (10,000 ways), timed on 1,000 characters made to hurt them
NEAR_BUDGET = {".{0,99}.{0,99}x": "a", "[ab]{0,9}[ab]{0,9}[ab]{0,9}[ab]{0,9}c": "ab", ".{0,9}.{0,9}.{0,9}.{0,9}x": "a", "(?:a|b|ab|ba){0,6}c": "ab"}
#: trigger phrases for the linearity check (repeated to 20,000 and 200,000 characters)
TRIGGERS = ["我是记者，", "我是律师，我要起诉，", "打了12315，", "第三次返修，", "要求赔偿10万，", "再不处理就曝光！", "我们100个车主集体投诉，", "等了20天，", "骗子！！！"]


def regex_safety() -> dict[str, Any]:
    """Catastrophic patterns: refused? Worst accepted patterns and the shipped ones: the slowest
    finditer over 1,000 characters built to hurt them (ms)."""
    import random
    import re

    from complaint_nlp.errors import ConfigError
    from complaint_nlp.lexicon import default_lexicon_path, read_toml
    from complaint_nlp.saferegex import compile_checked, pattern_ways

    refused = {}
    for p in CATASTROPHIC:
        try:
            compile_checked(p, "bench")
            refused[p] = None
        except ConfigError as exc:
            refused[p] = str(exc).split(": ", 2)[-1]
    near = {}
    for p, unit in NEAR_BUDGET.items():
        rx = compile_checked(p, "bench")
        text = (unit * 1000)[:1000]
        t0 = time.perf_counter()
        rx.findall(text)
        near[p] = {"ways": pattern_ways(p), "ms": round((time.perf_counter() - t0) * 1000, 2)}
    shipped = []
    for name in ("lexicon.toml", "escalation.toml"):
        data = read_toml(default_lexicon_path().parent / name)
        stack: list[Any] = [data]
        while stack:
            v = stack.pop()
            if isinstance(v, dict):
                stack.extend(v.values())
                for p in v.get("patterns", []) if isinstance(v.get("patterns"), list) else []:
                    shipped.append(p)
            elif isinstance(v, list):
                stack.extend(x for x in v if isinstance(x, dict))
    rng = random.Random(12)
    worst = (0.0, "")
    for p in shipped:
        rx = re.compile(p, re.IGNORECASE)
        alphabet = [c for c in p if not c.isascii() or c.isalnum()] or ["a"]
        for _ in range(5):  # text made of the pattern's own characters: the hardest for it
            text = "".join(rng.choice(alphabet) for _ in range(1000))
            t0 = time.perf_counter()
            rx.findall(text)
            ms = (time.perf_counter() - t0) * 1000
            if ms > worst[0]:
                worst = (ms, p)
    return {"refused": refused, "near_budget": near, "shipped_patterns": len(shipped), "shipped_worst_ms": round(worst[0], 2), "shipped_worst_pattern": worst[1]}


def linearity() -> dict[str, Any]:
    """Seconds for the rule engine on 20,000 and 200,000 characters of each trigger phrase."""
    from complaint_nlp.lexicon import Lexicon
    from complaint_nlp.normalize import normalize
    from complaint_nlp.signals import detect_signals
    from complaint_nlp.traits import detect_traits

    lex = Lexicon.load()
    out = {}
    for phrase in TRIGGERS:
        secs = []
        for n in (20_000, 200_000):
            nt = normalize((phrase * (n // len(phrase) + 1))[:n])
            t0 = time.perf_counter()
            detect_signals(nt, lex)
            detect_traits(nt, lex)
            secs.append(time.perf_counter() - t0)
        out[phrase] = {"s_20k": round(secs[0], 4), "s_200k": round(secs[1], 4), "ratio": round(secs[1] / secs[0], 1)}
    return out


def fmt(v: Any) -> str:
    return "   -  " if v is None else f"{v:6.3f}"


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser()
    ap.add_argument("--split", default="test", choices=["test", "train", "all"])
    ap.add_argument("--json")
    args = ap.parse_args(argv)
    out = evaluate(args.split)
    out["one_megabyte_seconds"] = round(one_megabyte(), 3)
    out["regex_safety"] = regex_safety()
    out["linearity"] = linearity()
    out["levels"] = levels(args.split)
    print(f"rules on {out['messages']} {args.split} messages: {out['rules_messages_per_second']} messages/s; 1 MB message: {out['one_megabyte_seconds']} s")
    print(f"{'code':<18} {'P(code)':>7} {'R(code)':>7} {'P(esc)':>7} {'R(esc)':>7}  gold(esc)")
    for code, v in out["codes"].items():
        a, e = v["code"], v["escalating"]
        print(f"{code:<18} {fmt(a['precision'])} {fmt(a['recall'])} {fmt(e['precision'])} {fmt(e['recall'])}  {e['tp'] + e['fn']}")
    rs = out["regex_safety"]
    print(f"catastrophic patterns refused: {sum(v is not None for v in rs['refused'].values())}/{len(rs['refused'])}; near-budget patterns on 1,000 characters: "
          + ", ".join(f"{p} {v['ms']} ms" for p, v in rs["near_budget"].items()) + f"; slowest shipped pattern {rs['shipped_worst_ms']} ms")
    print("linearity (200k / 20k characters): " + ", ".join(f"{p} {v['ratio']}x" for p, v in out["linearity"].items()))
    lv = out["levels"]
    print(f"level (model + rules) vs corpus level: accuracy {lv['accuracy']:.3f}, macro-F1 {lv['macro_f1']:.3f}")
    if args.json:
        Path(args.json).write_text(json.dumps(out, ensure_ascii=False, indent=2), encoding="utf-8")
    return out


if __name__ == "__main__":
    main()
