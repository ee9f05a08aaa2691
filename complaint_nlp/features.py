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
from itertools import repeat
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from .placeholders import PlaceholderSpec
from .tokenize import Tokenizer

__all__ = ["Featurizer", "Rows"]

if TYPE_CHECKING:  # scipy is imported only where a scipy matrix is asked for
    import scipy.sparse as sp


# gather instead of scipy's product while a batch stores fewer values than 1/10 of the weight rows:
# on the shipped model the two cost the same at about 128 corpus messages (bench: 4 messages
# 12 µs a text gathered against 240 µs through scipy; 1,024 messages 13 against 3)
_GATHER_RATIO = 10
_NO_COLS = np.zeros(0, dtype=np.int64)
_BLOCKS = np.array([0, 1], dtype=np.intp)


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
        if WT.dtype != self.val.dtype and len(self.col) * _GATHER_RATIO < WT.shape[0]:
            # a small batch against float32 weights: scipy would first cast the WHOLE weight
            # matrix to float64 (about 0.5 ms for each block of the shipped model, whatever the
            # batch size), so gather the present rows and sum them per text instead
            return self._gathered_dot(WT)
        # a batch: scipy's sparse x dense product never materialises the gathered rows
        return np.asarray(self.to_scipy() @ WT, dtype=np.float64)

    def _gathered_dot(self, WT: np.ndarray) -> np.ndarray:
        """:meth:`dot` by gathering the weight row of every stored value (equal to scipy's
        product up to float rounding, tested)."""
        ip = self.indptr
        out = np.zeros((len(self), WT.shape[1]), dtype=np.float64)
        if ip[-1] == 0:
            return out
        G = WT[self.col] * self.val[:, None]  # (nnz, k) float64
        filled = ip[1:] > ip[:-1]  # reduceat would copy a row's neighbour into an empty row
        out[filled] = np.add.reduceat(G, ip[:-1][filled], axis=0)
        return out

    def to_scipy(self) -> "sp.csr_matrix":
        import scipy.sparse as sp

        return sp.csr_matrix((self.val, self.col, self.indptr), shape=(len(self), self.n_cols))

_WS = re.compile(r"\s\s+")  # scikit-learn's char analyzer folds runs of white space
_TABLE_LOCK = threading.Lock()


_SHIFT = np.uint64(21)
_EMPTY = np.uint64(2**64 - 1)  # above every packed gram (at most 63 bits)
_MULT = np.uint64(0x9E3779B97F4A7C15)  # Fibonacci hashing: multiply, keep the top bits


def _slots(keys: np.ndarray, bits: int) -> np.ndarray:
    return ((keys * _MULT) >> np.uint64(64 - bits)).astype(np.intp)


