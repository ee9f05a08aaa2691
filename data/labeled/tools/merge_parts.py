"""Merge the part files written by the corpus authors into corpus.csv (or the held-out set).

Usage (from the repository root):
    python data/labeled/tools/merge_parts.py PART [PART …]              append new parts to corpus.csv
    python data/labeled/tools/merge_parts.py --rebuild PART [PART …]    rebuild corpus.csv from parts
    python data/labeled/tools/merge_parts.py --heldout PART [PART …]    (re)write data/heldout/heldout.csv

A part is a CSV with the columns text,category,category2,emotion,signals,level,domain,channel,script,group
or a JSON Lines file with those keys (what `check_part.py` checks); its file name without the
extension names the part, and a part already in corpus.csv is refused.

Assigns ids (<part>-<n>), keeps the authors' paraphrase group ids (prefixed by part), and splits
train/test about 80/20 BY GROUP with a stable hash, so near-paraphrases never straddle the split
and re-running the merge gives the same split. Held-out rows get split `heldout`: they are never
trained on.

Rows of the first corpus (v1, written before channels existed) have no `channel`; `legacy_channel`
assigns one from the part and the text, by the rules written next to it.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import sys
from pathlib import Path

COLUMNS = ["id", "text", "category", "category2", "emotion", "signals", "level", "domain", "channel", "script", "group", "split"]
CORPUS = Path("data/labeled/corpus.csv")
HELDOUT = Path("data/heldout/heldout.csv")


def split_of(group: str) -> str:
    h = int(hashlib.sha256(group.encode("utf-8")).hexdigest()[:8], 16)
    return "test" if h % 100 < 20 else "train"


_CALL = re.compile(r"^(?:客户|来电|坐席|用户来电|客戶)|坐席[:：]")
_SENTENCE_PUNCT = re.compile(r"[，。！？,.!?；;]")


def legacy_channel(part: str, text: str, category: str, level: str) -> str:
    """Channel of a v1 row, which was written before channels existed. In order:
    car titles (parts cart, cart2) → platform; agent summaries and transcripts → callcenter;
    @-mentions or hashtags → weibo; non-complaints (other + minor) → everyday; a short line
    without sentence punctuation → chat; anything else → forum (first-person narrative)."""
    if part in ("cart", "cart2"):
        return "platform"
    if _CALL.search(text):
        return "callcenter"
    if "@" in text or "#" in text:
        return "weibo"
    if category == "other" and level == "minor":
        return "everyday"
    if len(text) <= 40 and not _SENTENCE_PUNCT.search(text):
        return "chat"
    return "forum"


def read_part(path: Path) -> list[dict[str, str]]:
    if path.suffix == ".jsonl":
        with open(path, encoding="utf-8") as f:
            return [json.loads(line) for line in f if line.strip()]
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def normalise_row(name: str, i: int, r: dict[str, str], split: str | None) -> dict[str, str]:
    group = r["group"].strip()
    if not group.startswith(name):
        group = f"{name}-{group}"
    text = r["text"].strip()
    channel = (r.get("channel") or "").strip() or legacy_channel(name, text, r["category"].strip(), r["level"].strip())
    return {
        "id": f"{name}-{i:04d}",
        "text": text,
        "category": r["category"].strip(),
        "category2": r["category2"].strip(),
        "emotion": r["emotion"].strip(),
        "signals": ";".join(x.strip() for x in r["signals"].split(";") if x.strip()),
        "level": r["level"].strip(),
        "domain": r["domain"].strip(),
        "channel": channel,
        "script": r["script"].strip(),
        "group": group,
        "split": split or split_of(group),
    }


def write(out: Path, rows: list[dict[str, str]]) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=COLUMNS)
        w.writeheader()
        w.writerows(rows)
    print(f"{len(rows)} rows → {out}")


def main(args: list[str]) -> None:
    heldout = bool(args) and args[0] == "--heldout"
    rebuild = bool(args) and args[0] == "--rebuild"
    parts = args[1:] if heldout or rebuild else args
    out = HELDOUT if heldout else CORPUS
    rows: list[dict[str, str]] = []
    if not heldout and not rebuild and out.exists():
        with open(out, encoding="utf-8", newline="") as f:
            for r in csv.DictReader(f):
                if not r.get("channel"):  # a v1 file: give its rows their channel
                    r["channel"] = legacy_channel(r["id"].rsplit("-", 1)[0], r["text"], r["category"], r["level"])
                rows.append({k: r[k] for k in COLUMNS})
    have = {r["id"].rsplit("-", 1)[0] for r in rows}
    corpus_texts: list[str] = []
    if heldout:  # the held-out set must not contain a corpus text, nor a near-copy of one
        with open(CORPUS, encoding="utf-8", newline="") as f:
            corpus_texts = [r["text"] for r in csv.DictReader(f)]
    for part in parts:
        path = Path(part)
        name = path.stem
        if name in have:
            sys.exit(f"part {name!r} is already in {out}; rename the new part or use --rebuild")
        seen = {r["text"] for r in rows}
        skipped = 0
        for i, r in enumerate(read_part(path), 1):
            row = normalise_row(name, i, r, "heldout" if heldout else None)
            if row["text"] in seen:  # two authors wrote the same line: keep the first
                skipped += 1
                continue
            seen.add(row["text"])
            rows.append(row)
        if skipped:
            print(f"{name}: skipped {skipped} texts already merged")
        have.add(name)
    if heldout:
        rows = drop_corpus_copies(rows, corpus_texts)
    elif HELDOUT.exists():  # nor may the corpus take in a copy of a held-out text
        with open(HELDOUT, encoding="utf-8", newline="") as f:
            held = [r["text"] for r in csv.DictReader(f)]
        new = [r for r in rows if r["id"].rsplit("-", 1)[0] in {Path(p).stem for p in parts}]
        old = [r for r in rows if r["id"].rsplit("-", 1)[0] not in {Path(p).stem for p in parts}]
        rows = old + drop_corpus_copies(new, held, what="new corpus rows", of="a held-out text")
    write(out, rows)


def drop_corpus_copies(rows: list[dict[str, str]], corpus_texts: list[str], what: str = "held-out rows", of: str = "a corpus text") -> list[dict[str, str]]:
    """``rows`` minus those equal or near-equal (5-gram Jaccard > 0.8) to one of ``corpus_texts``:
    two authors can write the same short line, and the held-out set must stay unseen."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[3]))
    from complaint_nlp.corpus import copies_of

    same, near = copies_of([r["text"] for r in rows], corpus_texts)
    bad = set(same) | set(near)
    if bad:
        print(f"dropped {len(bad)} {what} that copy or nearly copy {of}")
    return [r for i, r in enumerate(rows) if i not in bad]


if __name__ == "__main__":
    main(sys.argv[1:])
