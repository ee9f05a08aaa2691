"""Validation of the project's labeled corpus (``data/labeled/corpus.csv``) and of the
style-held-out test set (``data/heldout/heldout.csv``).

``check_corpus()`` returns a report of every rule below; ``data/labeled/tools/check_corpus.py`` prints
it and exits 1 when any rule fails. Rules (issues #4 and #11, ../shared/TAXONOMY.md):
schema and label vocabulary, a known channel on every row, unique ids and texts, 5-600
characters, near-duplicate rate (character 5-gram Jaccard > 0.8) at most 2%, paraphrase groups
never straddling train/test, about 80/20 split, at least 20,000 messages, every category and
emotion at least 150 times, every channel at least 300 times, at least 10 domains and at least
10% Traditional Chinese.

``check_heldout()`` checks the held-out set: the same schema and labels, split ``heldout`` on
every row, at least 2,000 messages, every channel present, and NO text of it equal or
near-equal (5-gram Jaccard > 0.8) to a corpus text, so it measures writers and wording the model
never saw.
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path
from typing import Any, Sequence

from .taxonomy import CATEGORIES, EMOTIONS, LEVELS, MODALITIES, SIGNALS

__all__ = ["COLUMNS", "CHANNELS", "check_corpus", "check_heldout", "copies_of", "format_report", "near_duplicate_pairs", "parse_signals", "default_corpus_path", "default_heldout_path"]

COLUMNS = ["id", "text", "category", "category2", "emotion", "signals", "level", "domain", "channel", "script", "group", "split"]
#: where a service team meets the text; each has a style brief in data/labeled/GUIDE.md
CHANNELS = ("weibo", "platform", "callcenter", "chat", "review", "everyday", "forum")
MIN_ROWS = 20_000
MIN_PER_CHANNEL = 300
MIN_HELDOUT_ROWS = 2000
MIN_PER_LABEL = 150
MIN_DOMAINS = 10
MIN_TRADITIONAL = 0.10
MAX_NEAR_DUP_RATE = 0.02
NEAR_DUP_JACCARD = 0.8
LENGTH_RANGE = (5, 600)
TEST_SHARE_RANGE = (0.15, 0.25)


def default_corpus_path() -> Path:
    return Path("data") / "labeled" / "corpus.csv"


def default_heldout_path() -> Path:
    return Path("data") / "heldout" / "heldout.csv"


def parse_signals(value: str) -> list[tuple[str, str]]:
    """``"regulator:threatened;media:done"`` → ``[("regulator", "threatened"), ("media", "done")]``."""
    out = []
    for part in (value or "").split(";"):
        part = part.strip()
        if not part:
            continue
        code, _, modality = part.partition(":")
        out.append((code.strip(), modality.strip()))
    return out


def _shingles(text: str, n: int = 5) -> set[str]:
    t = "".join(text.split())
    if len(t) <= n:
        return {t}
    return {t[i : i + n] for i in range(len(t) - n + 1)}


def near_duplicate_pairs(texts: Sequence[str], threshold: float = NEAR_DUP_JACCARD) -> list[tuple[int, int, float]]:
    """Pairs ``(i, j, jaccard)`` whose character 5-gram Jaccard exceeds ``threshold``.

    Uses a sparse incidence matrix product, so all pairs of a few thousand texts take well under
    a second.
    """
    import numpy as np
    import scipy.sparse as sp

    vocab: dict[str, int] = {}
    rows, cols = [], []
    for i, t in enumerate(texts):
        for g in _shingles(t):
            rows.append(i)
            cols.append(vocab.setdefault(g, len(vocab)))
    if not rows:
        return []
    M = sp.csr_matrix((np.ones(len(rows), dtype=np.int32), (rows, cols)), shape=(len(texts), len(vocab)))
    sizes = np.asarray(M.sum(axis=1)).ravel()
    inter = sp.triu(M @ M.T, k=1).tocoo()
    out = []
    for i, j, v in zip(inter.row, inter.col, inter.data):
        jac = v / (sizes[i] + sizes[j] - v)
        if jac > threshold:
            out.append((int(i), int(j), float(jac)))
    return out


class _Checks:
    """The named checks of one file, and the report they make."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.checks: list[dict[str, Any]] = []

    def __call__(self, name: str, ok: bool, detail: str) -> None:
        self.checks.append({"name": name, "ok": bool(ok), "detail": detail})

    def report(self, stats: dict[str, Any]) -> dict[str, Any]:
        return {"ok": all(c["ok"] for c in self.checks), "checks": self.checks, "stats": stats, "path": str(self.path)}


