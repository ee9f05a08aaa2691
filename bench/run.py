"""Run every benchmark and rewrite bench/REPORT.md.

Usage (from the repository root): python bench/run.py [--memory-rows 2000000] [--skip-memory | --memory-json FILE]

Accuracy figures come from models/default/manifest.json (written by bench/train_default.py) and
are recomputed for the rules; speed and memory are measured now, on this machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))


def f3(v: object) -> str:
    return "-" if v is None else f"{v:.3f}"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--memory-rows", type=int, default=2_000_000)
    ap.add_argument("--skip-memory", action="store_true")
    ap.add_argument("--memory-json", help="use this bench_memory.py --json result instead of measuring")
    args = ap.parse_args()
    os.chdir(ROOT)
    import bench_memory
    import bench_rules
    import bench_speed

    manifest = json.loads((ROOT / "models" / "default" / "manifest.json").read_text(encoding="utf-8"))
    metrics = manifest.get("metrics", {})
    rules = bench_rules.main(["--split", "test"])
    speed = bench_speed.main([])
    if args.memory_json:  # a separate `bench_memory.py --json` run (it takes a quarter of an hour)
        memory = json.loads(Path(args.memory_json).read_text(encoding="utf-8"))
    elif args.skip_memory:  # keep the last measured figure, saying when it was measured
        prev = ROOT / "bench" / "results.json"
        memory = json.loads(prev.read_text(encoding="utf-8")).get("memory") if prev.exists() else None
    else:
        memory = bench_memory.main(["--rows", str(args.memory_rows)])

    L: list[str] = []
    L.append("# Benchmark report")
    L.append("")
    L.append(f"Written by `python bench/run.py` on {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC; machine: {os.cpu_count()} cores, "
             f"Python {platform.python_version()}, {platform.machine()}. Model: `{manifest.get('name')}` "
             f"({manifest['training']['chosen']}), trained on {manifest['trained_on']['rows']} messages of our train split "
             f"in {metrics.get('train_seconds_including_cv', '?')} s including 5-fold model selection.")
    L.append("")
    L.append("## Accuracy on our held-out test split (data/labeled/corpus.csv, split=test)")
    for head, rep in metrics.get("test_split", {}).items():
        L.append("")
        L.append(f"**{head}**: n={rep['n']}, accuracy {rep['accuracy']:.3f}, macro-F1 **{rep['macro_f1']:.3f}**")
        L.append("")
        L.append("| class | precision | recall | F1 | support |")
        L.append("|---|---|---|---|---|")
        for c, v in rep["per_class"].items():
            L.append(f"| {c} | {v['precision']:.3f} | {v['recall']:.3f} | {v['f1']:.3f} | {v['support']} |")
    ext = metrics.get("external", {})
    if ext:
        car, wb = ext["car_complaint_titles"], ext["weibo_emotion"]
        L.append("")
        L.append("## Accuracy on real external text (../shared/eval, evaluation only)")
        L.append("")
        L.append(f"**car_complaint_titles.csv** ({car['rows']} titles, labels from the platform's problem codes; a prediction is right when it is one of the title's labels):")
        L.append("")
        L.append(f"- top-1 category inside the labels: {car['top1_inside_labels']:.3f} (a constant product_quality: {car['constant_product_quality_inside_labels']:.3f})")
        if "top1_inside_labels_safety_read_as_product_quality" in car:
            L.append(f"- the platform has no safety label (its brake-failure and fire titles carry product_quality); reading our `safety` as product_quality: {car['top1_inside_labels_safety_read_as_product_quality']:.3f}")
        L.append(f"- **titles whose labels exclude product_quality ({car['non_product_quality_rows']}): {car['non_product_quality_top1_inside_labels']:.3f}** get a top-1 category among their labels (target ≥ 0.6)")
        rr = car["repeated_repair"]
        L.append(f"- `repeated_repair` (repaired several times) vs our repeated_contact rule: precision {f3(rr['precision'])}, recall {f3(rr['recall'])} (support {rr['support']})")
        L.append("")
        L.append("| category | precision (prediction in labels) | recall (label predicted) | predicted | support |")
        L.append("|---|---|---|---|---|")
        for c, v in car["per_class"].items():
            L.append(f"| {c} | {f3(v['precision'])} | {f3(v['recall'])} | {v['predicted']} | {v['support']} |")
        L.append("")
        L.append(f"**weibo_emotion.csv** ({wb['n']} general Weibo posts, not complaints; 7 emotions collapsed to 4 as its README says): "
                 f"accuracy {wb['accuracy']:.3f}, **macro-F1 {wb['macro_f1']:.3f}** (target ≥ 0.55)")
        L.append("")
        L.append("| emotion | precision | recall | F1 | support |")
        L.append("|---|---|---|---|---|")
        for c, v in wb["per_class"].items():
            L.append(f"| {c} | {v['precision']:.3f} | {v['recall']:.3f} | {v['f1']:.3f} | {v['support']} |")
    L.append("")
    L.append(f"## Rules: per-code precision/recall on our test split ({rules['messages']} messages)")
    L.append("")
    L.append("Gold is the corpus `signals` column. *code*: any modality; *escalating*: threatened/done only.")
    L.append("")
    L.append("| code | P (code) | R (code) | P (escalating) | R (escalating) | gold escalating |")
    L.append("|---|---|---|---|---|---|")
    for code, v in rules["codes"].items():
        a, e = v["code"], v["escalating"]
        L.append(f"| {code} | {f3(a['precision'])} | {f3(a['recall'])} | {f3(e['precision'])} | {f3(e['recall'])} | {e['tp'] + e['fn']} |")
    L.append("")
    lv = rules["levels"]
    L.append("")
    L.append(f"Escalation level (model + rules) against the corpus `level` column: accuracy {lv['accuracy']:.3f}, macro-F1 {lv['macro_f1']:.3f}.")
    L.append("")
    L.append("| level | precision | recall | F1 | support |")
    L.append("|---|---|---|---|---|")
    for c, v in lv["per_class"].items():
        L.append(f"| {c} | {v['precision']:.3f} | {v['recall']:.3f} | {v['f1']:.3f} | {v['support']} |")
    L.append("")
    L.append(f"Rules alone: {rules['rules_messages_per_second']} messages/s. A 1 MB message: {speed['one_megabyte']['analyze_windowed_s']} s through `analyze()` "
             f"(analysed on its 20,000-character window); all its 1,000,000 characters through the raw rule engine: {rules['one_megabyte_seconds']} s "
             "(linear: bounded repeats only; tests feed 100 KB adversarial inputs).")
    p, t = speed["process"], speed["throughput"]
    L.append("")
    L.append(f"## Speed and memory ({speed['messages']} corpus messages, mean {speed['mean_chars']} characters, one core)")
    L.append("")
    L.append("| measure | value | target |")
    L.append("|---|---|---|")
    L.append(f"| `import complaint_nlp` | {p['import_s'] * 1000:.0f} ms | < 300 ms |")
    L.append(f"| `Analyzer.load()` (model + lexicon) | {p['load_s'] * 1000:.0f} ms | |")
    L.append(f"| first `analyze()` (builds tokenizer, OpenCC) | {p['first_call_s'] * 1000:.0f} ms | |")
    L.append(f"| RSS after load and first call | {p['rss_mb']:.0f} MB | < 150 MB |")
    L.append(f"| `jieba.lcut` alone | {t['jieba_lcut_alone']:,.0f} msg/s | |")
    L.append(f"| naive jieba + scikit-learn (TF-IDF + LogisticRegression, category and emotion) | {t['naive_jieba_sklearn']:,.0f} msg/s | |")
    L.append(f"| **`analyze_many`** (normalise, classify both heads, all rules, level) | **{t['analyze_many']:,.0f} msg/s** = {t['analyze_many_vs_jieba_lcut']}× `jieba.lcut`, {t['analyze_many_vs_naive']}× naive | ≥ 2× `jieba.lcut` |")
    L.append(f"| classification only (batch) | {t['classification_only']:,.0f} msg/s | |")
    L.append(f"| rules only | {t['rules_only']:,.0f} msg/s | |")
    sc = speed["score_cli"]
    L.append(f"| `complaint-nlp score` ({sc['rows']:,} rows CSV → CSV) | {sc['messages_per_second_scoring']:,.0f} msg/s scoring, {sc['messages_per_second_wall']:,.0f} msg/s wall incl. start-up | |")
    names = {
        "analyze_full": "`analyze()`: everything",
        "classifier_single": "classification: normalise + both heads (`score_one`)",
        "rules_single": "rules only (`Analyzer.load(model=False).analyze`)",
        "naive_sklearn_single": "naive jieba + scikit-learn pipeline, both heads",
        "jieba_lcut_single": "`jieba.lcut` alone",
    }
    lat = speed["latency"]
    jl = lat["jieba_lcut_single"]["p50_us"]
    for k, v in lat.items():
        target = " < 100 µs" if k == "classifier_single" else ""
        L.append(f"| one message, {names.get(k, k)} | p50 {v['p50_us']:.0f} µs ({v['p50_us'] / jl:.2f}× `jieba.lcut`), p99 {v['p99_us']:.0f} µs |{target} |")
    if memory:
        when = f", measured {memory['measured']}" if memory.get("measured") else ""
        L.append(f"| `complaint-nlp score` {memory['rows']:,} rows ({memory['input_mb']:.0f} MB CSV{when}) | peak RSS **{memory['peak_rss_mb']:,.0f} MB**, {memory['rows_per_second']:,.0f} rows/s, {memory['output_rows']:,} output rows | < 1 GB |")
    st = speed.get("stages")
    if st:
        L.append("")
        L.append("Where one message's time goes (p50 of each stage alone, same 2,000 messages):")
        L.append("")
        L.append("| stage | p50 | p99 |")
        L.append("|---|---|---|")
        stage_names = {"normalize": "normalise (NFKC folds, HTML, t2s)", "tokenize_rjieba": "tokenise (rjieba)",
                       "features_one_row": "TF-IDF row (tokenise + word and char n-grams)", "score_one_normalised": "TF-IDF row + both heads + probabilities"}
        for k, v in st.items():
            L.append(f"| {stage_names.get(k, k)} | {v['p50_us']:.0f} µs | {v['p99_us']:.0f} µs |")
    L.append("")
    L.append("Scripts: `bench/train_default.py` (model + accuracy), `bench/eval_external.py`, `bench/bench_rules.py`, "
             "`bench/bench_speed.py`, `bench/bench_memory.py`; `bench/run.py` runs them and writes this file.")
    (ROOT / "bench" / "REPORT.md").write_text("\n".join(L) + "\n", encoding="utf-8")
    (ROOT / "bench" / "results.json").write_text(json.dumps({"rules": rules, "speed": speed, "memory": memory}, indent=2, ensure_ascii=False), encoding="utf-8")
    print("wrote bench/REPORT.md")


if __name__ == "__main__":
    main()
