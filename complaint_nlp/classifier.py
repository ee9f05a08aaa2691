"""Category and emotion classifiers: TF-IDF features + calibrated linear models.

* :class:`ComplaintClassifier` is a scikit-learn estimator for ONE label set
  (``fit`` / ``predict`` / ``predict_proba`` / ``classes_``) on raw texts.
* :class:`ComplaintModel` bundles a shared :class:`~complaint_nlp.features.Featurizer` with the
  category head and the emotion head; it is what :class:`~complaint_nlp.Analyzer` loads.

Fitted linear models are exported to plain arrays (:class:`LinearHead`) and scored by our own
code: predictions equal scikit-learn's (tested) without scikit-learn's per-call overhead, and a
saved model is JSON + ``.npz`` (``allow_pickle=False``), so loading a model file never runs code.
"""

from __future__ import annotations

import hashlib
import json
import math
import platform
import warnings
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from ._version import __version__
from .errors import ModelError
from .features import Featurizer, Rows
from .normalize import normalize

__all__ = [
    "ComplaintClassifier",
    "ComplaintModel",
    "LinearHead",
    "ModelError",
    "ESTIMATORS",
    "load_model",
    "default_model_path",
    "FORMAT_VERSION",
    "manifest_digest",
]

#: On-disk format of a model directory. Bumped on any incompatible change. 2: the features may
#: carry a placeholder spec (a library that ignored it would featurise differently, so 1-only
#: readers must refuse such a model). 3: the manifest is hashed (``manifest_sha256``).
FORMAT_VERSION = 3
#: formats this library reads (a format-1 model has no placeholders and scores as before; 3: the
#: manifest carries ``manifest_sha256``, which is then required)
READABLE_FORMATS = (1, 2, 3)
ESTIMATORS = ("logreg", "svc", "sgd", "cnb", "nblr", "logreg_nblr")


def _by_p_desc(kv: tuple[str, float]) -> float:
    return -kv[1]


def _transposed(W: np.ndarray) -> np.ndarray:
    folds, n_out, n_feat = W.shape
    return np.ascontiguousarray(np.transpose(W, (2, 0, 1)).reshape(n_feat, folds * n_out))


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    np.exp(z, out=z)
    z /= z.sum(axis=1, keepdims=True)
    return z


def _expit(z: np.ndarray) -> np.ndarray:
    """Logistic function without overflow warnings."""
    z = np.asarray(z, dtype=np.float64)
    out = np.empty_like(z)
    pos = z >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-z[pos]))
    e = np.exp(z[~pos])
    out[~pos] = e / (1.0 + e)
    return out


