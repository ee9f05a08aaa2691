"""Word + character TF-IDF features with an exportable, pickle-free state.

:class:`Featurizer` is fitted with scikit-learn's ``TfidfVectorizer`` (word 1-2 grams on the
jieba tokens, character 1-3 grams), then keeps only plain arrays: vocabularies and IDF weights.
Its own :meth:`Featurizer.transform` reproduces scikit-learn's output exactly (tested), so a saved
model is a JSON vocabulary plus numeric arrays that loading cannot turn into code execution.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from typing import Any, Sequence

import numpy as np
import scipy.sparse as sp

from .tokenize import Tokenizer

__all__ = ["Featurizer"]

_WS = re.compile(r"\s\s+")  # scikit-learn's char analyzer folds runs of white space


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

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        """TF-IDF matrix, shape ``(len(texts), n_features)``, CSR float64."""
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

    def sklearn_transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        """scikit-learn's own output (only right after :meth:`fit`); for equivalence tests."""
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
        return state