def _build_hash(keys: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Linear-probing table of distinct uint64 ``keys`` → int32 ``values``, load factor ≤ 0.5,
    built with array operations (each round places one pending key per free slot)."""
    bits = max(4, int(len(keys) * 2 - 1).bit_length())
    size = 1 << bits
    tk = np.full(size, _EMPTY, dtype=np.uint64)
    tv = np.full(size, -1, dtype=np.int32)
    slot = _slots(keys, bits)
    pending = np.arange(len(keys))
    placed = np.zeros(len(keys), dtype=bool)
    while len(pending):
        s = slot[pending]
        free = tk[s] == _EMPTY
        us, first = np.unique(s[free], return_index=True)
        winners = pending[free][first]
        tk[us] = keys[winners]
        tv[us] = values[winners]
        placed[winners] = True
        pending = pending[~placed[pending]]
        slot[pending] = (slot[pending] + 1) & (size - 1)
    return tk, tv, bits


def _hash_lookup(keys: np.ndarray, tk: np.ndarray, tv: np.ndarray, bits: int) -> np.ndarray:
    """Value of each key in a :func:`_build_hash` table, -1 where absent."""
    out = np.full(len(keys), -1, dtype=np.int32)
    slot = _slots(keys, bits)
    idx = np.arange(len(keys))
    mask = (1 << bits) - 1
    while len(idx):
        cur = tk[slot]
        hit = cur == keys
        out[idx[hit]] = tv[slot[hit]]
        go = ~hit & (cur != _EMPTY)  # occupied by another key: probe the next slot
        idx, keys, slot = idx[go], keys[go], (slot[go] + 1) & mask
    return out


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
        placeholders: a :class:`~complaint_nlp.placeholders.PlaceholderSpec`: @-accounts,
            brands, links and numbers are replaced by typed markers before any n-gram is taken
            (None: the text as it is).
    """

    def __init__(
        self,
        tokenizer: str = "rjieba",
        word_ngram_range: tuple[int, int] = (1, 2),
        char_ngram_range: tuple[int, int] = (1, 3),
        min_df: int = 2,
        max_features: int | None = 200_000,
        sublinear_tf: bool = True,
        placeholders: PlaceholderSpec | None = None,
    ) -> None:
        self.tokenizer = tokenizer
        self.word_ngram_range = tuple(word_ngram_range)
        self.char_ngram_range = tuple(char_ngram_range)
        self.min_df = min_df
        self.max_features = max_features
        self.sublinear_tf = sublinear_tf
        self.placeholders = placeholders
        self._tok = Tokenizer(tokenizer)
        self.word_vocab: dict[str, int] = {}
        self.char_vocab: dict[str, int] = {}
        self.word_idf = np.zeros(0)
        self.char_idf = np.zeros(0)

    # ---------------------------------------------------------------- analyzers
    def prepare(self, text: str) -> str:
        """What the n-grams are taken from: ``text`` with typed placeholders, when configured."""
        return self.placeholders.mask_text(text) if self.placeholders is not None else text

    def words(self, text: str) -> list[str]:
        """Word n-grams of ``text`` (lower-cased, segmented), as scikit-learn builds them."""
        return self._words(self.prepare(text))

    def chars(self, text: str) -> list[str]:
        """Character n-grams, exactly as scikit-learn's ``analyzer='char'``."""
        return self._chars(self.prepare(text))

    def _words(self, text: str) -> list[str]:
        toks = self._tok.cut(text.lower())
        lo, hi = self.word_ngram_range
        if hi == 1:
            return toks
        out = list(toks) if lo == 1 else []
        n_toks = len(toks)
        for n in range(max(lo, 2), min(hi, n_toks) + 1):
            out.extend(" ".join(toks[i : i + n]) for i in range(n_toks - n + 1))
        return out

    def _chars(self, text: str) -> list[str]:
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

        texts = [self.prepare(t) for t in texts]
        common: dict[str, Any] = dict(min_df=self.min_df, max_features=self.max_features, sublinear_tf=self.sublinear_tf, dtype=np.float64)
        wv = TfidfVectorizer(analyzer=self._words, **common)
        cv = TfidfVectorizer(analyzer=self._chars, **common)
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
        """TF-IDF rows of ``texts`` (normalised), as :class:`Rows` with sorted columns.

        Character n-grams are packed into 64-bit integers and looked up in an open-addressing
        hash table, word n-grams through integer token ids and ``searchsorted``, so a whole batch
        is counted with a few numpy calls instead of one dictionary lookup per n-gram. Equal to
        scikit-learn's output (tested).
        """
        words, chars = self.blocks(texts)
        n_word = len(self.word_vocab)
        n = len(words)
        doc = np.concatenate([np.repeat(np.arange(n), np.diff(words.indptr)), np.repeat(np.arange(n), np.diff(chars.indptr))])
        col = np.concatenate([words.col, chars.col + n_word])
        val = np.concatenate([words.val, chars.val])
        order = np.argsort(doc, kind="stable")  # each block is sorted by (doc, col) already
        indptr = words.indptr + chars.indptr
        return Rows(indptr, col[order], val[order], self.n_features)

    def blocks(self, texts: Sequence[str], *, prepared: bool = False) -> tuple[Rows, Rows]:
        """The word block and the character block of :meth:`rows`, each its own CSR batch with
        sorted columns (character columns start at 0). Scoring multiplies each block by its
        slice of the weights, which saves merging the two. ``prepared=True``: the texts already
        went through :meth:`prepare` (placeholders), so they are not masked again."""
        n = len(texts)
        n_word, n_char = len(self.word_vocab), len(self.char_vocab)
        if self.placeholders is not None and not prepared:
            texts = [self.placeholders.mask_text(t) for t in texts]
        tables = self._tables() if n else None
        if tables is None:
            X = self._reference(texts) if n else None
            if X is None:
                empty = np.zeros(1, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0)
                return Rows(*empty, n_word), Rows(*empty, n_char)
            Xw, Xc = X[:, :n_word].tocsr(), X[:, n_word:].tocsr()
            return (Rows(Xw.indptr.astype(np.int64), Xw.indices.astype(np.int64), Xw.data, n_word),
                    Rows(Xc.indptr.astype(np.int64), Xc.indices.astype(np.int64), Xc.data, n_char))
        out = []
        for (doc, feat), idf, width in ((self._word_hits(texts, tables), self.word_idf, n_word), (self._char_hits(texts, tables), self.char_idf, n_char)):
            d, f, w = self._tfidf(n, doc, feat, idf, 0)
            indptr = np.zeros(n + 1, dtype=np.int64)
            np.cumsum(np.bincount(d, minlength=n), out=indptr[1:])
            out.append(Rows(indptr, f, w, width))
        return out[0], out[1]

    def single(self, text: str, *, prepared: bool = False) -> Rows:
        """TF-IDF row of ONE normalised text, for the single-message path: the same columns and
        bit-identical values as the text's row in :meth:`blocks` (tested on the corpus); columns
        sorted within each block.

        At this size the cost is the number of Python and numpy calls, not arithmetic: words are
        counted with C-level ``map`` over the vocabulary dict, character n-grams are packed into
        integers and found with one ``searchsorted``, and both blocks are weighted and normalised
        in one short sequence of array operations."""
        if self.placeholders is not None and not prepared:
            text = self.placeholders.mask_text(text)
        tables = self._tables()
        if tables is None:
            ref = self._reference([text])
            return Rows(np.array([0, ref.nnz], dtype=np.int64), ref.indices.astype(np.int64), ref.data, self.n_features)
        low = text.lower()
        # word 1-2 grams: dictionary lookups (None for out-of-vocabulary grams, dropped after)
        toks = self._tok.cut(low)
        wget = self.word_vocab.get
        wlo, whi = self.word_ngram_range
        wc = Counter(map(wget, toks)) if wlo <= 1 else Counter()
        if whi >= 2 and len(toks) > 1:
            wc.update(map(wget, map(" ".join, zip(toks, toks[1:]))))
        wc.pop(None, None)  # type: ignore[call-overload]
        # char n-grams: 21-bit code points packed into one uint64 per gram
        doc = _WS.sub(" ", low) if _WS.search(low) else low
        c_col, c_tf = _NO_COLS, _NO_COLS
        if doc:
            cps = np.frombuffer(doc.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
            lo, hi = self.char_ngram_range
            grams = []
            k = cps
            for n in range(1, hi + 1):
                if n > 1:
                    if len(k) < 2:
                        break
                    k = (k[:-1] << _SHIFT) | cps[n - 1 :]
                if n >= lo:
                    grams.append(k)
            if grams:
                keys = np.concatenate(grams) if len(grams) > 1 else grams[0]
                ck = tables["ckeys_s"]  # sorted keys + a sentinel no gram can equal
                pos = ck.searchsorted(keys)
                found = tables["cfeat_s"][pos[ck[pos] == keys]]
                if len(found):  # sorted distinct columns and their counts (np.unique, inlined)
                    found.sort()
                    first = np.flatnonzero(np.concatenate(([True], found[1:] != found[:-1])))
                    c_col, c_tf = found[first], np.diff(np.append(first, len(found)))
        # columns sorted within each block, as in the batch path: with the norms summed below in
        # the same order, the two give bit-identical values, so a text's category evidence (a
        # ranking of these values) is the same alone and in a batch
        w_items = sorted(wc.items())
        n_w = len(w_items)
        n = n_w + len(c_col)
        if n == 0:
            return Rows(np.zeros(2, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0), self.n_features)
        col = np.concatenate([np.fromiter((c for c, _ in w_items), dtype=np.int64, count=n_w), c_col.astype(np.int64, copy=False)])
        tf = np.concatenate([np.fromiter((t for _, t in w_items), dtype=np.float64, count=n_w), c_tf.astype(np.float64)])
        if self.sublinear_tf:
            tf = np.log(tf, out=tf)
            tf += 1.0
        w = tf * tables["idf_all"][col]
        block = np.repeat(_BLOCKS, (n_w, n - n_w))
        norm = np.sqrt(np.bincount(block, weights=w * w, minlength=2))  # as the batch path sums
        w /= norm[block]  # each block L2-normalised
        return Rows(np.array([0, n], dtype=np.int64), col, w, self.n_features)

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
        n_word = len(self.word_vocab)
        hkeys, hfeat, bits = _build_hash(ckeys, np.arange(len(ckeys), dtype=np.int32))
        return {
            # batches: an open-addressing hash table (one or two probes per gram; a binary search
            # over 50k+ keys misses the cache at every level)
            "hkeys": hkeys, "hfeat": hfeat, "hbits": bits,
            # one message: sorted keys plus a sentinel no 63-bit packed gram can equal, so a
            # searchsorted position is always a valid index; features already offset past the words
            "ckeys_s": np.append(ckeys[corder], _EMPTY),
            "cfeat_s": np.append(corder.astype(np.int64) + n_word, -1),
            "idf_all": np.concatenate([self.word_idf, self.char_idf]),
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
        feat = _hash_lookup(np.concatenate(keys), tables["hkeys"], tables["hfeat"], tables["hbits"])
        hit = feat >= 0
        return np.concatenate(owners)[hit], feat[hit].astype(np.int64)

    def _word_hits(self, texts: Sequence[str], tables: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
        tok_id, T = tables["tok_id"], tables["T"]
        toks: list[str] = []
        lengths: list[int] = []
        cut = self._tok.cut
        for text in texts:
            t = cut(text.lower())
            toks.extend(t)
            lengths.append(len(t))
        if not toks:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        a = np.fromiter(map(tok_id.get, toks, repeat(-1)), dtype=np.int64, count=len(toks))  # get(t, -1) in C
        o = np.repeat(np.arange(len(texts), dtype=np.int64), lengths)
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
        return self._reference([self.prepare(t) for t in texts])

    def _reference(self, texts: Sequence[str]) -> "sp.csr_matrix":
        import scipy.sparse as sp

        indptr = [0]
        indices: list[int] = []
        data: list[float] = []
        n_word = len(self.word_vocab)
        for text in texts:
            for grams, vocab, idf, off in ((self._words(text), self.word_vocab, self.word_idf, 0), (self._chars(text), self.char_vocab, self.char_idf, n_word)):
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
        texts = [self.prepare(t) for t in texts]
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
            "placeholders": self.placeholders.to_dict() if self.placeholders is not None else None,
        }

    def clone(self) -> "Featurizer":
        """A new, unfitted featurizer with the same configuration."""
        return Featurizer(self.tokenizer, self.word_ngram_range, self.char_ngram_range, self.min_df, self.max_features, self.sublinear_tf, self.placeholders)  # type: ignore[arg-type]

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
            placeholders=PlaceholderSpec.from_dict(config["placeholders"], source="model manifest") if config.get("placeholders") is not None else None,
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
        return state
