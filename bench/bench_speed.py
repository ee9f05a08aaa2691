"""Speed and memory of the library, side by side with jieba.lcut and a naive jieba + scikit-learn
pipeline, on the same texts (the corpus messages).

Usage: python bench/bench_speed.py [--json OUT] [--repeat 5]

Prints and returns: import time, model load time, RSS after load, messages/s for analyze_many,
classification alone, rules alone, `complaint-nlp score`, jieba.lcut alone and the naive baseline;
single-message p50/p99 latency; the time for a 1 MB message.
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent


#: the benchmark texts: the 5,500 messages of corpus v1 (the first rows of corpus.csv; v2 appended
#: its parts after them), so speed figures stay comparable from one report to the next
BENCH_MESSAGES = 5500


def texts_and_labels() -> tuple[list[str], list[dict[str, str]]]:
    with open(ROOT / "data" / "labeled" / "corpus.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))[:BENCH_MESSAGES]
    return [r["text"] for r in rows], rows


def rates(fns: dict[str, Callable[[], Any]], n: int, repeat: int) -> dict[str, float]:
    """Messages/s of each function, best of ``repeat`` rounds. The rounds interleave the
    functions, so a slow spell of a shared VM hits all of them alike, not one."""
    best = {k: float("inf") for k in fns}
    for _ in range(repeat):
        for k, fn in fns.items():
            best[k] = min(best[k], _timed(fn))
    return {k: n / v for k, v in best.items()}


def _timed(fn: Callable[[], Any]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def latency(fn: Callable[[str], Any], texts: list[str]) -> dict[str, float]:
    for t in texts[:50]:
        fn(t)
    samples = []
    for t in texts:
        t0 = time.perf_counter()
        fn(t)
        samples.append((time.perf_counter() - t0) * 1e6)
    samples.sort()
    return {"p50_us": round(samples[len(samples) // 2], 1), "p99_us": round(samples[int(len(samples) * 0.99)], 1), "mean_us": round(statistics.fmean(samples), 1)}


#: complaint-dense workload (issue #20): short messages of four escalation phrases each, the shape
#: real complaints have (12315, 曝光, 三次, 推诿…); fixed fragments, fixed seed
DENSE_FRAGMENTS = [
    "第三次打电话了", "再不处理就打12315", "我要去媒体曝光", "你们就是推诿", "骗子公司", "我要起诉你们", "已经投诉到消协",
    "我们几个车主一起维权", "刹车失灵差点出事", "不接受你们的方案", "客服一直踢皮球", "我是律师", "上热搜让大家看看",
    "修了四次还没好", "黑心商家", "要求十倍赔偿", "给个说法", "马上退款",
]


def dense_texts(n: int = 5500) -> list[str]:
    import random

    rng = random.Random(20)
    return ["，".join(rng.sample(DENSE_FRAGMENTS, 4)) + "！" for _ in range(n)]


def joined_texts(texts: list[str]) -> list[str]:
    """Three corpus messages joined into one (a long, several-grievance post)."""
    return ["".join(texts[i : i + 3]) for i in range(0, len(texts) - 2, 3)]


def workloads(an: Any, noadvice: Any, rules: Any, texts: list[str], repeat: int) -> dict[str, Any]:
    """analyze_many against jieba.lcut and rjieba.cut on the three workloads of issue #20, the
    functions interleaved in every round (best of ``repeat``). Two parts of the analysis are timed
    beside it: the classifier alone (both heads on already-normalised text, no rules, no result
    objects) and the rules alone (no model); the whole can be no faster than either."""
    import jieba
    import rjieba

    from complaint_nlp.normalize import normalize

    out: dict[str, Any] = {}
    for name, ws in (("corpus", texts), ("joined", joined_texts(texts)), ("dense", dense_texts(len(texts)))):
        an.analyze_many(ws[:100])
        norm = [normalize(t).text for t in ws]
        r = rates(
            {
                "jieba_lcut": lambda ws=ws: [jieba.lcut(t) for t in ws],
                "rjieba_cut": lambda ws=ws: [rjieba.cut(t) for t in ws],
                "analyze_many": lambda ws=ws: an.analyze_many(ws),
                "analyze_many_no_advice": lambda ws=ws: noadvice.analyze_many(ws),
                "classification_only": lambda norm=norm: an.classifier.score_dicts(norm),
                "rules_only": lambda ws=ws: rules.analyze_many(ws),
            },
            len(ws),
            repeat,
        )
        out[name] = {
            "messages": len(ws),
            "mean_chars": round(sum(map(len, ws)) / len(ws), 1),
            **{k: round(v, 1) for k, v in r.items()},
            "analyze_many_vs_jieba_lcut": round(r["analyze_many"] / r["jieba_lcut"], 2),
            "no_advice_vs_jieba_lcut": round(r["analyze_many_no_advice"] / r["jieba_lcut"], 2),
            "rjieba_vs_analyze_many": round(r["rjieba_cut"] / r["analyze_many"], 2),
            "classification_only_vs_jieba_lcut": round(r["classification_only"] / r["jieba_lcut"], 2),
            "rules_only_vs_jieba_lcut": round(r["rules_only"] / r["jieba_lcut"], 2),
        }
    return out


def subprocess_figures() -> dict[str, float]:
    code = (
        "import time, json\n"
        "t=time.perf_counter(); import complaint_nlp; imp=time.perf_counter()-t\n"
        "from complaint_nlp.analyzer import Analyzer\n"
        "t=time.perf_counter(); a=Analyzer.load(); load=time.perf_counter()-t\n"
        "t=time.perf_counter(); a.analyze('第三次打电话了！再不处理我就去12315投诉'); first=time.perf_counter()-t\n"
        "rss=int(open('/proc/self/status').read().split('VmRSS:')[1].split()[0])/1024\n"
        "print(json.dumps({'import_s': imp, 'load_s': load, 'first_call_s': first, 'rss_mb': rss}))\n"
    )
    runs = [json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout) for _ in range(5)]
    return {k: round(statistics.median(r[k] for r in runs), 3) for k in runs[0]}


def naive_baseline(rows: list[dict[str, str]]) -> Any:
    import jieba
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    train = [r for r in rows if r["split"] == "train"]
    pipes = {}
    for head in ("category", "emotion"):
        p = make_pipeline(TfidfVectorizer(tokenizer=jieba.lcut, token_pattern=None, ngram_range=(1, 2), min_df=2), LogisticRegression(max_iter=2000, C=10))
        p.fit([r["text"] for r in train], [r[head] for r in train])
        pipes[head] = p
    return pipes


def score_cli(texts: list[str], n_rows: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "in.csv"
        with open(src, "w", encoding="utf-8", newline="") as f:
            w = csv.writer(f)
            w.writerow(["id", "text"])
            for i in range(n_rows):
                w.writerow([i, texts[i % len(texts)]])
        summ = Path(tmp) / "s.json"
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "complaint_nlp", "score", str(src), "-o", str(Path(tmp) / "o.csv"), "--text-col", "text", "--no-progress", "--summary", str(summ)], check=True, capture_output=True)
        wall = time.perf_counter() - t0
        s = json.loads(summ.read_text(encoding="utf-8"))
    return {"rows": n_rows, "messages_per_second_scoring": s["messages_per_second"], "messages_per_second_wall": round(n_rows / wall, 1)}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser()
    ap.add_argument("--json")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--score-rows", type=int, default=20000)
    args = ap.parse_args(argv)
    texts, rows = texts_and_labels()
    n = len(texts)
    out: dict[str, Any] = {"messages": n, "mean_chars": round(sum(map(len, texts)) / n, 1)}
    out["process"] = subprocess_figures()

    import jieba

    jieba.setLogLevel(60)  # benchmark process only: silence jieba's global logger
    jieba.lcut("预热")
    from complaint_nlp.analyzer import Analyzer
    from complaint_nlp.normalize import normalize

    an = Analyzer.load()
    plain = Analyzer(an.classifier, an.lexicon, an.escalation, evidence_spans=0)  # the same, without category evidence
    noadvice = Analyzer(an.classifier, an.lexicon, an.escalation, advice=False)  # without demands, type, playbook
    rules = Analyzer.load(model=False)
    an.analyze_many(texts[:100])
    norm = [normalize(t).text for t in texts]
    pipes = naive_baseline(rows)

    def naive_batch() -> None:
        for p in pipes.values():
            p.predict_proba(texts)

    runs: dict[str, Callable[[], Any]] = {
        "jieba_lcut_alone": lambda: [jieba.lcut(t) for t in texts],
        "naive_jieba_sklearn": naive_batch,
        "analyze_many": lambda: an.analyze_many(texts),
        "analyze_many_without_evidence": lambda: plain.analyze_many(texts),
        "analyze_many_without_advice": lambda: noadvice.analyze_many(texts),
        "classification_only": lambda: an.classifier.score_dicts(norm),
        "rules_only": lambda: rules.analyze_many(texts),
    }
    out["throughput"] = {k: round(v, 1) for k, v in rates(runs, n, args.repeat).items()}
    t = out["throughput"]
    t["analyze_many_vs_jieba_lcut"] = round(t["analyze_many"] / t["jieba_lcut_alone"], 2)
    t["analyze_many_vs_naive"] = round(t["analyze_many"] / t["naive_jieba_sklearn"], 2)
    t["analyze_many_without_evidence_vs_jieba_lcut"] = round(t["analyze_many_without_evidence"] / t["jieba_lcut_alone"], 2)
    t["analyze_many_without_advice_vs_jieba_lcut"] = round(t["analyze_many_without_advice"] / t["jieba_lcut_alone"], 2)
    out["workloads"] = workloads(an, noadvice, rules, texts, args.repeat)
    out["score_cli"] = score_cli(texts, args.score_rows)
    sample = texts[:2000]
    sample_norm = norm[:2000]
    clf = an.classifier
    tok = clf.featurizer._tok
    # one message at a time, each measure over the same 2,000 messages; the stages show where
    # a single message's time goes (they are measured separately, so they need not add up)
    out["latency"] = {
        "analyze_full": latency(an.analyze, sample),
        "classifier_single": latency(lambda x: clf.score_one(normalize(x).text), sample),
        "rules_single": latency(rules.analyze, sample),
        "naive_sklearn_single": latency(lambda x: [p.predict_proba([x]) for p in pipes.values()], sample[:500]),
        "jieba_lcut_single": latency(jieba.lcut, sample),
    }
    out["stages"] = {
        "normalize": latency(normalize, sample),
        "tokenize_rjieba": latency(lambda x: tok.cut(x.lower()), sample_norm),
        "features_one_row": latency(clf.featurizer.single, sample_norm),
        "score_one_normalised": latency(clf.score_one, sample_norm),
    }
    big = ("我的车第三次返修了！！客服说再不满意可以打12315，我要求十倍赔偿。" * 40000)[:1_000_000]
    out["one_megabyte"] = {"analyze_windowed_s": round(_timed(lambda: an.analyze(big)), 3)}

    p = out["process"]
    print(f"{n} corpus messages, mean {out['mean_chars']} characters")
    print(f"import {p['import_s'] * 1000:.0f} ms; model load {p['load_s'] * 1000:.0f} ms; first call {p['first_call_s'] * 1000:.0f} ms; RSS after load {p['rss_mb']:.0f} MB")
    for k, v in t.items():
        print(f"  {k:<28} {v}")
    print(f"  complaint-nlp score         {out['score_cli']}")
    for k, v in {**out["latency"], **out["stages"]}.items():
        print(f"  latency {k:<22} p50 {v['p50_us']} us  p99 {v['p99_us']} us")
    print(f"  1 MB message through analyze(): {out['one_megabyte']['analyze_windowed_s']} s")
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2), encoding="utf-8")
    return out


if __name__ == "__main__":
    main()
