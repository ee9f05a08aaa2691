"""Training and evaluation of category/emotion models on labeled exports."""

from __future__ import annotations

import logging

import json
import time
from pathlib import Path
from typing import Any, Mapping, Sequence, TextIO

import numpy as np

from .classifier import ESTIMATORS, ComplaintModel, LinearHead, _make_estimator, _sha256, load_model
from .features import Featurizer
from .normalize import normalize
from .placeholders import PlaceholderSpec
from .taxonomy import CATEGORIES, EMOTIONS

__all__ = ["train_model", "train_from_file", "share_weights", "evaluate_file", "classification_report", "read_labeled", "MIN_CLASS_EXAMPLES"]

MIN_CLASS_EXAMPLES = 5
_HEADS = {"category": CATEGORIES, "emotion": EMOTIONS}

_log = logging.getLogger(__name__)


class TrainingDataError(ValueError):
    """The labeled data cannot be trained on (empty texts, unknown labels, tiny classes)."""


def read_labeled(path: str | Path, encoding: str | None = None) -> Any:
    """Whole labeled file as one DataFrame of strings."""
    import pandas as pd

    from .io import read_chunks

    parts = list(read_chunks(path, encoding=encoding, chunksize=100_000))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def _validate(texts: Sequence[Any], labels: Mapping[str, Sequence[Any]], allow_new_labels: bool) -> None:
    bad = [i for i, t in enumerate(texts) if not isinstance(t, str) or not t.strip()]
    if bad:
        rows = ", ".join(str(i + 1) for i in bad[:10])
        raise TrainingDataError(f"{len(bad)} row(s) have an empty or missing text (data rows {rows}{'…' if len(bad) > 10 else ''}); fix or drop them first")
    for head, ys in labels.items():
        missing = [i for i, y in enumerate(ys) if not isinstance(y, str) or not y.strip()]
        if missing:
            rows = ", ".join(str(i + 1) for i in missing[:10])
            raise TrainingDataError(f"{len(missing)} row(s) have no {head} label (data rows {rows}{'…' if len(missing) > 10 else ''})")
        if not allow_new_labels:
            unknown = sorted({y for y in ys} - set(_HEADS[head]))
            if unknown:
                raise TrainingDataError(f"unknown {head} label(s) {unknown}; TAXONOMY codes are {list(_HEADS[head])} (pass --allow-new-labels to accept your own)")
        counts: dict[str, int] = {}
        for y in ys:
            counts[y] = counts.get(y, 0) + 1
        small = {k: v for k, v in sorted(counts.items()) if v < MIN_CLASS_EXAMPLES}
        if small:
            raise TrainingDataError(f"{head} classes with fewer than {MIN_CLASS_EXAMPLES} examples: {small}; add examples or merge them")
        if len(counts) < 2:
            raise TrainingDataError(f"{head}: need at least two classes, got {list(counts)}")


def _macro_f1(y_true: Sequence[str], y_pred: Sequence[str]) -> float:
    from sklearn.metrics import f1_score

    return float(f1_score(y_true, y_pred, average="macro", zero_division=0))


def _folds(n: int, labels: Sequence[str], groups: Sequence[str] | None, k: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold

    y = np.asarray(labels)
    if groups is not None:
        return list(StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=seed).split(np.zeros(n), y, groups))
    return list(StratifiedKFold(n_splits=k, shuffle=True, random_state=seed).split(np.zeros(n), y))


def share_weights(values: Sequence[Any], power: float) -> np.ndarray:
    """Per-row weights that give each distinct value of ``values`` (a channel, a source) a total
    weight proportional to ``count ** power``, scaled to a mean of 1.

    ``power`` 1 keeps every row at 1 (the data's own shares); 0 gives every value the same total
    (a channel of 20,000 rows weighs as much as one of 1,500); 0.5 lies between (square-root shares).
    Returns a float array of ``len(values)``.
    """
    if not 0.0 <= power <= 1.0 or power != power:
        raise ValueError(f"power must lie in 0..1, got {power!r}")
    _, inv, counts = np.unique(np.asarray([str(v) for v in values]), return_inverse=True, return_counts=True)
    if not len(inv):
        return np.zeros(0)
    w = counts.astype(np.float64) ** (power - 1.0)  # each row of value v: n_v^power / n_v
    w = w[inv]
    return w * (len(w) / w.sum())


