"""Variants of the emotion head, judged by leave-one-channel-out cross-validation (issue #11).

Usage: python bench/loco_emotion_variants.py [--channels a,b] [--variants v1,v2] [--json OUT]

For each channel: fit the recipe's featurizer (bench/train_default.py) on the train split of every
other channel, then fit each variant's emotion head on the same features and score emotion
macro-F1 on every row of the left-out channel, as `bench/eval_generalisation.py --loco` does for the
recipe itself (`bench/loco_emotion_variants.json` holds the last full run). Variants:

  recipe       logistic regression, C = 10, balanced class weights (the shipped head)
  C1           the same with C = 1
  chars_half   the character block's values halved (the word block counts more)
  words_half   the word block's values halved
  channels_equal  every training channel weighted equally (sample weights), classes balanced
  word_char_avg   separate word and character models, probabilities averaged

Nothing here feeds training; the held-out set and ../shared/eval are not read. About 40 minutes
for all variants on one core; split the channels over processes with --channels.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

VARIANTS = ("recipe", "C1", "chars_half", "words_half", "channels_equal", "word_char_avg")


def _fit_predict(name: str, d: dict[str, Any]) -> Any:
    import numpy as np
    import scipy.sparse as sp
    from sklearn.linear_model import LogisticRegression

    def lr(C: float = 10.0) -> Any:
        return LogisticRegression(C=C, class_weight="balanced", max_iter=3000, random_state=0)

    def both(a: float = 1.0, b: float = 1.0, part: str = "tr") -> Any:
        return sp.hstack([d[part + "W"] * a, d[part + "C"] * b]).tocsr()

    y = d["ytr"]
    if name in ("recipe", "C1", "chars_half", "words_half"):
        a, b = {"chars_half": (1.0, 0.5), "words_half": (0.5, 1.0)}.get(name, (1.0, 1.0))
        m = lr(1.0 if name == "C1" else 10.0).fit(both(a, b), y)
        return m.predict(both(a, b, "te"))
    if name == "channels_equal":
        _, inv, cnt = np.unique(d["chtr"], return_inverse=True, return_counts=True)
        m = lr().fit(both(), y, sample_weight=(len(inv) / len(cnt)) / cnt[inv])
        return m.predict(both(part="te"))
    if name == "word_char_avg":
        mw, mc = lr().fit(d["trW"], y), lr().fit(d["trC"], y)
        return mw.classes_[(mw.predict_proba(d["teW"]) + mc.predict_proba(d["teC"])).argmax(axis=1)]
    raise ValueError(f"unknown variant {name!r}; choose from {VARIANTS}")


def main(argv: list[str] | None = None) -> dict[str, Any]:
    import pandas as pd
    from sklearn.metrics import f1_score
    from train_default import recipe_featurizer

    from complaint_nlp.normalize import normalize
    from complaint_nlp.taxonomy import EMOTIONS

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--channels", default=None, help="comma-separated channels (default: all)")
    ap.add_argument("--variants", default=",".join(VARIANTS))
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)
    corpus = pd.read_csv(ROOT / "data" / "labeled" / "corpus.csv", dtype=str, keep_default_na=False)
    corpus["norm"] = [normalize(t).text for t in corpus["text"]]
    train = corpus[corpus["split"] == "train"]
    channels = args.channels.split(",") if args.channels else sorted(corpus["channel"].unique())
    out: dict[str, dict[str, float]] = {}
    for ch in channels:
        test = corpus[corpus["channel"] == ch]
        tr = train[(train["channel"] != ch) & ~train["group"].isin(set(test["group"]))]
        feat = recipe_featurizer().fit(tr["norm"].tolist())
        d: dict[str, Any] = {"ytr": tr["emotion"].to_numpy(), "chtr": tr["channel"].to_numpy()}
        for part, frame in (("tr", tr), ("te", test)):
            w, c = feat.blocks(frame["norm"].tolist())
            d[part + "W"], d[part + "C"] = w.to_scipy(), c.to_scipy()
        for name in args.variants.split(","):
            t0 = time.perf_counter()
            pred = _fit_predict(name, d)
            f1 = float(f1_score(test["emotion"], pred, average="macro", labels=list(EMOTIONS), zero_division=0))
            out.setdefault(name, {})[ch] = round(f1, 4)
            print(f"{ch} {name}: emotion macro-F1 {f1:.4f}  [{time.perf_counter() - t0:.0f}s]", flush=True)
    summary = {name: {"mean": round(sum(v.values()) / len(v), 4), "by_channel": v} for name, v in out.items()}
    for name, s in summary.items():
        print(f"{name}: mean {s['mean']:.4f} over {len(s['by_channel'])} channel(s)")
    if args.json:
        Path(args.json).write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return summary


if __name__ == "__main__":
    main()
