"""Score a model on the real external evaluation sets in ../shared/eval/ (evaluation only).

Usage: python bench/eval_external.py [--model DIR] [--json OUT.json]

car_complaint_titles.csv: a prediction is right when it is one of the title's `labels`. Because a
constant product_quality is "right" for 93% of titles, the headline figure is the share of titles
whose labels EXCLUDE product_quality that get a top-1 category among their labels. Also: per-class
precision/recall against the label sets, and the rules' repeated_contact against `repeated_repair`.

weibo_emotion.csv: 7-emotion predictions collapsed to anger/sadness/fear/neutral as the eval
README says (disappointment→sadness, anxiety→fear, distrust→anger).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
EVAL = ROOT.parent / "shared" / "eval"
COLLAPSE = {"disappointment": "sadness", "anxiety": "fear", "distrust": "anger"}


def car_titles(analyzer: Any) -> dict[str, Any]:
    import pandas as pd

    df = pd.read_csv(EVAL / "car_complaint_titles.csv", dtype=str, keep_default_na=False)
    texts = df["text"].tolist()
    labels = [set(x.split("|")) for x in df["labels"]]
    results = analyzer.analyze_many(texts)
    pred = [r.category for r in results]
    inside = [p in ls for p, ls in zip(pred, labels)]
    non_pq = [i for i, ls in enumerate(labels) if "product_quality" not in ls]
    per_class = {}
    for c in sorted({c for ls in labels for c in ls} | set(pred)):
        predicted = [i for i, p in enumerate(pred) if p == c]
        having = [i for i, ls in enumerate(labels) if c in ls]
        per_class[c] = {
            "precision": sum(c in labels[i] for i in predicted) / len(predicted) if predicted else None,
            "recall": sum(pred[i] == c for i in having) / len(having) if having else None,
            "predicted": len(predicted),
            "support": len(having),
        }
    # the platform's codes have no safety label: its safety titles (刹车失灵, 自燃) carry
    # product_quality. Reported separately, never used for choosing anything.
    as_pq = [("product_quality" if p == "safety" else p) in ls for p, ls in zip(pred, labels)]
    rr_true = [x == "1" for x in df["repeated_repair"]]
    rr_pred = [any(s.code == "repeated_contact" and s.modality in ("done", "threatened") for s in r.signals) for r in results]
    tp = sum(a and b for a, b in zip(rr_true, rr_pred))
    return {
        "rows": len(df),
        "top1_inside_labels": sum(inside) / len(inside),
        "constant_product_quality_inside_labels": sum("product_quality" in ls for ls in labels) / len(labels),
        "non_product_quality_rows": len(non_pq),
        "non_product_quality_top1_inside_labels": sum(inside[i] for i in non_pq) / len(non_pq),
        "top1_inside_labels_safety_read_as_product_quality": sum(as_pq) / len(as_pq),
        "per_class": per_class,
        "repeated_repair": {
            "support": sum(rr_true),
            "predicted": sum(rr_pred),
            "precision": tp / sum(rr_pred) if sum(rr_pred) else None,
            "recall": tp / sum(rr_true) if sum(rr_true) else None,
        },
    }


def weibo(analyzer: Any) -> dict[str, Any]:
    import pandas as pd

    from complaint_nlp.train import classification_report

    df = pd.read_csv(EVAL / "weibo_emotion.csv", dtype=str, keep_default_na=False)
    results = analyzer.analyze_many(df["text"].tolist())
    pred = [COLLAPSE.get(r.emotion or "neutral", r.emotion or "neutral") for r in results]
    rep = classification_report(df["label"].tolist(), pred, ["anger", "sadness", "fear", "neutral"])
    rep["predicted_7"] = {e: sum(r.emotion == e for r in results) for e in sorted({r.emotion for r in results if r.emotion})}
    return rep


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=None, help="model directory (default: shipped model)")
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)
    if not EVAL.is_dir():
        sys.exit(f"{EVAL} not found: the external sets live in ../shared/eval beside the repository")
    from complaint_nlp.analyzer import Analyzer

    an = Analyzer.load(args.model)
    out = {"model": an.model_name, "car_complaint_titles": car_titles(an), "weibo_emotion": weibo(an)}
    car = out["car_complaint_titles"]
    print(f"car titles: top-1 inside labels {car['top1_inside_labels']:.3f} (constant product_quality {car['constant_product_quality_inside_labels']:.3f}); "
          f"titles without product_quality ({car['non_product_quality_rows']}): {car['non_product_quality_top1_inside_labels']:.3f}")
    for c, v in car["per_class"].items():
        p = "-" if v["precision"] is None else f"{v['precision']:.3f}"
        r = "-" if v["recall"] is None else f"{v['recall']:.3f}"
        print(f"  {c:<18} precision {p:>6} recall {r:>6} predicted {v['predicted']:5d} support {v['support']:5d}")
    rr = car["repeated_repair"]
    print(f"  repeated_repair via repeated_contact rule: precision {rr['precision']}, recall {rr['recall']} (support {rr['support']})")
    w = out["weibo_emotion"]
    print(f"weibo emotion (collapsed 4-way): accuracy {w['accuracy']:.3f}, macro-F1 {w['macro_f1']:.3f}")
    for c, v in w["per_class"].items():
        print(f"  {c:<8} precision {v['precision']:.3f} recall {v['recall']:.3f} f1 {v['f1']:.3f} support {v['support']}")
    if args.json:
        Path(args.json).write_text(json.dumps(out, ensure_ascii=False, indent=2), encoding="utf-8")
    return out


if __name__ == "__main__":
    main()