@dataclass
class LinearHead:
    """A fitted linear classifier as arrays.

    kind:
      ``softmax``: p = softmax(X W^T + b)  (multinomial logistic regression, complement NB,
        logistic regression pooled with NB-LR)
      ``ovr``: p ∝ expit(X W^T + b)  (one-vs-rest logistic: SGD with log loss, NB-LR)
      ``sigmoid_ensemble``: Platt-calibrated LinearSVC folds: per fold k,
        p_k ∝ expit(-(A_k * (X W_k^T + b_k) + B_k)); p = mean_k p_k
    """

    classes: list[str]
    kind: str
    W: np.ndarray  # (folds, n_out, n_features)
    b: np.ndarray  # (folds, n_out)
    A: np.ndarray | None = None  # (folds, n_out) for sigmoid_ensemble
    B: np.ndarray | None = None

    def __post_init__(self) -> None:
        folds, n_out, _ = self.W.shape
        self.b_flat = self.b.reshape(folds * n_out)

    @cached_property
    def WT(self) -> np.ndarray:
        """(n_features, folds * n_out), C-contiguous: scoring gathers one row per present feature
        and gets every fold's decision values from a single matrix product. Built on first use
        (a :class:`ComplaintModel` keeps one combined matrix for all heads instead)."""
        return _transposed(self.W)

    @property
    def n_outputs(self) -> int:
        return int(self.W.shape[0] * self.W.shape[1])

    def decision(self, X: Any) -> np.ndarray:
        """Decision values of every fold, shape ``(n_samples, folds * n_out)``."""
        if isinstance(X, Rows):
            return X.dot(self.WT) + self.b_flat
        return np.asarray(X @ self.WT) + self.b_flat

    def predict_proba(self, X: Any) -> np.ndarray:
        """Probabilities, shape ``(n_samples, n_classes)``, rows sum to 1.

        ``X`` is a scipy CSR matrix or :class:`~complaint_nlp.features.Rows`."""
        return self.proba_from_decision(self.decision(X))

    def proba_from_decision(self, z: np.ndarray) -> np.ndarray:
        """Probabilities from :meth:`decision` values (bias included)."""
        n_classes = len(self.classes)
        folds, n_out = self.W.shape[0], self.W.shape[1]
        if self.kind == "softmax":
            if n_classes == 2 and n_out == 1:
                z = np.hstack([np.zeros_like(z), z])
            return _softmax(np.array(z, dtype=np.float64))
        if self.kind == "ovr":
            p = _expit(z)
            if n_classes == 2 and n_out == 1:
                return np.hstack([1 - p, p])
            s = p.sum(axis=1, keepdims=True)
            return np.divide(p, s, out=np.full_like(p, 1.0 / n_classes), where=s > 0)
        if self.kind == "sigmoid_ensemble":
            assert self.A is not None and self.B is not None
            zz = z.reshape(len(z), folds, n_out)
            p = _expit(-(self.A * zz + self.B))  # (n, folds, n_out)
            if n_classes == 2 and n_out == 1:
                p = np.concatenate([1 - p, p], axis=2)
            s = p.sum(axis=2, keepdims=True)
            p = np.divide(p, s, out=np.full_like(p, 1.0 / n_classes), where=s > 0)
            return p.mean(axis=1)
        raise ModelError(f"unknown head kind {self.kind!r}")

    def proba_one(self, z: Sequence[float]) -> list[float]:
        """:meth:`proba_from_decision` for ONE row of decision values, in plain Python: for a
        few dozen numbers, inline float math beats numpy's per-call cost (equal to 1e-12, tested).
        Exponents are capped at 700, where the logistic value is already 0 to 1e-300."""
        n_classes = len(self.classes)
        folds, n_out = self.W.shape[0], self.W.shape[1]
        exp = math.exp
        if self.kind == "softmax":
            zz = [0.0, z[0]] if (n_classes == 2 and n_out == 1) else list(z)
            top = max(zz)
            e = [exp(v - top) for v in zz]
            s = math.fsum(e)
            return [v / s for v in e]
        if self.kind == "ovr":
            p = [1.0 / (1.0 + exp(min(-v, 700.0))) for v in z]
            if n_classes == 2 and n_out == 1:
                return [1.0 - p[0], p[0]]
            s = math.fsum(p)
            return [v / s for v in p] if s > 0 else [1.0 / n_classes] * n_classes
        if self.kind == "sigmoid_ensemble":
            A, B = self._AB  # flat lists, fold-major like z
            p = [1.0 / (1.0 + exp(min(a * v + b, 700.0))) for a, v, b in zip(A, z, B)]
            if n_classes == 2 and n_out == 1:
                p = [x for q in p for x in (1.0 - q, q)]
                n_out = 2
            out = [0.0] * n_classes
            for k in range(folds):
                seg = p[k * n_out : (k + 1) * n_out]
                s = math.fsum(seg)
                if s > 0:
                    out = [o + v / s for o, v in zip(out, seg)]
                else:
                    out = [o + 1.0 / n_classes for o in out]
            return [v / folds for v in out]
        raise ModelError(f"unknown head kind {self.kind!r}")

    @cached_property
    def _AB(self) -> tuple[list[float], list[float]]:
        assert self.A is not None and self.B is not None
        return self.A.ravel().tolist(), self.B.ravel().tolist()

    @classmethod
    def from_sklearn(cls, est: Any, classes: Sequence[str]) -> "LinearHead":
        """Export a fitted LogisticRegression / LogRegNBLR / SGDClassifier / NBLogisticRegression /
        ComplementNB / calibrated LinearSVC."""
        from sklearn.calibration import CalibratedClassifierCV
        from sklearn.linear_model import LogisticRegression, SGDClassifier
        from sklearn.naive_bayes import ComplementNB

        from .nblr import LogRegNBLR, NBLogisticRegression

        classes = [str(c) for c in classes]
        if isinstance(est, (LogisticRegression, LogRegNBLR)):
            W, b = est.coef_, est.intercept_
            if len(classes) > 2:
                return cls(classes, "softmax", W[None].copy(), b[None].copy())
            return cls(classes, "ovr", W[None].copy(), b[None].copy())
        if isinstance(est, (SGDClassifier, NBLogisticRegression)):
            return cls(classes, "ovr", est.coef_[None].copy(), est.intercept_[None].copy())
        if isinstance(est, ComplementNB):
            W = est.feature_log_prob_
            b = np.zeros(W.shape[0]) if len(classes) > 1 else est.class_log_prior_
            return cls(classes, "softmax", W[None].copy(), b[None].copy())
        if isinstance(est, CalibratedClassifierCV):
            Ws, bs, As, Bs = [], [], [], []
            for cc in est.calibrated_classifiers_:
                svc = cc.estimator
                Ws.append(svc.coef_)
                bs.append(svc.intercept_)
                As.append([c.a_ for c in cc.calibrators])
                Bs.append([c.b_ for c in cc.calibrators])
            return cls(classes, "sigmoid_ensemble", np.stack(Ws), np.stack(bs), np.asarray(As, dtype=np.float64), np.asarray(Bs, dtype=np.float64))
        raise TypeError(f"cannot export {type(est).__name__}")