def _open(p: Path, min_rows: int, splits: tuple[str, ...]) -> tuple[_Checks, list[dict[str, str]] | None]:
    """Read a labeled file and run the checks every labeled file passes."""
    check = _Checks(p)
    rows = _read(p, check)
    if rows is not None:
        check("size", len(rows) >= min_rows, f"{len(rows)} messages (minimum {min_rows})")
        _row_checks(rows, check, splits)
    return check, rows


def _read(p: Path, check: Any) -> list[dict[str, str]] | None:
    if not p.is_file():
        check("file", False, f"{p} not found (run from the repository root or give the path)")
        return None
    with open(p, encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        header = reader.fieldnames or []
        rows = list(reader)
    check("schema", header == COLUMNS, f"columns {header}" + ("" if header == COLUMNS else f"; expected {COLUMNS}"))
    return rows if header == COLUMNS else None


def _show(ids: list[str]) -> str:
    return f"{len(ids)} bad" + (f": {', '.join(ids[:8])}{'…' if len(ids) > 8 else ''}" if ids else "")


def _row_checks(rows: list[dict[str, str]], check: Any, splits: tuple[str, ...]) -> None:
    """Checks every labeled file passes: ids, lengths, label vocabularies, channel, split."""

    def bad_rows(pred: Any) -> list[str]:
        return [r["id"] for r in rows if pred(r)]

    show = _show
    ids = [r["id"] for r in rows]
    dup_ids = [k for k, v in Counter(ids).items() if v > 1]
    check("unique ids", not dup_ids and all(ids), show(dup_ids))
    lo, hi = LENGTH_RANGE
    check("text length", not (b := bad_rows(lambda r: not lo <= len(r["text"].strip()) <= hi)), f"{lo}-{hi} characters; " + show(b))
    check("category", not (b := bad_rows(lambda r: r["category"] not in CATEGORIES)), show(b))
    check("category2", not (b := bad_rows(lambda r: r["category2"] not in ("", *CATEGORIES) or r["category2"] == r["category"])), "empty or a different category code; " + show(b))
    check("emotion", not (b := bad_rows(lambda r: r["emotion"] not in EMOTIONS)), show(b))
    check("level", not (b := bad_rows(lambda r: r["level"] not in LEVELS)), show(b))
    check("script", not (b := bad_rows(lambda r: r["script"] not in ("simplified", "traditional"))), show(b))
    check("channel", not (b := bad_rows(lambda r: r["channel"] not in CHANNELS)), f"one of {', '.join(CHANNELS)}; " + show(b))
    check("split", not (b := bad_rows(lambda r: r["split"] not in splits)), f"one of {', '.join(splits)}; " + show(b))
    check("group", not (b := bad_rows(lambda r: not r["group"].strip())), show(b))
    check("domain", not (b := bad_rows(lambda r: not r["domain"].strip())), show(b))
    check("signals", not (b := bad_rows(lambda r: any(c not in SIGNALS or m not in MODALITIES for c, m in parse_signals(r["signals"])))), "code:modality;… with TAXONOMY codes; " + show(b))
    texts = [r["text"] for r in rows]
    dups = [k for k, v in Counter(t.strip() for t in texts).items() if v > 1]
    check("no duplicate texts", not dups, f"{len(dups)} texts appear more than once" + (f", e.g. {dups[0][:30]!r}" if dups else ""))


def _channel_stats(rows: list[dict[str, str]]) -> dict[str, Any]:
    """Per channel: messages, median length, share with an @-mention and with a hashtag."""
    out: dict[str, Any] = {}
    for ch in CHANNELS:
        texts = [r["text"] for r in rows if r["channel"] == ch]
        if not texts:
            continue
        lengths = sorted(len(t) for t in texts)
        out[ch] = {
            "rows": len(texts),
            "median_length": lengths[len(lengths) // 2],
            "mentions": round(sum("@" in t for t in texts) / len(texts), 3),
            "hashtags": round(sum("#" in t for t in texts) / len(texts), 3),
        }
    return out


def check_corpus(path: str | Path | None = None) -> dict[str, Any]:
    """Validate a corpus CSV; returns ``{"ok": bool, "checks": [...], "stats": {...}}``."""
    check, rows = _open(Path(path) if path is not None else default_corpus_path(), MIN_ROWS, ("train", "test"))
    if rows is None:
        return check.report({})
    n = len(rows)
    texts = [r["text"] for r in rows]
    pairs = near_duplicate_pairs(texts)
    involved = {i for i, _, _ in pairs} | {j for _, j, _ in pairs}
    rate = len(involved) / n if n else 0.0
    check("near-duplicates", rate <= MAX_NEAR_DUP_RATE, f"{len(pairs)} pairs with 5-gram Jaccard > {NEAR_DUP_JACCARD}; {rate:.2%} of messages involved (maximum {MAX_NEAR_DUP_RATE:.0%})")

    split_of: dict[str, set[str]] = {}
    for r in rows:
        split_of.setdefault(r["group"], set()).add(r["split"])
    straddle = sorted(g for g, s in split_of.items() if len(s) > 1)
    check("groups within one split", not straddle, f"{len(straddle)} groups in both train and test" + (f": {', '.join(straddle[:5])}" if straddle else ""))
    test_share = sum(r["split"] == "test" for r in rows) / n if n else 0.0
    check("train/test about 80/20", TEST_SHARE_RANGE[0] <= test_share <= TEST_SHARE_RANGE[1], f"test share {test_share:.1%}")

    cats = Counter(r["category"] for r in rows)
    emos = Counter(r["emotion"] for r in rows)
    low_c = {c: cats.get(c, 0) for c in CATEGORIES if cats.get(c, 0) < MIN_PER_LABEL}
    low_e = {e: emos.get(e, 0) for e in EMOTIONS if emos.get(e, 0) < MIN_PER_LABEL}
    check("category coverage", not low_c, f"every category ≥ {MIN_PER_LABEL}" + (f"; short: {low_c}" if low_c else ""))
    check("emotion coverage", not low_e, f"every emotion ≥ {MIN_PER_LABEL}" + (f"; short: {low_e}" if low_e else ""))
    channels = Counter(r["channel"] for r in rows)
    low_ch = {c: channels.get(c, 0) for c in CHANNELS if channels.get(c, 0) < MIN_PER_CHANNEL}
    check("channel coverage", not low_ch, f"every channel ≥ {MIN_PER_CHANNEL}" + (f"; short: {low_ch}" if low_ch else ""))
    domains = Counter(r["domain"] for r in rows)
    check("domains", len(domains) >= MIN_DOMAINS, f"{len(domains)} domains (minimum {MIN_DOMAINS})")
    trad = sum(r["script"] == "traditional" for r in rows) / n if n else 0.0
    check("traditional share", trad >= MIN_TRADITIONAL, f"{trad:.1%} Traditional (minimum {MIN_TRADITIONAL:.0%})")

    lengths = sorted(len(t) for t in texts)
    pct = {f"p{q}": lengths[min(len(lengths) - 1, int(q / 100 * len(lengths)))] for q in (5, 25, 50, 75, 95)} if lengths else {}
    stats = {
        "rows": n,
        "category": dict(cats.most_common()),
        "emotion": dict(emos.most_common()),
        "level": dict(Counter(r["level"] for r in rows).most_common()),
        "domain": dict(domains.most_common()),
        "channel": _channel_stats(rows),
        "script": dict(Counter(r["script"] for r in rows).most_common()),
        "split": dict(Counter(r["split"] for r in rows).most_common()),
        "signals": dict(Counter(f"{c}:{m}" for r in rows for c, m in parse_signals(r["signals"])).most_common()),
        "length": {"min": lengths[0] if lengths else 0, **pct, "max": lengths[-1] if lengths else 0},
        "near_duplicate_pairs": len(pairs),
        "groups": len(split_of),
    }
    return check.report(stats)


def copies_of(texts: Sequence[str], reference: Sequence[str]) -> tuple[list[int], list[int]]:
    """Indices of ``texts`` equal to a ``reference`` text, and of those only near-equal to one
    (character 5-gram Jaccard > 0.8)."""
    ref = {t.strip() for t in reference}
    same = [i for i, t in enumerate(texts) if t.strip() in ref]
    k = len(texts)
    near = sorted({i for i, j, _ in near_duplicate_pairs(list(texts) + list(reference)) if i < k <= j} - set(same))
    return same, near


def check_heldout(path: str | Path | None = None, corpus: str | Path | None = None) -> dict[str, Any]:
    """Validate the style-held-out set and its separation from the training corpus."""
    cp = Path(corpus) if corpus is not None else default_corpus_path()
    check, rows = _open(Path(path) if path is not None else default_heldout_path(), MIN_HELDOUT_ROWS, ("heldout",))
    if rows is None:
        return check.report({})
    channels = Counter(r["channel"] for r in rows)
    missing = [c for c in CHANNELS if not channels.get(c)]
    check("every channel", not missing, "missing: " + ", ".join(missing) if missing else "all present")
    with open(cp, encoding="utf-8", newline="") as f:
        train = list(csv.DictReader(f))
    own = [r["text"] for r in rows]
    same, near = copies_of(own, [r["text"] for r in train])
    check("no text shared with the corpus", not same, f"{len(same)} shared" + (f", e.g. {own[same[0]][:30]!r}" if same else ""))
    check("no near-duplicate of a corpus text", not near, f"{len(near)} texts with 5-gram Jaccard > {NEAR_DUP_JACCARD} to a corpus text" + (f", e.g. {own[near[0]][:30]!r}" if near else ""))
    authors = {r["group"].split("-")[0] for r in rows}
    shared_authors = authors & {r["group"].split("-")[0] for r in train}
    check("authors wrote no training data", not shared_authors, f"author parts {sorted(authors)}" + (f"; also in the corpus: {sorted(shared_authors)}" if shared_authors else ""))
    stats = {
        "rows": len(rows),
        "category": dict(Counter(r["category"] for r in rows).most_common()),
        "emotion": dict(Counter(r["emotion"] for r in rows).most_common()),
        "level": dict(Counter(r["level"] for r in rows).most_common()),
        "channel": _channel_stats(rows),
        "script": dict(Counter(r["script"] for r in rows).most_common()),
    }
    return check.report(stats)


def format_report(report: dict[str, Any]) -> str:
    lines = [f"corpus check: {report.get('path')}"]
    for c in report["checks"]:
        lines.append(f"  [{'ok' if c['ok'] else 'FAIL'}] {c['name']}: {c['detail']}")
    st = report.get("stats") or {}
    if st.get("groups") is not None:
        lines.append(f"  rows={st['rows']} groups={st['groups']} split={st['split']} script={st['script']}")
        lines.append(f"  length: {st['length']}")
    elif st:
        lines.append(f"  rows={st['rows']} script={st['script']}")
    for ch, v in (st.get("channel") or {}).items():
        lines.append(f"  channel {ch}: {v['rows']} messages, median {v['median_length']} characters, @ {v['mentions']:.0%}, # {v['hashtags']:.0%}")
    lines.append("OK" if report["ok"] else "FAILED")
    return "\n".join(lines)
