"""Accuracy of the advice layer: demands, customer type and playbook scenario.

* Demands, per kind: precision and recall of (kind, live) on the written test cases
  (``tests/data/advice_cases_*.jsonl``; the tuning sets a/c and the held-out set b, written by
  another author and never used while tuning), amount accuracy, modality accuracy.
* Customer type: the rules against a trained head (TF-IDF character n-grams + logistic
  regression, fitted on the corpus messages labelled in ``data/labeled/customer_type.csv`` of the
  train split) on the corpus test split and on the style-held-out labels
  (``data/heldout/customer_type.csv``: writers the rules never saw). The library ships whichever
  wins on the held-out labels; the figures say which.
* Scenario: accuracy of the playbook scenario given the case's own category (the rules), and end
  to end with the shipped classifier.

Writes ``bench/advice.json``; ``bench/run.py`` renders it into REPORT.md.

    python bench/eval_advice.py
"""

from __future__ import annotations

import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from complaint_nlp import Analyzer  # noqa: E402
from complaint_nlp.customer_type import detect_customer_type  # noqa: E402
from complaint_nlp.demands import detect_demands  # noqa: E402
from complaint_nlp.normalize import normalize  # noqa: E402
from complaint_nlp.playbook import choose_playbook  # noqa: E402
from complaint_nlp.taxonomy import ACTIVE_DEMAND_MODALITIES, CUSTOMER_TYPES, DEMAND_KINDS, SCENARIOS  # noqa: E402

CASES = ROOT / "tests" / "data"
SETS = {"tuning": ["advice_cases_a.jsonl", "advice_cases_c.jsonl"], "heldout": ["advice_cases_b.jsonl"]}


def load_cases(names: list[str]) -> list[dict]:
    out = []
    for n in names:
        with open(CASES / n, encoding="utf-8") as f:
            out.extend(json.loads(line) for line in f if line.strip())
    return out


def _amount_ok(exp: dict, got) -> bool:
    def close(a, b):
        return (a is None and b is None) or (a is not None and b is not None and abs(a - b) <= 0.01 * max(1.0, abs(a)))

    return close(exp.get("amount"), got.amount) and close(exp.get("amount_max"), got.amount_max) and bool(exp.get("per_day")) == got.per_day and close(exp.get("multiple"), got.multiple)


def demand_scores(cases: list[dict], an: Analyzer) -> dict:
    tp: Counter = Counter()
    fp: Counter = Counter()
    fn: Counter = Counter()
    mod_ok = mod_n = amt_ok = amt_n = 0
    for c in cases:
        got = detect_demands(normalize(c["text"]), an.demands)
        exp_live = {d["kind"] for d in c["demands"] if d["modality"] in ACTIVE_DEMAND_MODALITIES}
        got_live = {d.kind for d in got if d.modality in ACTIVE_DEMAND_MODALITIES}
        for k in exp_live & got_live:
            tp[k] += 1
        for k in got_live - exp_live:
            fp[k] += 1
        for k in exp_live - got_live:
            fn[k] += 1
        by_kind = defaultdict(list)
        for d in got:
            by_kind[d.kind].append(d)
        for e in c["demands"]:
            if by_kind.get(e["kind"]):
                mod_n += 1
                mod_ok += any(d.modality == e["modality"] for d in by_kind[e["kind"]])
            if e["modality"] in ACTIVE_DEMAND_MODALITIES and (e.get("amount") is not None or e.get("multiple") is not None):
                amt_n += 1
                amt_ok += any(d.modality in ACTIVE_DEMAND_MODALITIES and _amount_ok(e, d) for d in by_kind.get(e["kind"], []))
    per = {}
    for k in DEMAND_KINDS:
        p = tp[k] / (tp[k] + fp[k]) if tp[k] + fp[k] else None
        r = tp[k] / (tp[k] + fn[k]) if tp[k] + fn[k] else None
        per[k] = {"precision": None if p is None else round(p, 3), "recall": None if r is None else round(r, 3), "support": tp[k] + fn[k]}
    T, F, N = sum(tp.values()), sum(fp.values()), sum(fn.values())
    return {
        "cases": len(cases),
        "per_kind": per,
        "micro_precision": round(T / (T + F), 3) if T + F else None,
        "micro_recall": round(T / (T + N), 3) if T + N else None,
        "modality_accuracy": round(mod_ok / mod_n, 3) if mod_n else None,
        "modality_n": mod_n,
        "amount_accuracy": round(amt_ok / amt_n, 3) if amt_n else None,
        "amount_n": amt_n,
    }