def _make_estimator(name: str, C: float, random_state: int) -> Any:
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.linear_model import LogisticRegression, SGDClassifier
    from sklearn.naive_bayes import ComplementNB
    from sklearn.svm import LinearSVC

    if name == "logreg":
        return LogisticRegression(C=C, class_weight="balanced", max_iter=3000, random_state=random_state)
    if name == "svc":
        return CalibratedClassifierCV(LinearSVC(C=C / 10, class_weight="balanced", random_state=random_state), method="sigmoid", cv=3)
    if name == "sgd":
        return SGDClassifier(loss="log_loss", alpha=1e-5, class_weight="balanced", max_iter=50, tol=None, random_state=random_state)
    if name == "cnb":
        return ComplementNB(alpha=0.3)
    if name == "nblr":
        from .nblr import NBLogisticRegression

        return NBLogisticRegression(C=C / 10, random_state=random_state)
    if name == "logreg_nblr":
        from .nblr import LogRegNBLR

        return LogRegNBLR(C=C, random_state=random_state)
    raise ValueError(f"unknown estimator {name!r}; choose one of {ESTIMATORS}")


def check_weights(sample_weight: Any, n: int) -> np.ndarray | None:
    """``sample_weight`` as a float array of ``n`` non-negative finite weights, or ``None``.

    Raises:
        ValueError: a wrong length or shape, a negative, NaN or infinite weight, or all zero.
    """
    if sample_weight is None:
        return None
    w = np.asarray(list(sample_weight) if not isinstance(sample_weight, np.ndarray) else sample_weight, dtype=np.float64)
    if w.ndim != 1 or len(w) != n:
        raise ValueError(f"sample_weight must hold one weight per text ({n}), got shape {w.shape}")
    bad = np.flatnonzero(~np.isfinite(w) | (w < 0))
    if len(bad):
        raise ValueError(f"sample_weight #{bad[0]} is {w[bad[0]]!r}: weights must be finite and >= 0")
    if n and not w.any():
        raise ValueError("sample_weight is zero for every text")
    return w


def texts_of(X: Any, *, normalized: bool = False) -> list[str]:
    """``X`` as a list of (normalised) texts: a sequence (list, tuple, 1-d array, pandas Series)
    of ``str``.

    Raises:
        TypeError: ``X`` is a single string (it would be read one character per text) or holds
            something that is not a ``str``.
    """
    if isinstance(X, (str, bytes)):
        raise TypeError("X must be a sequence of texts, not a single string; wrap it in a list: [text]")
    if isinstance(X, np.ndarray) and X.ndim != 1:
        raise ValueError(f"X must be one-dimensional (one text per sample), got an array of shape {X.shape}")
    out = []
    for i, x in enumerate(X):
        if not isinstance(x, str):
            raise TypeError(f"text #{i} is {type(x).__name__}, not str")
        out.append(x if normalized else normalize(x).text)
    return out


def __getattr__(name: str) -> Any:
    # ComplaintClassifier, the scikit-learn estimator, lives in .estimator (it imports
    # scikit-learn, which scoring with a shipped model never needs); kept importable from here
    if name == "ComplaintClassifier":
        from .estimator import ComplaintClassifier

        return ComplaintClassifier
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# ====================================================================== the bundled model
def default_model_path() -> Path:
    """Directory of the shipped default model (``models/default`` in the source tree)."""
    return Path(str(resources.files("complaint_nlp._models") / "default"))


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


