"""Word + character TF-IDF features with an exportable, pickle-free state.

:class:`Featurizer` is fitted with scikit-learn's ``TfidfVectorizer`` (word 1-2 grams on the
jieba tokens, character 1-3 grams), then keeps only plain arrays: vocabularies and IDF weights.
Its own :meth:`Featurizer.transform` reproduces scikit-learn's output exactly (tested), so a saved
model is a JSON vocabulary plus numeric arrays that loading cannot turn into code execution.
"""

from __future__ import annotations

import math
import re
import threading
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from .tokenize import Tokenizer

__all__ = ["Featurizer", "Rows"]

if TYPE_CHECKING:  # scipy is imported only where a scipy matrix is asked for
    import scipy.sparse as sp


@dataclass(frozen=True)
class Rows:
    """A CSR-like batch of TF-IDF rows (no scipy needed at scoring time)."""

    indptr: np.ndarray  # (n_rows + 1,)
    col: np.ndarray  # (nnz,)
    val: np.ndarray  # (nnz,)
    n_cols: int

    def __len__(self) -> int:
        return len(self.indptr) - 1

    def dot(self, WT: np.ndarray) -> np.ndarray:
        """``X @ WT`` for ``WT`` of shape ``(n_cols, k)``: shape ``(n_rows, k)``."""
        n = len(self)
        if n == 1:  # one message: a gather and a vector-matrix product
            return (self.val @ WT[self.col])[None, :].astype(np.float64)
        # a batch: scipy's sparse x dense product never materialises the gathered rows
        return np.asarray(self.to_scipy() @ WT, dtype=np.float64)

    def to_scipy(self) -> "sp.csr_matrix":
        import scipy.sparse as sp

        return sp.csr_matrix((self.val, self.col, self.indptr), shape=(len(self), self.n_cols))

_WS = re.compile(r"\s\s+")  # scikit-learn's char analyzer folds runs of white space
_TABLE_LOCK = threading.Lock()


def _pack(gram: str) -> int:
    """A 1-3 character n-gram as one integer: 21 bits per code point."""
    k = 0
    for ch in gram:
        k = (k << 21) | ord(ch)
    return k