def _report(y, p) -> dict:
    from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support

    labels = list(CUSTOMER_TYPES)
    pr, rc, f1, sup = precision_recall_fscore_support(y, p, labels=labels, zero_division=0)
    return {
        "n": len(y),
        "accuracy": round(accuracy_score(y, p), 3),
        "macro_f1": round(f1_score(y, p, labels=labels, average="macro", zero_division=0), 3),
        "per_type": {t: {"precision": round(a, 3), "recall": round(b, 3), "f1": round(c, 3), "support": int(d)} for t, a, b, c, d in zip(labels, pr, rc, f1, sup)},
    }


def customer_type_scores(an: Analyzer) -> dict:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    lab = pd.read_csv(ROOT / "data/labeled/customer_type.csv").merge(pd.read_csv(ROOT / "data/labeled/corpus.csv")[["id", "text", "split"]], on="id")
    held = pd.read_csv(ROOT / "data/heldout/customer_type.csv").merge(pd.read_csv(ROOT / "data/heldout/heldout.csv")[["id", "text"]], on="id")
    train, test = lab[lab.split == "train"], lab[lab.split == "test"]
    head = make_pipeline(
        TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), min_df=2, sublinear_tf=True),
        LogisticRegression(max_iter=2000, class_weight="balanced", C=4.0),
    )
    head.fit(train.text, train.customer_type)

    def rules(texts):
        return [detect_customer_type(normalize(t), an.customer_types).code for t in texts]

    out = {"labels": {"corpus_train": int(len(train)), "corpus_test": int(len(test)), "heldout": int(len(held))}}
    for name, df in (("corpus_test", test), ("heldout", held)):
        out[name] = {"rules": _report(list(df.customer_type), rules(df.text)), "trained_head": _report(list(df.customer_type), list(head.predict(df.text)))}
    h = out["heldout"]
    out["shipped"] = "rules" if h["rules"]["macro_f1"] >= h["trained_head"]["macro_f1"] else "trained_head"
    return out


def type_case_scores(cases: list[dict], an: Analyzer) -> dict:
    ys, ps = [], []
    for c in cases:
        if c.get("customer_type"):
            ys.append(c["customer_type"])
            ps.append(detect_customer_type(normalize(c["text"]), an.customer_types).code)
    return _report(ys, ps) if ys else {}


def scenario_scores(cases: list[dict], an: Analyzer) -> dict:
    rule_ok = e2e_ok = n = 0
    over_ok = over_n = 0
    per: dict[str, Counter] = defaultdict(Counter)
    for c in cases:
        if not c.get("scenario"):
            continue
        a = an.analyze(c["text"])
        nt = normalize(c["text"])
        pb = choose_playbook(nt, c.get("category"), a.level, a.signals, a.level_reasons, a.professional_complainant, None, an.playbook)
        n += 1
        rule_ok += pb.scenario == c["scenario"]
        e2e_ok += a.playbook.scenario == c["scenario"]
        per[c["scenario"]]["n"] += 1
        per[c["scenario"]]["rules"] += pb.scenario == c["scenario"]
        per[c["scenario"]]["end_to_end"] += a.playbook.scenario == c["scenario"]
        if c.get("overrun_hours") is not None:
            over_n += 1
            over_ok += pb.overrun_hours is not None and abs(pb.overrun_hours - float(c["overrun_hours"])) <= 0.5
    return {
        "n": n,
        "given_category": round(rule_ok / n, 3) if n else None,
        "end_to_end": round(e2e_ok / n, 3) if n else None,
        "per_scenario": {k: {"n": v["n"], "given_category": round(v["rules"] / v["n"], 3), "end_to_end": round(v["end_to_end"] / v["n"], 3)} for k, v in per.items() if k in SCENARIOS},
        "overrun_accuracy": round(over_ok / over_n, 3) if over_n else None,
        "overrun_n": over_n,
    }


def main() -> None:
    an = Analyzer.load()
    res: dict = {"demands": {}, "customer_type_cases": {}, "scenario": {}}
    for name, files in SETS.items():
        cases = load_cases(files)
        res["demands"][name] = demand_scores(cases, an)
        res["customer_type_cases"][name] = type_case_scores(cases, an)
        res["scenario"][name] = scenario_scores(cases, an)
    res["customer_type"] = customer_type_scores(an)
    (ROOT / "bench" / "advice.json").write_text(json.dumps(res, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(res, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