@dataclass
class ComplaintModel:
    """Shared features + category head + emotion head (either head may be absent)."""

    featurizer: Featurizer
    heads: dict[str, LinearHead]  # "category" / "emotion"
    name: str = "custom"
    manifest: dict[str, Any] = field(default_factory=dict)
    secondary_threshold: float = 0.25

    def __post_init__(self) -> None:
        # one (n_features, outputs of every head) matrix: one gather + one product per call
        self._slices: dict[str, slice] = {}
        parts, biases, start = [], [], 0
        for name, h in self.heads.items():
            self._slices[name] = slice(start, start + h.n_outputs)
            start += h.n_outputs
            parts.append(_transposed(h.W))
            biases.append(h.b_flat)
        self._WT = np.ascontiguousarray(np.hstack(parts)) if parts else np.zeros((self.featurizer.n_features, 0))
        self._b = np.concatenate(biases) if biases else np.zeros(0)
        for name, h in self.heads.items():
            # each head's weights become views into the combined matrix: one copy in memory
            sl = self._slices[name]
            folds, n_out, n_feat = h.W.shape
            h.__dict__["WT"] = self._WT[:, sl]
            h.W = self._WT[:, sl].T.reshape(folds, n_out, n_feat)
        self._b_list: list[float] = self._b.tolist()

    @property
    def category_classes(self) -> list[str]:
        return self.heads["category"].classes if "category" in self.heads else []

    @property
    def emotion_classes(self) -> list[str]:
        return self.heads["emotion"].classes if "emotion" in self.heads else []

    def predict_proba(self, texts: Sequence[str], head: str, *, normalized: bool = False) -> np.ndarray:
        t = texts_of(texts, normalized=normalized)
        return self.heads[head].predict_proba(self.featurizer.rows(t))

    def score_dicts(self, normalized_texts: Sequence[str]) -> list[tuple[dict[str, float], dict[str, float]]]:
        """For each normalised text: ``(category code → p, emotion code → p)``.

        One text goes through :meth:`Featurizer.single` (the low-latency path); a batch through the
        vectorised :meth:`Featurizer.rows`. Both give the same numbers (tested on the corpus)."""
        return self._score(normalized_texts)[0]

    def _score(self, normalized_texts: Sequence[str]) -> tuple[list[tuple[dict[str, float], dict[str, float]]], tuple[Rows, ...], list[Any] | None]:
        """:meth:`score_dicts` plus what category evidence reuses: the feature rows scored
        (``(row,)`` with every column for one text, ``(word block, char block)`` for a batch) and
        the texts with placeholders (:class:`~complaint_nlp.placeholders.Masked`, None without)."""
        spec = self.featurizer.placeholders
        masked = [spec.mask(t) for t in normalized_texts] if spec is not None else None
        texts = [m.text for m in masked] if masked is not None else normalized_texts
        if len(texts) == 1:
            X, c, e = self._one(texts[0], prepared=True)
            return [(c, e)], (X,), masked
        Xw, Xc = self.featurizer.blocks(texts, prepared=True)
        n_word = Xw.n_cols
        Z = Xw.dot(self._WT[:n_word]) + Xc.dot(self._WT[n_word:]) + self._b
        out_c: list[dict[str, float]] = [{} for _ in normalized_texts]
        out_e: list[dict[str, float]] = [{} for _ in normalized_texts]
        for head, out in (("category", out_c), ("emotion", out_e)):
            if head in self.heads:
                h = self.heads[head]
                P = h.proba_from_decision(Z[:, self._slices[head]])
                classes = h.classes
                for i, probs in enumerate(P.tolist()):
                    out[i] = dict(zip(classes, probs))
        return list(zip(out_c, out_e)), (Xw, Xc), masked

    def score_ranked(self, normalized_texts: Sequence[str], evidence: int = 0) -> list[tuple[dict[str, float], dict[str, float], str | None, str | None, str | None, list[Any]]]:
        """:meth:`score_dicts` plus, per text, ``(category, category2, emotion, evidence)``: the
        top category, the :meth:`secondary` one, the top emotion (None where a head is absent) and
        up to ``evidence`` :class:`~complaint_nlp.explain.SpanScore` spans of the normalised text
        that raised the top category most (:mod:`~complaint_nlp.explain`; computed from the rows
        just scored)."""
        scored, rows, masked = self._score(normalized_texts)
        ranked = []
        for cat, emo in scored:
            first, second = self._top_two(cat)
            ranked.append((cat, emo, first, second, max(emo, key=emo.__getitem__) if emo else None))
        if evidence > 0 and "category" in self.heads:
            from .explain import evidence_for_rows

            spans = evidence_for_rows(self, normalized_texts, [r[2] for r in ranked], evidence, rows, masked)
        else:
            spans = [[] for _ in ranked]
        return [(*r, sp) for r, sp in zip(ranked, spans)]

    def _top_two(self, category_scores: Mapping[str, float]) -> tuple[str | None, str | None]:
        """The most probable category and the :meth:`secondary` one (ties keep class order)."""
        if not category_scores:
            return None, None
        ranked = sorted(category_scores.items(), key=_by_p_desc)  # one stable sort, not two max()
        if len(ranked) > 1 and ranked[1][1] >= self.secondary_threshold:
            return ranked[0][0], ranked[1][0]
        return ranked[0][0], None

    def score_one(self, normalized_text: str) -> tuple[dict[str, float], dict[str, float]]:
        """:meth:`score_dicts` of one text: the low-latency path (one sparse row, one gather and
        product over the combined weights, probabilities in plain Python)."""
        _, c, e = self._one(normalized_text)
        return c, e

    def _one(self, normalized_text: str, *, prepared: bool = False) -> tuple[Rows, dict[str, float], dict[str, float]]:
        X = self.featurizer.single(normalized_text, prepared=prepared)
        z = (X.val @ self._WT[X.col]).tolist() if len(X.col) else [0.0] * len(self._b_list)
        z = [a + b for a, b in zip(z, self._b_list)]
        out: list[dict[str, float]] = [{}, {}]
        for i, head in enumerate(("category", "emotion")):
            h = self.heads.get(head)
            if h is not None:
                out[i] = dict(zip(h.classes, h.proba_one(z[self._slices[head]])))
        return X, out[0], out[1]

    def secondary(self, category_scores: Mapping[str, float]) -> str | None:
        """Second most probable category when its probability ≥ ``secondary_threshold``."""
        return self._top_two(category_scores)[1]

    # ---------------------------------------------------------------- persistence
    def save(self, directory: str | Path, *, extra_manifest: Mapping[str, Any] | None = None) -> Path:
        """Write ``manifest.json``, ``vocab.json`` and ``weights.npz`` into ``directory``."""
        import sklearn

        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        arrays: dict[str, np.ndarray] = {"word_idf": self.featurizer.word_idf, "char_idf": self.featurizer.char_idf}
        heads_meta = {}
        for name, h in self.heads.items():
            arrays[f"{name}.W"] = h.W.astype(np.float32)
            arrays[f"{name}.b"] = h.b.astype(np.float64)
            if h.A is not None and h.B is not None:
                arrays[f"{name}.A"] = h.A
                arrays[f"{name}.B"] = h.B
            heads_meta[name] = {"classes": h.classes, "kind": h.kind}
        weights = d / "weights.npz"
        vocab = d / "vocab.json"
        np.savez_compressed(weights, **arrays)
        vocab.write_text(json.dumps(self.featurizer.vocab_lists(), ensure_ascii=False), encoding="utf-8")
        manifest: dict[str, Any] = dict(self.manifest)
        manifest.update(extra_manifest or {})
        manifest.update(
            {
                "format_version": FORMAT_VERSION,
                "name": self.name,
                "library_version": __version__,
                "sklearn_version": sklearn.__version__,
                "numpy_version": np.__version__,
                "python_version": platform.python_version(),
                "features": self.featurizer.get_config(),
                "n_features": self.featurizer.n_features,
                "heads": heads_meta,
                "secondary_threshold": self.secondary_threshold,
                "files": {"weights.npz": _sha256(weights), "vocab.json": _sha256(vocab)},
            }
        )
        manifest.pop("manifest_sha256", None)
        manifest = json.loads(json.dumps(manifest, ensure_ascii=False))  # hash what load will read
        manifest["manifest_sha256"] = manifest_digest(manifest)
        (d / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        self.manifest = manifest
        return d

    @classmethod
    def load(cls, directory: str | Path) -> "ComplaintModel":
        """Load and verify a model directory.

        Checked before anything large is read: sizes of the files, the manifest's own sha256
        (``manifest_sha256``), its schema (types, class lists sorted and unique, head kinds,
        feature counts), the sha256 of every file, and the shape and dtype of every array in
        ``weights.npz`` against the manifest (from the array headers, before decompression).
        Every problem is one :class:`~complaint_nlp.errors.ModelError` line.

        Nothing in a model directory is executed: the manifest and vocabulary are JSON and the
        weights are read with ``numpy.load(allow_pickle=False)``.
        """
        d = Path(directory)
        mpath = d / "manifest.json"
        if not mpath.is_file():
            raise ModelError(f"no model at {d}: manifest.json not found")
        manifest = _read_json(mpath, MAX_MANIFEST_BYTES, "manifest")
        if not isinstance(manifest, dict):
            raise ModelError(f"{mpath}: the manifest must be a JSON object, not {type(manifest).__name__}")
        fv = manifest.get("format_version")
        if isinstance(fv, bool) or fv not in READABLE_FORMATS:
            raise ModelError(f"{d}: model format {fv!r} is not supported by complaint_nlp {__version__} (reads {', '.join(map(str, READABLE_FORMATS))}); retrain it with `complaint-nlp train`")
        if fv >= 3:
            want = manifest.get("manifest_sha256")
            got = manifest_digest(manifest)
            if want != got:
                raise ModelError(f"{mpath}: manifest_sha256 {want!r} does not match its content ({got}); the manifest was edited or is corrupt")
        _validate_manifest(manifest, mpath)
        _check_sklearn_version(manifest, d)
        files = manifest["files"]
        for fname in ("weights.npz", "vocab.json"):
            p = d / fname
            if not p.is_file():
                raise ModelError(f"{d}: {fname} is missing")
            got = _sha256(p)
            if files[fname] != got:
                raise ModelError(f"{p}: sha256 {got} does not match the manifest ({files[fname]}); the model file is corrupt or was modified")
        vocab = _read_json(d / "vocab.json", MAX_VOCAB_BYTES, "vocabulary")
        if not (isinstance(vocab, dict) and all(isinstance(vocab.get(k), list) for k in ("word", "char"))):
            raise ModelError(f"{d / 'vocab.json'}: must be an object with 'word' and 'char' lists")
        n_word, n_char = len(vocab["word"]), len(vocab["char"])
        if n_word + n_char != manifest["n_features"]:
            raise ModelError(f"{d}: vocabulary has {n_word + n_char} features, the manifest says {manifest['n_features']}")
        arrays = _read_npz(d / "weights.npz", _expected_arrays(manifest, n_word, n_char))
        try:
            feat = Featurizer.from_state(manifest["features"], vocab, arrays["word_idf"], arrays["char_idf"])
            heads = {}
            for name, meta in manifest["heads"].items():
                W = arrays[f"{name}.W"]  # float32 on disk and in memory: half the RSS, same argmax
                heads[name] = LinearHead(list(meta["classes"]), meta["kind"], W, arrays[f"{name}.b"], arrays.get(f"{name}.A"), arrays.get(f"{name}.B"))
        except ModelError:
            raise
        except (KeyError, ValueError, TypeError, OSError) as exc:
            raise ModelError(f"{d}: malformed model: {exc!r}") from exc
        return cls(feat, heads, name=str(manifest.get("name", d.name)), manifest=manifest, secondary_threshold=float(manifest.get("secondary_threshold", 0.25)))


#: size limits checked before a model file is read (a model of 200,000 features is ~2 MB of
#: vocabulary and ~11 MB of weights; these leave room for 100x that)
MAX_MANIFEST_BYTES = 8 * 1024 * 1024
MAX_VOCAB_BYTES = 512 * 1024 * 1024
MAX_ARRAY_BYTES = 4 * 1024**3
MAX_FEATURES = 50_000_000
MAX_FOLDS = 64
HEAD_KINDS = ("softmax", "ovr", "sigmoid_ensemble")


def manifest_digest(manifest: Mapping[str, Any]) -> str:
    """sha256 of a manifest's content without its ``manifest_sha256`` key (canonical JSON:
    sorted keys, UTF-8), as :meth:`ComplaintModel.save` stores it and ``load`` checks it."""
    body = {k: v for k, v in manifest.items() if k != "manifest_sha256"}
    data = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=True)
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