def train_model(
    texts: Sequence[str],
    labels: Mapping[str, Sequence[str]],
    *,
    groups: Sequence[str] | None = None,
    estimator: str | Mapping[str, str] = "auto",
    featurizer: Featurizer | None = None,
    cv: int = 5,
    random_state: int = 0,
    name: str = "custom",
    log: TextIO | None = None,
    sample_weight: Sequence[float] | None = None,
) -> tuple[ComplaintModel, dict[str, Any]]:
    """Fit a :class:`ComplaintModel` on raw ``texts`` and per-head ``labels``.

    Args:
        texts: n raw messages.
        labels: ``{"category": [n codes], "emotion": [n codes]}`` (either may be absent).
        groups: paraphrase-family ids: cross-validation never splits a group.
        sample_weight: n non-negative weights (e.g. :func:`share_weights` by channel), used by
            every fit, model selection included; ``None``: every message weighs 1.
        estimator: one of ``ESTIMATORS`` or ``"auto"`` (best grouped-CV macro-F1 per head), or a
            mapping head → estimator name to fix each head's estimator without model selection.

    Returns:
        ``(model, report)``; report holds the cross-validation macro-F1 of every candidate.
    """
    def say(msg: str) -> None:
        _log.info(msg.strip())
        if log is not None:
            log.write(msg + "\n")
            log.flush()

    norm = [normalize(t).text for t in texts]
    from .classifier import check_weights

    weights = check_weights(sample_weight, len(norm))
    if not isinstance(estimator, str):
        fixed = dict(estimator)
        for h, c in fixed.items():
            if c not in ESTIMATORS:
                raise ValueError(f"unknown estimator {c!r} for head {h!r}; choose one of {ESTIMATORS}")
        missing = [h for h in labels if h not in fixed]
        if missing:
            raise ValueError(f"no estimator given for head(s) {missing}")
        candidates: list[str] = []
    else:
        fixed = {}
        candidates = list(ESTIMATORS) if estimator == "auto" else [estimator]
    for c in candidates:
        if c not in ESTIMATORS:
            raise ValueError(f"unknown estimator {c!r}")
    report: dict[str, Any] = {"cv_folds": cv, "candidates": {}, "chosen": {}}
    make_feat = featurizer.clone if featurizer is not None else Featurizer
    chosen: dict[str, str] = {}
    if len(candidates) > 1:
        first = next(iter(labels.values()))
        folds = _folds(len(norm), first, groups, cv, random_state)
        oof: dict[tuple[str, str], list[str]] = {(h, c): [""] * len(norm) for h in labels for c in candidates}
        t0 = time.perf_counter()
        for fi, (tr, te) in enumerate(folds):
            feat = make_feat().fit([norm[i] for i in tr])
            Xtr = feat.transform([norm[i] for i in tr])
            Xte = feat.transform([norm[i] for i in te])
            for head, ys in labels.items():
                ytr = [ys[i] for i in tr]
                for c in candidates:
                    est = _make_estimator(c, 10.0, random_state).fit(Xtr, ytr, **({} if weights is None else {"sample_weight": weights[tr]}))
                    for i, p in zip(te, est.predict(Xte)):
                        oof[(head, c)][i] = str(p)
            say(f"  cv fold {fi + 1}/{len(folds)} done ({time.perf_counter() - t0:.0f}s)")
        for head, ys in labels.items():
            scores = {c: _macro_f1(list(ys), oof[(head, c)]) for c in candidates}
            report["candidates"][head] = {c: round(s, 4) for c, s in scores.items()}
            chosen[head] = max(scores, key=scores.__getitem__)
            say(f"  {head}: cross-validated macro-F1 " + ", ".join(f"{c}={s:.3f}" for c, s in scores.items()) + f" → {chosen[head]}")
    else:
        chosen = {h: fixed.get(h) or candidates[0] for h in labels}
    report["chosen"] = chosen
    t0 = time.perf_counter()
    from .estimator import ComplaintClassifier

    feat = make_feat().fit(norm)
    heads: dict[str, LinearHead] = {}
    for head, ys in labels.items():
        # the final heads are fitted by the public estimator, on the features both share
        clf = ComplaintClassifier(estimator=chosen[head], C=10.0, random_state=random_state)
        heads[head] = clf.fit(norm, [str(y) for y in ys], weights, featurizer=feat, normalized=True).head_
    report["fit_seconds"] = round(time.perf_counter() - t0, 2)
    report["n_train"] = len(norm)
    report["n_features"] = feat.n_features
    return ComplaintModel(feat, heads, name=name), report


def _require(df: Any, col: str | None, what: str) -> None:
    if col is not None and col not in df.columns:
        raise TrainingDataError(f"{what} column {col!r} not in the file; columns are {list(df.columns)}")


