"""How well the model carries over to writers and styles it never saw (issue #11).

Usage (from the repository root):
    python bench/eval_generalisation.py [--model DIR] [--loco] [--curve] [--json OUT.json]

Always: the model (default: the shipped one) through the full Analyzer on
  * the in-style test split of data/labeled/corpus.csv (same authors and briefs as training), and
  * the style-held-out set data/heldout/heldout.csv (other authors, channel briefs only, never
    trained on and never used to choose anything),
per class for category, emotion and escalation level, per channel, and the calibration of the
top category / emotion probability (expected calibration error, 10 bins).

--loco: leave-one-channel-out cross-validation with the default training recipe: for each channel,
    train on the train split of every OTHER channel and score every row of the left-out channel.
--curve: learning curve: the recipe trained on 10% … 100% of the train split (whole paraphrase
    groups, seeded), scored on the held-out set.

The recipe is bench/train_default.py's RECIPE. Nothing here feeds back into training.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any, Sequence

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

CORPUS = ROOT / "data" / "labeled" / "corpus.csv"
HELDOUT = ROOT / "data" / "heldout" / "heldout.csv"
HEADS = ("category", "emotion", "level")
#: the author parts of corpus v1: its test rows are the split the v1 model was measured on
V1_PARTS = ("car1", "car2", "cart", "cart2", "ecom", "life", "tele", "fin", "home", "wb1", "wb2")


def _read(path: Path) -> Any:
    import pandas as pd

    return pd.read_csv(path, dtype=str, keep_default_na=False)


def ece(confidence: Sequence[float], correct: Sequence[bool], bins: int = 10) -> float:
    """Expected calibration error of the top-1 probability (equal-width bins)."""
    c = np.asarray(confidence, dtype=float)
    ok = np.asarray(correct, dtype=float)
    if len(c) == 0:
        return 0.0
    idx = np.minimum((c * bins).astype(int), bins - 1)
    total = 0.0
    for b in range(bins):
        m = idx == b
        if m.any():
            total += m.sum() / len(c) * abs(ok[m].mean() - c[m].mean())
    return float(total)


def score_set(analyzer: Any, df: Any) -> dict[str, Any]:
    """Per-head reports (overall and per channel) and calibration of one labeled frame."""
    from complaint_nlp.taxonomy import CATEGORIES, EMOTIONS, LEVELS
    from complaint_nlp.train import classification_report

    results = analyzer.analyze_many(df["text"].tolist())
    pred = {
        "category": [r.category or "" for r in results],
        "emotion": [r.emotion or "" for r in results],
        "level": [r.level or "" for r in results],
    }
    labels = {"category": list(CATEGORIES), "emotion": list(EMOTIONS), "level": list(LEVELS)}
    out: dict[str, Any] = {"n": len(df)}
    channels = df["channel"].tolist()
    for head in HEADS:
        truth = df[head].tolist()
        rep = classification_report(truth, pred[head], labels[head])
        rep.pop("confusion_labels", None)
        by_channel = {}
        for ch in sorted(set(channels)):
            ii = [i for i, c in enumerate(channels) if c == ch]
            r = classification_report([truth[i] for i in ii], [pred[head][i] for i in ii], labels[head])
            by_channel[ch] = {"n": r["n"], "accuracy": r["accuracy"], "macro_f1": r["macro_f1"]}
        rep["by_channel"] = by_channel
        out[head] = rep
    for head, scores in (("category", [r.category_scores for r in results]), ("emotion", [r.emotion_scores for r in results])):
        conf = [max(s.values()) if s else 0.0 for s in scores]
        ok = [p == t for p, t in zip(pred[head], df[head].tolist())]
        out[head]["ece"] = ece(conf, ok)
        out[head]["mean_confidence"] = float(np.mean(conf)) if conf else 0.0
    out["category_evidence_rows"] = sum(bool(r.category_evidence) for r in results) / max(len(results), 1)
    return out


def _recipe_train(df: Any, seed: int = 0) -> Any:
    """Train the default recipe on a frame (no model selection): a ComplaintModel."""
    from complaint_nlp.train import share_weights, train_model
    from train_default import RECIPE, recipe_featurizer

    labels = {"category": df["category"].tolist(), "emotion": df["emotion"].tolist()}
    w = share_weights(df[WEIGHTS["column"]].tolist(), WEIGHTS["power"]) if WEIGHTS else None
    model, _ = train_model(df["text"].tolist(), labels, estimator=ESTIMATOR or RECIPE["estimator"], featurizer=recipe_featurizer(), random_state=seed, sample_weight=w)
    return model


#: the sample weights --loco / --curve train with (None: unweighted); main() sets RECIPE's, or
#: the variant --weight-power asks for
WEIGHTS: Any = None
#: the estimator per head --loco / --curve train with; main() sets RECIPE's, or the variant
#: --estimator asks for
ESTIMATOR: Any = None


def _heads_report(model: Any, df: Any) -> dict[str, Any]:
    from complaint_nlp.normalize import normalize
    from complaint_nlp.taxonomy import CATEGORIES, EMOTIONS
    from complaint_nlp.train import classification_report

    norm = [normalize(t).text for t in df["text"].tolist()]
    out = {}
    for head, labs in (("category", CATEGORIES), ("emotion", EMOTIONS)):
        P = model.predict_proba(norm, head, normalized=True)
        classes = model.heads[head].classes
        pred = [classes[j] for j in P.argmax(axis=1)]
        r = classification_report(df[head].tolist(), pred, list(labs))
        out[head] = {"n": r["n"], "accuracy": r["accuracy"], "macro_f1": r["macro_f1"]}
    return out


def loco(corpus: Any) -> dict[str, Any]:
    train = corpus[corpus["split"] == "train"]
    out = {}
    for ch in sorted(corpus["channel"].unique()):
        test = corpus[corpus["channel"] == ch]
        tr = train[(train["channel"] != ch) & ~train["group"].isin(set(test["group"]))]
        t0 = time.perf_counter()
        out[ch] = _heads_report(_recipe_train(tr), test)
        out[ch]["n_train"] = len(tr)
        print(f"  loco {ch}: category macro-F1 {out[ch]['category']['macro_f1']:.3f} (accuracy {out[ch]['category']['accuracy']:.3f}), "
              f"emotion macro-F1 {out[ch]['emotion']['macro_f1']:.3f}  [{time.perf_counter() - t0:.0f}s]", flush=True)
    return out


def curve(corpus: Any, heldout: Any, fractions: Sequence[float] = (0.1, 0.25, 0.5, 0.75, 1.0)) -> list[dict[str, Any]]:
    train = corpus[corpus["split"] == "train"]
    groups = np.array(sorted(train["group"].unique()))
    rng = np.random.default_rng(0)
    order = groups[rng.permutation(len(groups))]
    out = []
    for f in fractions:
        keep = set(order[: max(1, int(round(f * len(order))))])
        tr = train[train["group"].isin(keep)]
        rep = _heads_report(_recipe_train(tr), heldout)
        out.append({"fraction": f, "n_train": len(tr), **rep})
        print(f"  curve {f:.0%} ({len(tr)} messages): held-out category macro-F1 {rep['category']['macro_f1']:.3f}, emotion {rep['emotion']['macro_f1']:.3f}", flush=True)
    return out


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=None, help="model directory (default: the shipped model)")
    ap.add_argument("--loco", action="store_true", help="leave-one-channel-out cross-validation")
    ap.add_argument("--curve", action="store_true", help="learning curve on the held-out set")
    ap.add_argument("--skip-model", action="store_true", help="only --loco / --curve (they train their own models)")
    ap.add_argument("--weight-power", type=float, default=None, metavar="P",
                    help="a recipe variant for --loco/--curve: weigh channels by count**P (1: unweighted); default: the recipe's own weights")
    ap.add_argument("--estimator", default=None, metavar="NAME|HEAD=NAME,…",
                    help="a recipe variant for --loco/--curve: one estimator for both heads, or one for each head named (default: the recipe's)")
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)
    from train_default import RECIPE

    global WEIGHTS, ESTIMATOR
    from complaint_nlp.cli import UsageError, _estimator_arg

    ESTIMATOR = dict(RECIPE["estimator"])
    if args.estimator:
        try:
            variant = _estimator_arg(args.estimator)  # the parser of `complaint-nlp train --estimator`
        except UsageError as exc:
            ap.error(str(exc))
        if variant == "auto":
            ap.error("--estimator auto: name the estimators (a variant of the recipe selects nothing)")
        ESTIMATOR.update(variant if isinstance(variant, dict) else dict.fromkeys(ESTIMATOR, variant))
    if args.weight_power is None:
        WEIGHTS = RECIPE["weights"]
    else:
        WEIGHTS = {"column": "channel", "power": args.weight_power} if args.weight_power < 1 else None
    from complaint_nlp.analyzer import Analyzer

    corpus, heldout = _read(CORPUS), _read(HELDOUT)
    out: dict[str, Any] = {}
    if not args.skip_model:
        out.update(score_model(Analyzer.load(args.model), corpus, heldout))
    if args.loco:
        out["loco"] = loco(corpus)
    if args.curve:
        out["curve"] = curve(corpus, heldout)
    out["recipe_weights"] = WEIGHTS
    out["recipe_estimator"] = ESTIMATOR
    if args.json:
        Path(args.json).write_text(json.dumps(out, ensure_ascii=False, indent=1), encoding="utf-8")
    return out


def score_model(an: Any, corpus: Any, heldout: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"model": an.model_name}
    test = corpus[corpus["split"] == "test"]
    out["in_style_test"] = score_set(an, test)
    # the very messages the v1 model was measured on (0.757 / 0.671): like for like
    out["in_style_v1_test"] = score_set(an, test[test["id"].str.rsplit("-", n=1).str[0].isin(V1_PARTS)])
    out["heldout"] = score_set(an, heldout)
    for name in ("in_style_test", "in_style_v1_test", "heldout"):
        r = out[name]
        print(f"{name} (n={r['n']}): " + ", ".join(f"{h} macro-F1 {r[h]['macro_f1']:.3f} (accuracy {r[h]['accuracy']:.3f})" for h in HEADS)
              + f"; ECE category {r['category']['ece']:.3f}, emotion {r['emotion']['ece']:.3f}")
    return out


if __name__ == "__main__":
    main()