def _read_json(path: Path, limit: int, what: str) -> Any:
    try:
        size = path.stat().st_size
        if size > limit:
            raise ModelError(f"{path}: {what} is {size:,} bytes, more than the {limit:,} a model may have")
        return json.loads(path.read_text(encoding="utf-8"))
    except ModelError:
        raise
    except RecursionError:
        raise ModelError(f"{path}: unreadable {what}: nested too deeply") from None
    except (OSError, ValueError) as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise ModelError(f"{path}: unreadable {what}: {exc}") from None


def _validate_manifest(m: Mapping[str, Any], where: Path) -> None:
    """Types and consistency of every manifest key the loader reads."""

    def bad(key: str, why: str) -> ModelError:
        return ModelError(f"{where}: key {key!r}: {why}")

    def is_int(v: Any) -> bool:
        return isinstance(v, int) and not isinstance(v, bool)

    if not is_int(m.get("n_features")) or not 1 <= m["n_features"] <= MAX_FEATURES:
        raise bad("n_features", f"must be an integer in 1..{MAX_FEATURES:,}, got {m.get('n_features')!r}")
    st = m.get("secondary_threshold", 0.25)
    if isinstance(st, bool) or not isinstance(st, (int, float)) or not 0 <= st <= 1:
        raise bad("secondary_threshold", f"must be a number in 0..1, got {st!r}")
    if not isinstance(m.get("name", ""), str):
        raise bad("name", "must be a string")
    if not isinstance(m.get("features"), dict):
        raise bad("features", "must be an object (the featurizer's configuration)")
    files = m.get("files")
    if not isinstance(files, dict) or not all(isinstance(files.get(f), str) and len(files[f]) == 64 for f in ("weights.npz", "vocab.json")):
        raise bad("files", "must give the sha256 (64 hex digits) of weights.npz and vocab.json")
    heads = m.get("heads")
    if not isinstance(heads, dict) or not heads or not set(heads) <= {"category", "emotion"}:
        raise bad("heads", "must be an object with a 'category' and/or an 'emotion' head")
    for name, meta in heads.items():
        if not isinstance(meta, dict) or set(meta) != {"classes", "kind"}:
            raise bad(f"heads.{name}", "must be an object with exactly 'classes' and 'kind'")
        if meta["kind"] not in HEAD_KINDS:
            raise bad(f"heads.{name}.kind", f"{meta['kind']!r} is not one of {', '.join(HEAD_KINDS)}")
        classes = meta["classes"]
        if not isinstance(classes, list) or len(classes) < 2 or not all(isinstance(c, str) and c for c in classes):
            raise bad(f"heads.{name}.classes", "must be a list of at least two class names")
        if classes != sorted(set(classes)):
            # scikit-learn orders classes_ sorted and unique; a reordered list would relabel
            # every prediction without a word
            raise bad(f"heads.{name}.classes", "must be sorted and unique (the order of the weight rows)")
        ls = m.get("label_sets", {})
        if isinstance(ls, dict) and name in ls and ls[name] != classes:
            raise bad(f"heads.{name}.classes", f"differ from label_sets.{name}")