def train_from_file(
    path: str | Path,
    output: str | Path,
    *,
    text_col: str = "text",
    category_col: str | None = None,
    emotion_col: str | None = None,
    split_col: str | None = None,
    group_col: str | None = "group",
    allow_new_labels: bool = False,
    estimator: str | Mapping[str, str] = "auto",
    encoding: str | None = None,
    name: str | None = None,
    command: str | None = None,
    log: TextIO | None = None,
    tokenizer: str = "rjieba",
    placeholders: bool = True,
    min_df: int = 2,
    weight_by: str | None = None,
    weight_power: float = 0.5,
) -> dict[str, Any]:
    """Train from a labeled file and write a model directory; returns the manifest.

    ``weight_by``: a column (e.g. ``channel``) whose values get total training weights in
    proportion to ``count ** weight_power`` (:func:`share_weights`), so one large source does not
    drown the others; the manifest records it. ``None`` (default): every row weighs 1.

    ``tokenizer`` is ``"rjieba"`` (default, jieba-rs) or ``"jieba"``; the model records it and
    always scores with the backend it was trained with. ``placeholders`` (default True) trains
    on typed placeholders for @-accounts, brands, links and numbers
    (:mod:`complaint_nlp.placeholders`); the model stores the spec it was trained with.
    ``min_df``: an n-gram must occur in at least this many training messages to be a feature."""
    df = read_labeled(path, encoding)
    _require(df, text_col, "text")
    if category_col is None and emotion_col is None:
        raise TrainingDataError("give --category-col and/or --emotion-col")
    _require(df, category_col, "category")
    _require(df, emotion_col, "emotion")
    _require(df, split_col, "split")
    if split_col is not None:
        df = df[df[split_col].astype(str).str.strip().str.lower() == "train"].reset_index(drop=True)
    if df.empty:
        raise TrainingDataError("no training rows")
    texts = [t if isinstance(t, str) else None for t in df[text_col].tolist()]
    labels: dict[str, list[str]] = {}
    for head, col in (("category", category_col), ("emotion", emotion_col)):
        if col is not None:
            labels[head] = [v.strip() if isinstance(v, str) else v for v in df[col].tolist()]
    _validate(texts, labels, allow_new_labels)
    groups = df[group_col].astype(str).tolist() if group_col and group_col in df.columns else None
    weights = None
    if weight_by is not None:
        _require(df, weight_by, "weight-by")
        values = df[weight_by].astype(str).str.strip()
        missing = df[weight_by].isna() | (values == "")
        if missing.any():
            raise TrainingDataError(f"weight-by column {weight_by!r}: {int(missing.sum())} training rows have no value")
        weights = share_weights(values.tolist(), weight_power)
    _log.info("training on %d rows from %s (%s)", len(texts), path, ", ".join(labels))
    if log:
        log.write(f"training on {len(texts)} rows from {path} ({', '.join(labels)})\n")
    model, report = train_model(texts, labels, groups=groups, estimator=estimator, featurizer=Featurizer(tokenizer, min_df=min_df, placeholders=PlaceholderSpec.load() if placeholders else None), name=name or Path(output).name, log=log, sample_weight=weights)  # type: ignore[arg-type]
    if weight_by is not None:
        report["sample_weights"] = {"column": weight_by, "power": weight_power}
    extra = {
        "trained_on": {"file": Path(path).name, "sha256": _sha256(Path(path)), "rows": len(texts), "split_col": split_col},
        "training": report,
        "command": command,
        "label_sets": {h: sorted(set(v)) for h, v in labels.items()},
    }
    model.save(output, extra_manifest=extra)
    _log.info("model written to %s", output)
    if log:
        log.write(f"model written to {output}\n")
    return model.manifest


# ============================================================ evaluation
def classification_report(y_true: Sequence[str], y_pred: Sequence[str], labels: Sequence[str] | None = None) -> dict[str, Any]:
    """Accuracy, macro-F1, per-class precision/recall/F1/support and the confusion matrix."""
    from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support

    labs = list(labels) if labels is not None else sorted(set(y_true) | set(y_pred))
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=labs, zero_division=0)
    present = [i for i, n in enumerate(s) if n > 0]
    return {
        "n": len(y_true),
        "accuracy": float(accuracy_score(y_true, y_pred)) if len(y_true) else 0.0,
        "macro_f1": float(np.mean([f[i] for i in present])) if present else 0.0,
        "per_class": {lab: {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]), "support": int(s[i])} for i, lab in enumerate(labs)},
        "labels": labs,
        "confusion": confusion_matrix(y_true, y_pred, labels=labs).tolist(),
    }


