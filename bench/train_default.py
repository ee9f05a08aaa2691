"""Train the shipped default model (models/default) reproducibly and record its metrics.

Usage (from the repository root): python bench/train_default.py

1. complaint-nlp train data/labeled/corpus.csv --split-col split … -o models/default
   (train split only; the estimator per head is chosen by grouped 5-fold cross-validation)
2. evaluate on the held-out test split of data/labeled/corpus.csv
3. evaluate on ../shared/eval/ (car complaint titles, Weibo emotion): evaluation only
4. write all figures into models/default/manifest.json under "metrics"
"""

from __future__ import annotations

import json
import shlex
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

COMMAND = [
    "complaint-nlp", "train", "data/labeled/corpus.csv",
    "--text-col", "text", "--category-col", "category", "--emotion-col", "emotion",
    "--split-col", "split", "--name", "default", "-o", "models/default",
]


def main() -> None:
    import os

    os.chdir(ROOT)
    from complaint_nlp.cli import main as cli

    t0 = time.perf_counter()
    rc = cli(COMMAND[1:])
    if rc:
        sys.exit(rc)
    train_seconds = time.perf_counter() - t0
    from complaint_nlp.train import evaluate_file

    rep = evaluate_file("data/labeled/corpus.csv", model="models/default", split="test", category_col="category", emotion_col="emotion")
    print(rep["text"])
    metrics = {
        "test_split": {h: {k: v for k, v in r.items() if k in ("n", "accuracy", "macro_f1", "per_class")} for h, r in rep["heads"].items()},
        "train_seconds_including_cv": round(train_seconds, 1),
    }
    try:
        import eval_external

        ext = eval_external.main(["--model", "models/default"])
        car, wb = ext["car_complaint_titles"], ext["weibo_emotion"]
        metrics["external"] = {
            "car_complaint_titles": {k: car[k] for k in ("rows", "top1_inside_labels", "constant_product_quality_inside_labels", "non_product_quality_rows", "non_product_quality_top1_inside_labels", "top1_inside_labels_safety_read_as_product_quality", "per_class", "repeated_repair")},
            "weibo_emotion": {k: wb[k] for k in ("n", "accuracy", "macro_f1", "per_class")},
        }
    except SystemExit as exc:  # ../shared/eval missing: the model still trains
        print(f"external evaluation skipped: {exc}", file=sys.stderr)
    mpath = ROOT / "models" / "default" / "manifest.json"
    manifest = json.loads(mpath.read_text(encoding="utf-8"))
    manifest["metrics"] = metrics
    manifest["command"] = shlex.join(COMMAND) + "   # run by: python bench/train_default.py"
    mpath.write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"metrics written to {mpath}")


if __name__ == "__main__":
    main()