def _expected_arrays(m: Mapping[str, Any], n_word: int, n_char: int) -> dict[str, tuple[tuple[int | None, ...], str]]:
    """Array name → (shape with None for 'any up to MAX_FOLDS', dtype kind) the manifest implies."""
    n = m["n_features"]
    out: dict[str, tuple[tuple[int | None, ...], str]] = {"word_idf": ((n_word,), "f"), "char_idf": ((n_char,), "f")}
    for name, meta in m["heads"].items():
        k = len(meta["classes"])
        n_out = None if k == 2 else k  # a binary head stores one row or two
        out[f"{name}.W"] = ((None, n_out, n), "f")
        out[f"{name}.b"] = ((None, n_out), "f")
        if meta["kind"] == "sigmoid_ensemble":
            out[f"{name}.A"] = ((None, n_out), "f")
            out[f"{name}.B"] = ((None, n_out), "f")
    return out


def _read_npz(path: Path, expected: Mapping[str, tuple[tuple[int | None, ...], str]]) -> dict[str, np.ndarray]:
    """Read ``weights.npz`` after checking, for every member, its name, its declared size and the
    shape and dtype in its header against ``expected``: a file that claims terabytes, or a
    compressed bomb, is refused before anything is allocated."""
    import zipfile

    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ModelError(f"{path}: not a valid weights file: {exc}") from None
    arrays: dict[str, np.ndarray] = {}
    with zf:
        infos = {i.filename[:-4] if i.filename.endswith(".npy") else i.filename: i for i in zf.infolist()}
        unknown = sorted(set(infos) - set(expected))
        missing = sorted(k for k in expected if k not in infos)
        if unknown or missing:
            raise ModelError(f"{path}: arrays {missing} missing, {unknown} unexpected")
        for key, info in infos.items():
            shape_want, kind = expected[key]
            try:
                with zf.open(info) as f:
                    version = np.lib.format.read_magic(f)
                    if version == (1, 0):
                        shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
                    else:
                        shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
            except (ValueError, OSError, zipfile.BadZipFile, EOFError) as exc:
                raise ModelError(f"{path}: array {key!r}: unreadable header: {exc}") from None
            ok = len(shape) == len(shape_want) and all(w is None or s == w for s, w in zip(shape, shape_want))
            if ok and shape_want[0] is None:
                ok = 1 <= shape[0] <= MAX_FOLDS and (len(shape) < 2 or shape[1] in (1, 2) or shape_want[1] is not None)
            if not ok:
                raise ModelError(f"{path}: array {key!r} has shape {shape}, the manifest implies {tuple('k' if w is None else w for w in shape_want)}")
            if dtype.kind != kind or dtype.hasobject:
                raise ModelError(f"{path}: array {key!r} has dtype {dtype}, expected floating point")
            nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
            if nbytes > MAX_ARRAY_BYTES or info.file_size > nbytes + 65536:
                raise ModelError(f"{path}: array {key!r} declares {info.file_size:,} bytes for {nbytes:,} bytes of data; refused")
            try:
                with zf.open(info) as f:
                    arrays[key] = np.lib.format.read_array(f, allow_pickle=False)
            except (ValueError, OSError, zipfile.BadZipFile, EOFError) as exc:
                raise ModelError(f"{path}: array {key!r}: {exc}") from None
    heads = {k.split(".")[0] for k in arrays if "." in k}
    for h in heads:  # a binary head: W, b (and A, B) agree on one row or two
        rows = {arrays[k].shape[1] for k in arrays if k.startswith(h + ".")}
        folds = {arrays[k].shape[0] for k in arrays if k.startswith(h + ".")}
        if len(rows) != 1 or len(folds) != 1:
            raise ModelError(f"{path}: head {h!r}: arrays disagree on folds or rows")
    return arrays