def format_report(head: str, rep: Mapping[str, Any]) -> str:
    """Plain-text table of a :func:`classification_report`."""
    labs = rep["labels"]
    w = max(12, *(len(x) for x in labs))
    lines = [f"== {head}: n={rep['n']}  accuracy={rep['accuracy']:.3f}  macro-F1={rep['macro_f1']:.3f}", f"{'class':<{w}} precision recall     f1 support"]
    for lab in labs:
        pc = rep["per_class"][lab]
        lines.append(f"{lab:<{w}} {pc['precision']:9.3f} {pc['recall']:6.3f} {pc['f1']:6.3f} {pc['support']:7d}")
    lines.append("confusion (rows = true, columns = predicted):")
    short = [x[:6] for x in labs]
    lines.append(" " * (w + 1) + " ".join(f"{s:>6}" for s in short))
    for lab, row in zip(labs, rep["confusion"]):
        lines.append(f"{lab:<{w}} " + " ".join(f"{v:6d}" for v in row))
    return "\n".join(lines)


def plot_confusion(rep: Mapping[str, Any], title: str, path: str | Path) -> Path:
    """Write the confusion matrix as a PNG (needs matplotlib)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover
        raise RuntimeError("--plot needs matplotlib: pip install 'complaint_nlp[plot]'") from exc
    cm = np.asarray(rep["confusion"], dtype=float)
    norm = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1)
    labs = rep["labels"]
    fig, ax = plt.subplots(figsize=(1.0 + 0.7 * len(labs), 1.0 + 0.6 * len(labs)))
    ax.imshow(norm, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(labs)), labs, rotation=45, ha="right")
    ax.set_yticks(range(len(labs)), labs)
    for i in range(len(labs)):
        for j in range(len(labs)):
            ax.text(j, i, int(cm[i, j]), ha="center", va="center", color="white" if norm[i, j] > 0.5 else "black", fontsize=8)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    fig.tight_layout()
    out = Path(path)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


def evaluate_file(
    path: str | Path,
    *,
    model: str | Path | None = None,
    text_col: str = "text",
    category_col: str | None = None,
    emotion_col: str | None = None,
    split: str | None = None,
    encoding: str | None = None,
    json_path: str | Path | None = None,
    plot_dir: str | Path | None = None,
) -> dict[str, Any]:
    """Evaluate a model on a labeled file; returns ``{"heads": {...}, "text": table}``."""
    df = read_labeled(path, encoding)
    _require(df, text_col, "text")
    if split is not None:
        _require(df, "split", "split")
        df = df[df["split"].astype(str) == split].reset_index(drop=True)
    if category_col is None and emotion_col is None:
        category_col = "category" if "category" in df.columns else None
        emotion_col = "emotion" if "emotion" in df.columns else None
        if category_col is None and emotion_col is None:
            raise TrainingDataError("give --category-col and/or --emotion-col")
    _require(df, category_col, "category")
    _require(df, emotion_col, "emotion")
    m = load_model(model)
    keep = [i for i, t in enumerate(df[text_col].tolist()) if isinstance(t, str) and t.strip()]
    texts = [df[text_col].iloc[i] for i in keep]
    out: dict[str, Any] = {"model": m.name, "file": str(path), "rows": len(df), "scored_rows": len(keep), "heads": {}}
    chunks = []
    for head, col in (("category", category_col), ("emotion", emotion_col)):
        if col is None:
            continue
        if head not in m.heads:
            raise TrainingDataError(f"model {m.name!r} has no {head} head")
        y_true = [str(df[col].iloc[i]).strip() for i in keep]
        P = m.predict_proba(texts, head)
        classes = m.heads[head].classes
        y_pred = [classes[j] for j in P.argmax(axis=1)]
        rep = classification_report(y_true, y_pred, sorted(set(classes) | set(y_true)))
        out["heads"][head] = rep
        chunks.append(format_report(head, rep))
        if plot_dir is not None:
            Path(plot_dir).mkdir(parents=True, exist_ok=True)
            png = Path(plot_dir) / f"confusion_{head}.png"
            plot_confusion(rep, f"{m.name}: {head}", png)
            chunks.append(f"confusion matrix plot: {png}")
    out["text"] = "\n\n".join(chunks)
    if json_path is not None:
        Path(json_path).write_text(json.dumps({k: v for k, v in out.items() if k != "text"}, ensure_ascii=False, indent=2), encoding="utf-8")
    return out