class Featurizer:
    """TF-IDF featurizer: ``[word tf-idf | char tf-idf]``, each block L2-normalised.

    Args:
        tokenizer: backend name for :class:`~complaint_nlp.tokenize.Tokenizer`.
        word_ngram_range / char_ngram_range: n-gram ranges.
        min_df: minimum document frequency of a feature.
        max_features: cap per block (most frequent kept), None for no cap.
        sublinear_tf: use 1 + log(tf).
    """

    def __init__(
        self,
        tokenizer: str = "rjieba",
        word_ngram_range: tuple[int, int] = (1, 2),
        char_ngram_range: tuple[int, int] = (1, 3),
        min_df: int = 2,
        max_features: int | None = 200_000,
        sublinear_tf: bool = True,
    ) -> None:
        self.tokenizer = tokenizer
        self.word_ngram_range = tuple(word_ngram_range)
        self.char_ngram_range = tuple(char_ngram_range)
        self.min_df = min_df
        self.max_features = max_features
        self.sublinear_tf = sublinear_tf
        self._tok = Tokenizer(tokenizer)
        self.word_vocab: dict[str, int] = {}
        self.char_vocab: dict[str, int] = {}
        self.word_idf = np.zeros(0)
        self.char_idf = np.zeros(0)

    # ---------------------------------------------------------------- analyzers
    def words(self, text: str) -> list[str]:
        """Word n-grams of ``text`` (lower-cased, segmented), as scikit-learn builds them."""
        toks = self._tok.cut(text.lower())
        lo, hi = self.word_ngram_range
        if hi == 1:
            return toks
        out = list(toks) if lo == 1 else []
        n_toks = len(toks)
        for n in range(max(lo, 2), min(hi, n_toks) + 1):
            out.extend(" ".join(toks[i : i + n]) for i in range(n_toks - n + 1))
        return out

    def chars(self, text: str) -> list[str]:
        """Character n-grams, exactly as scikit-learn's ``analyzer='char'``."""
        doc = _WS.sub(" ", text.lower())
        lo, hi = self.char_ngram_range
        out: list[str] = list(doc) if lo == 1 else []
        n_chars = len(doc)
        for n in range(max(lo, 2), min(hi, n_chars) + 1):
            out.extend(doc[i : i + n] for i in range(n_chars - n + 1))
        return out

    # ---------------------------------------------------------------- fit / transform
    def fit(self, texts: Sequence[str]) -> "Featurizer":
        """Learn vocabularies and IDF from normalised texts (list of str)."""
        from sklearn.feature_extraction.text import TfidfVectorizer

        common: dict[str, Any] = dict(min_df=self.min_df, max_features=self.max_features, sublinear_tf=self.sublinear_tf, dtype=np.float64)
        wv = TfidfVectorizer(analyzer=self.words, **common)
        cv = TfidfVectorizer(analyzer=self.chars, **common)
        wv.fit(texts)
        cv.fit(texts)
        self.word_vocab = {k: int(v) for k, v in wv.vocabulary_.items()}
        self.char_vocab = {k: int(v) for k, v in cv.vocabulary_.items()}
        self.word_idf = np.asarray(wv.idf_, dtype=np.float64)
        self.char_idf = np.asarray(cv.idf_, dtype=np.float64)
        self._packed = None
        self._sk = (wv, cv)  # kept only in memory, for equivalence tests
        return self

    @property
    def n_features(self) -> int:
        return len(self.word_vocab) + len(self.char_vocab)

    def _block(self, grams: list[str], vocab: dict[str, int], idf: np.ndarray, offset: int) -> tuple[list[int], list[float]]:
        counts = Counter(g for g in grams if g in vocab)
        if not counts:
            return [], []
        idx = [vocab[g] for g in counts]
        tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
        if self.sublinear_tf:
            tf = np.log(tf) + 1.0
        w = tf * idf[idx]
        norm = math.sqrt(float(w @ w))
        if norm > 0:
            w /= norm
        return [i + offset for i in idx], w.tolist()

    def transform(self, texts: Sequence[str]) -> "sp.csr_matrix":
        """TF-IDF matrix, shape ``(len(texts), n_features)``, scipy CSR float64."""
        return self.rows(texts).to_scipy()

    def rows(self, texts: Sequence[str]) -> Rows:
        """TF-IDF rows of ``texts`` (normalised), as :class:`Rows`.

        Character n-grams are packed into 64-bit integers and looked up with ``searchsorted`` and
        word n-grams through integer token ids, so a whole batch is counted with a few numpy
        calls instead of one dictionary lookup per n-gram. Equal to scikit-learn's output (tested).
        """
        if not texts:
            return Rows(np.zeros(1, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0), self.n_features)
        tables = self._tables()
        if tables is None:  # a configuration the packed path does not cover
            X = self.transform_reference(texts)
            return Rows(X.indptr.astype(np.int64), X.indices.astype(np.int64), X.data, self.n_features)
        n_word = len(self.word_vocab)
        wdoc, wfeat = self._word_hits(texts, tables)
        cdoc, cfeat = self._char_hits(texts, tables)
        blocks = [
            self._tfidf(len(texts), wdoc, wfeat, self.word_idf, 0),
            self._tfidf(len(texts), cdoc, cfeat, self.char_idf, n_word),
        ]
        doc = np.concatenate([b[0] for b in blocks])
        col = np.concatenate([b[1] for b in blocks])
        val = np.concatenate([b[2] for b in blocks])
        order = np.lexsort((col, doc))
        doc, col, val = doc[order], col[order], val[order]
        indptr = np.zeros(len(texts) + 1, dtype=np.int64)
        np.cumsum(np.bincount(doc, minlength=len(texts)), out=indptr[1:])
        return Rows(indptr, col, val, self.n_features)

    def single(self, text: str) -> Rows:
        """TF-IDF row of ONE normalised text, for the single-message path: word n-grams by
        dictionary lookup (a message has few words), character n-grams packed into integers and
        looked up with one ``searchsorted`` (a message has hundreds). Equal to :meth:`rows`
        (tested on the corpus); columns are not sorted (scoring does not need it)."""
        tables = self._tables()
        if tables is None:
            ref = self.transform_reference([text])
            return Rows(np.array([0, ref.nnz], dtype=np.int64), ref.indices.astype(np.int64), ref.data, self.n_features)
        cols: list[np.ndarray] = []
        vals: list[np.ndarray] = []
        counts: dict[int, int] = {}
        get = self.word_vocab.get
        for g in self.words(text):
            i = get(g)
            if i is not None:
                counts[i] = counts.get(i, 0) + 1
        if counts:
            idf = self._idf_list("word")
            log, sub = math.log, self.sublinear_tf
            ws = [((log(c) + 1.0) if sub else c) * idf[i] for i, c in counts.items()]
            norm = math.sqrt(math.fsum(w * w for w in ws))
            cols.append(np.fromiter(counts.keys(), dtype=np.int64, count=len(counts)))
            vals.append(np.array(ws) / norm)
        doc = _WS.sub(" ", text.lower())
        ck = tables["ckeys"]
        if doc and len(ck):
            cps = np.frombuffer(doc.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
            lo, hi = self.char_ngram_range
            parts = []
            for n in range(lo, hi + 1):
                m = len(cps) - n + 1
                if m <= 0:
                    break
                k = cps[:m]
                for j in range(1, n):
                    k = (k << np.uint64(21)) | cps[j : j + m]
                parts.append(k)
            keys = np.concatenate(parts)
            pos = np.searchsorted(ck, keys)
            pos[pos == len(ck)] = 0
            found = tables["cfeat"][pos[ck[pos] == keys]]
            if len(found):
                f, c = np.unique(found, return_counts=True)
                tf = np.log(c) + 1.0 if self.sublinear_tf else c.astype(np.float64)
                w = tf * self.char_idf[f]
                cols.append(f + len(self.word_vocab))
                vals.append(w / math.sqrt(float(w @ w)))
        col = np.concatenate(cols) if cols else np.zeros(0, dtype=np.int64)
        val = np.concatenate(vals) if vals else np.zeros(0)
        return Rows(np.array([0, len(col)], dtype=np.int64), col, val, self.n_features)

    def _idf_list(self, block: str) -> list[float]:
        # Python floats index faster than numpy scalars in the single-message loop
        cache = self.__dict__.setdefault("_idf_lists", {})
        if block not in cache:
            cache[block] = (self.word_idf if block == "word" else self.char_idf).tolist()
        return cache[block]  # type: ignore[no-any-return]

    # ---- packed n-gram tables, built once per featurizer (read-only afterwards)
    def _tables(self) -> dict[str, Any] | None:
        t = getattr(self, "_packed", None)
        if t is not None:
            return t or None
        with _TABLE_LOCK:
            t = getattr(self, "_packed", None)
            if t is None:
                t = self._build_tables() or {}
                self._packed = t
        return t or None

    def _build_tables(self) -> dict[str, Any] | None:
        clo, chi = self.char_ngram_range
        wlo, whi = self.word_ngram_range
        if chi > 3 or whi > 2:
            return None
        ckeys = np.empty(len(self.char_vocab), dtype=np.uint64)
        for g, i in self.char_vocab.items():
            if not 1 <= len(g) <= 3:
                return None
            ckeys[i] = _pack(g)
        corder = np.argsort(ckeys)
        tok_id: dict[str, int] = {}
        wkeys = np.empty(len(self.word_vocab), dtype=np.int64)
        parts_of = {}
        for g, i in self.word_vocab.items():
            parts = g.split(" ")
            if len(parts) > 2:
                return None
            parts_of[i] = parts
            for p in parts:
                tok_id.setdefault(p, len(tok_id))
        T = max(len(tok_id), 1)
        for i, parts in parts_of.items():
            wkeys[i] = tok_id[parts[0]] if len(parts) == 1 else T + tok_id[parts[0]] * T + tok_id[parts[1]]
        worder = np.argsort(wkeys)
        return {
            "ckeys": ckeys[corder], "cfeat": corder.astype(np.int64),
            "wkeys": wkeys[worder], "wfeat": worder.astype(np.int64),
            "tok_id": tok_id, "T": T,
        }

    @staticmethod
    def _lookup(keys: np.ndarray, sorted_keys: np.ndarray, feat: np.ndarray, doc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if len(keys) == 0 or len(sorted_keys) == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        pos = np.searchsorted(sorted_keys, keys)
        pos[pos == len(sorted_keys)] = 0
        hit = sorted_keys[pos] == keys
        return doc[hit], feat[pos[hit]]

    def _char_hits(self, texts: Sequence[str], tables: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
        docs = [_WS.sub(" ", t.lower()) for t in texts]
        lengths = np.fromiter((len(d) for d in docs), dtype=np.int64, count=len(docs))
        cps = np.frombuffer("".join(docs).encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
        doc_of = np.repeat(np.arange(len(docs), dtype=np.int64), lengths)
        lo, hi = self.char_ngram_range
        keys, owners = [], []
        for n in range(lo, hi + 1):
            if len(cps) < n:
                continue
            m = len(cps) - n + 1
            k = cps[:m].copy()
            for j in range(1, n):
                k = (k << np.uint64(21)) | cps[j : j + m]
            same = doc_of[:m] == doc_of[n - 1 : n - 1 + m]  # n-grams never cross documents
            keys.append(k[same])
            owners.append(doc_of[:m][same])
        if not keys:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        return self._lookup(np.concatenate(keys), tables["ckeys"], tables["cfeat"], np.concatenate(owners))

    def _word_hits(self, texts: Sequence[str], tables: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
        tok_id, T = tables["tok_id"], tables["T"]
        ids: list[int] = []
        owner: list[int] = []
        for d, text in enumerate(texts):
            toks = self._tok.cut(text.lower())
            ids.extend(tok_id.get(t, -1) for t in toks)
            owner.extend([d] * len(toks))
        if not ids:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        a = np.asarray(ids, dtype=np.int64)
        o = np.asarray(owner, dtype=np.int64)
        lo, hi = self.word_ngram_range
        keys, owners = [], []
        if lo <= 1:
            ok = a >= 0
            keys.append(a[ok])
            owners.append(o[ok])
        if hi >= 2 and len(a) > 1:
            ok = (a[:-1] >= 0) & (a[1:] >= 0) & (o[:-1] == o[1:])
            keys.append(T + a[:-1][ok] * T + a[1:][ok])
            owners.append(o[:-1][ok])
        return self._lookup(np.concatenate(keys), tables["wkeys"], tables["wfeat"], np.concatenate(owners))

    def _tfidf(self, n_docs: int, doc: np.ndarray, feat: np.ndarray, idf: np.ndarray, offset: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if len(doc) == 0:
            return doc, feat, np.zeros(0)
        width = max(len(idf), 1)
        combo, counts = np.unique(doc * width + feat, return_counts=True)
        d, f = combo // width, combo % width
        tf = counts.astype(np.float64)
        if self.sublinear_tf:
            tf = np.log(tf) + 1.0
        w = tf * idf[f]
        norm = np.sqrt(np.bincount(d, weights=w * w, minlength=n_docs))
        w = w / norm[d]
        return d, f + offset, w

    def transform_reference(self, texts: Sequence[str]) -> "sp.csr_matrix":
        """Straightforward per-n-gram implementation (the definition the fast path must match)."""
        import scipy.sparse as sp

        indptr = [0]
        indices: list[int] = []
        data: list[float] = []
        n_word = len(self.word_vocab)
        for text in texts:
            for grams, vocab, idf, off in ((self.words(text), self.word_vocab, self.word_idf, 0), (self.chars(text), self.char_vocab, self.char_idf, n_word)):
                i, d = self._block(grams, vocab, idf, off)
                indices.extend(i)
                data.extend(d)
            indptr.append(len(indices))
        X = sp.csr_matrix((np.asarray(data, dtype=np.float64), np.asarray(indices, dtype=np.int64), np.asarray(indptr, dtype=np.int64)), shape=(len(texts), self.n_features))
        X.sort_indices()
        return X

    def sklearn_transform(self, texts: Sequence[str]) -> "sp.csr_matrix":
        """scikit-learn's own output (only right after :meth:`fit`); for equivalence tests."""
        import scipy.sparse as sp

        wv, cv = self._sk
        return sp.hstack([wv.transform(texts), cv.transform(texts)], format="csr")

    # ---------------------------------------------------------------- state
    def get_config(self) -> dict[str, Any]:
        return {
            "tokenizer": self.tokenizer,
            "word_ngram_range": list(self.word_ngram_range),
            "char_ngram_range": list(self.char_ngram_range),
            "min_df": self.min_df,
            "max_features": self.max_features,
            "sublinear_tf": self.sublinear_tf,
        }

    def vocab_lists(self) -> dict[str, list[str]]:
        """Vocabularies as lists ordered by feature index (JSON-friendly)."""
        def ordered(v: dict[str, int]) -> list[str]:
            out = [""] * len(v)
            for k, i in v.items():
                out[i] = k
            return out

        return {"word": ordered(self.word_vocab), "char": ordered(self.char_vocab)}

    @classmethod
    def from_state(cls, config: dict[str, Any], vocab: dict[str, list[str]], word_idf: np.ndarray, char_idf: np.ndarray) -> "Featurizer":
        f = cls(
            tokenizer=config["tokenizer"],
            word_ngram_range=tuple(config["word_ngram_range"]),  # type: ignore[arg-type]
            char_ngram_range=tuple(config["char_ngram_range"]),  # type: ignore[arg-type]
            min_df=config["min_df"],
            max_features=config["max_features"],
            sublinear_tf=config["sublinear_tf"],
        )
        f.word_vocab = {w: i for i, w in enumerate(vocab["word"])}
        f.char_vocab = {c: i for i, c in enumerate(vocab["char"])}
        if len(f.word_vocab) != len(vocab["word"]) or len(f.char_vocab) != len(vocab["char"]):
            raise ValueError("vocabulary has duplicate entries")
        if word_idf.shape != (len(f.word_vocab),) or char_idf.shape != (len(f.char_vocab),):
            raise ValueError("IDF arrays do not match the vocabulary sizes")
        f.word_idf = np.asarray(word_idf, dtype=np.float64)
        f.char_idf = np.asarray(char_idf, dtype=np.float64)
        return f

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state.pop("_sk", None)
        state.pop("_packed", None)  # rebuilt lazily
        state.pop("_idf_lists", None)
        return state