def _check_sklearn_version(manifest: Mapping[str, Any], d: Path) -> None:
    """The saved arrays do not depend on scikit-learn, but a model trained with another MAJOR
    version may differ in feature extraction details; refuse it with a clear message."""
    installed = _installed_sklearn()
    saved = str(manifest.get("sklearn_version", ""))
    if not saved:
        raise ModelError(f"{d}: manifest has no sklearn_version; not a complaint_nlp model")
    if saved.split(".")[0] != installed.split(".")[0]:
        raise ModelError(f"{d}: trained with scikit-learn {saved}, this is {installed}; retrain the model with this version")
    if saved.split(".")[:2] != installed.split(".")[:2]:
        warnings.warn(f"{d}: trained with scikit-learn {saved}, running {installed}; predictions are computed from saved arrays and should match", stacklevel=3)


def _installed_sklearn() -> str:
    # the version from package metadata: importing scikit-learn itself costs ~1.5 s and ~120 MB,
    # and scoring never needs it
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("scikit-learn")
    except PackageNotFoundError:  # pragma: no cover
        return "0"


def load_model(path: str | Path | None = None) -> ComplaintModel:
    """Load the shipped default model (``path=None``) or a model directory the caller names."""
    if path is None:
        d = default_model_path()
        if not (d / "manifest.json").is_file():
            raise ModelError(f"the shipped default model is missing from {d}; reinstall complaint_nlp, or use Analyzer.load(model=False) for rules only")
        return ComplaintModel.load(d)
    return ComplaintModel.load(path)
