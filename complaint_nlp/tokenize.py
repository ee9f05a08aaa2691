"""Word segmentation through private jieba instances with the shipped domain dictionary.

Two interchangeable backends give the same tokens: ``rjieba`` (jieba-rs, the default, ~15×
faster) and the reference ``jieba``. Either way the library builds its OWN segmenter instance:
the global ``jieba`` / ``rjieba`` state, and any words a caller added to it, are never touched
or used. Instances are built lazily on first use, once per process, and are read-only afterwards,
so one tokenizer is safe to share across threads.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import Any, Iterable, Sequence

from ._data import data_file

__all__ = ["Tokenizer", "BACKENDS", "domain_dictionary", "load_userdict"]

BACKENDS = ("rjieba", "jieba")
_DEFAULT_FREQ = 10000


def domain_dictionary() -> Path:
    """Path of the shipped domain dictionary (jieba user-dict format: ``word [freq] [tag]``)."""
    return data_file("userdict.txt")


def load_userdict(path: str | Path) -> list[tuple[str, int, str | None]]:
    """Read a jieba-format user dictionary into ``(word, freq, tag)`` entries.

    Lines are ``word [freq] [tag]``; blank lines and ``#`` comments are skipped.
    """
    entries: list[tuple[str, int, str | None]] = []
    for lineno, raw in enumerate(Path(path).read_text(encoding="utf-8-sig").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        word = parts[0]
        try:
            freq = int(parts[1]) if len(parts) > 1 else _DEFAULT_FREQ
        except ValueError as exc:
            raise ValueError(f"{path}:{lineno}: frequency must be an integer: {raw!r}") from exc
        if freq <= 0:  # jieba turns freq 0 into a global force-split: never allow that
            raise ValueError(f"{path}:{lineno}: frequency must be positive: {raw!r}")
        entries.append((word, freq, parts[2] if len(parts) > 2 else None))
    return entries


_cache_lock = threading.Lock()
_engines: dict[tuple[str, tuple[tuple[str, int, str | None], ...]], Any] = {}


def _build_engine(backend: str, words: Sequence[tuple[str, int, str | None]]) -> Any:
    if backend == "rjieba":
        import rjieba

        eng = rjieba.Jieba()  # its own dictionary copy; the module-level default stays untouched
        for w, f, t in words:
            eng.add_word(w, f, t)
        return eng
    if backend == "jieba":
        import jieba

        eng = jieba.Tokenizer()
        # Build the prefix dictionary ourselves instead of eng.initialize(): that one logs to
        # jieba's global logger and writes a cache file; we want neither.
        with eng.get_dict_file() as f:
            eng.FREQ, eng.total = eng.gen_pfdict(f)
        eng.initialized = True
        for w, f, t in words:
            eng.add_word(w, f, t)
        return eng
    raise ValueError(f"unknown tokenizer backend {backend!r}; choose one of {BACKENDS}")


_HAS_ASCII_ALNUM = re.compile(r"[A-Za-z0-9.\-_+#&%]")  # any character _ASCII_TOKEN can hold
_HAS_SPACE = re.compile(r"\s")
_ASCII_TOKEN = re.compile(r"^[A-Za-z0-9.\-_+#&%]+$")
_ASCII_SPLIT = re.compile(r"[A-Za-z]+|[0-9]+(?:\.[0-9]+)*|[^A-Za-z0-9]")


_SEP = "\x00"
# a maximal run of whole pure-ASCII tokens inside the tokens joined by _SEP
_ASCII_RUN = re.compile(r"(?:(?<=\x00)|\A)[A-Za-z0-9.\-_+#&%]+(?:\x00[A-Za-z0-9.\-_+#&%]+)*(?=\x00|\Z)")


def _split_run(m: "re.Match[str]") -> str:
    return _SEP.join(_ASCII_SPLIT.findall(m.group().replace(_SEP, "")))


def _canonical_ascii(tokens: list[str]) -> list[str]:
    """Re-split runs of pure-ASCII tokens (versions, order numbers, 2.0T, Wi-Fi) one fixed way.

    jieba and jieba-rs cut such runs differently ("2.0t" vs "2.0" "t"); joining each run and
    splitting it into letters / numbers / symbols makes both backends agree, and makes order
    numbers and model codes come out the same however they were written."""
    if not tokens:
        return tokens
    joined = _SEP.join(tokens)
    if joined.count(_SEP) == len(tokens) - 1 and "\n" not in joined:
        # the common case, all in C: one regex pass over the joined tokens
        new = _ASCII_RUN.sub(_split_run, joined)
        return tokens if new == joined else new.split(_SEP)
    return _canonical_ascii_loop(tokens)


def _canonical_ascii_loop(tokens: list[str]) -> list[str]:
    """The definition of :func:`_canonical_ascii`, token by token."""
    if not any(_ASCII_TOKEN.match(t) for t in tokens):
        return tokens
    out: list[str] = []
    run: list[str] = []
    for t in tokens:
        if _ASCII_TOKEN.match(t):
            run.append(t)
            continue
        if run:
            out.extend(_ASCII_SPLIT.findall("".join(run)))
            run = []
        out.append(t)
    if run:
        out.extend(_ASCII_SPLIT.findall("".join(run)))
    return out


class Tokenizer:
    """Chinese word segmenter.

    Args:
        backend: ``"rjieba"`` (default) or ``"jieba"``.
        userdict: extra dictionary file(s) in jieba format, added after the shipped domain
            dictionary. ``None`` uses the shipped dictionary only.
        hmm: use jieba's HMM for words not in the dictionary (default True, as ``jieba.lcut``).
    """

    def __init__(
        self,
        backend: str = "rjieba",
        userdict: str | Path | Iterable[str | Path] | None = None,
        hmm: bool = True,
    ) -> None:
        if backend not in BACKENDS:
            raise ValueError(f"unknown tokenizer backend {backend!r}; choose one of {BACKENDS}")
        self.backend = backend
        self.hmm = hmm
        if userdict is None:
            extra: list[str | Path] = []
        elif isinstance(userdict, (str, Path)):
            extra = [userdict]
        else:
            extra = list(userdict)
        self.userdicts: tuple[str, ...] = tuple(str(p) for p in extra)
        self._engine: Any = None

    def _get_engine(self) -> Any:
        if self._engine is None:
            words: list[tuple[str, int, str | None]] = load_userdict(domain_dictionary())
            for p in self.userdicts:
                words.extend(load_userdict(p))
            key = (self.backend, tuple(words))
            with _cache_lock:
                eng = _engines.get(key)
                if eng is None:
                    eng = _engines[key] = _build_engine(self.backend, words)
            self._engine = eng
        return self._engine

    def cut(self, text: str) -> list[str]:
        """Segment ``text`` into tokens; whitespace-only tokens are dropped."""
        if not text:
            return []
        eng = self._engine if self._engine is not None else self._get_engine()
        toks = eng.cut(text, self.hmm) if self.backend == "rjieba" else eng.lcut(text, HMM=self.hmm)
        if _HAS_SPACE.search(text) is not None:
            toks = [t for t in toks if not t.isspace()]
        return _canonical_ascii(toks) if _HAS_ASCII_ALNUM.search(text) else toks

    __call__ = cut

    def __getstate__(self) -> dict[str, Any]:
        # the native engine is rebuilt lazily in the receiving process
        state = self.__dict__.copy()
        state["_engine"] = None
        return state

    def __repr__(self) -> str:
        return f"Tokenizer(backend={self.backend!r}, userdict={list(self.userdicts)!r}, hmm={self.hmm})"
