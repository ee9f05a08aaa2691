"""Check a rule-case file (JSON Lines) written for the signal tests (issue #13).

Usage: python3 data/labeled/tools/check_cases.py FILE.jsonl

Each line: {"id": str, "shape": 1-7, "text": str, "signals": [{"code", "modality", "span"}, ...],
"level": urgent|serious|normal|minor, "note": str}. `signals` lists EVERY signal the text carries
(TAXONOMY §3, any modality), each with `span`: the exact substring of `text` that is its evidence
(add "occurrence": N, 1-based, when that substring appears more than once). Prints bad lines and
the distribution; exits 1 when a line is bad.
"""

from __future__ import annotations

import json
import sys
from collections import Counter

SIGNALS = ("regulator", "media", "legal", "repeated_contact", "solution_rejected", "accusation",
           "high_intensity", "safety_hazard", "collective", "special_identity")
MODALITIES = ("threatened", "done", "negated", "mentioned")
LEVELS = ("urgent", "serious", "normal", "minor")
KEYS = {"id", "shape", "text", "signals", "level", "note"}


def problems(c: dict) -> list[str]:
    out = []
    if set(c) - KEYS or KEYS - set(c) - {"note"}:
        out.append(f"keys {sorted(c)}; expected {sorted(KEYS)}")
    if not isinstance(c.get("text"), str) or not c["text"].strip():
        out.append("text must be a non-empty string")
        return out
    if c.get("shape") not in range(1, 8):
        out.append("shape must be 1..7")
    if c.get("level") not in LEVELS:
        out.append(f"level {c.get('level')!r}")
    for s in c.get("signals", []):
        if set(s) - {"code", "modality", "span", "occurrence"}:
            out.append(f"signal keys {sorted(s)}")
        if s.get("code") not in SIGNALS:
            out.append(f"code {s.get('code')!r}")
        if s.get("modality") not in MODALITIES:
            out.append(f"modality {s.get('modality')!r}")
        span = s.get("span")
        if not isinstance(span, str) or not span or span not in c["text"]:
            out.append(f"span {span!r} is not a substring of the text")
        elif c["text"].count(span) > 1 and "occurrence" not in s:
            out.append(f"span {span!r} occurs {c['text'].count(span)} times: add \"occurrence\"")
    return out


def main(path: str) -> int:
    bad = 0
    ids: set[str] = set()
    texts: set[str] = set()
    codes: Counter[str] = Counter()
    shapes: Counter[int] = Counter()
    levels: Counter[str] = Counter()
    n = 0
    for i, line in enumerate(open(path, encoding="utf-8"), 1):
        if not line.strip():
            continue
        n += 1
        try:
            c = json.loads(line)
        except json.JSONDecodeError as exc:
            print(f"line {i}: not JSON: {exc}")
            bad += 1
            continue
        p = problems(c)
        if c.get("id") in ids:
            p.append(f"duplicate id {c.get('id')!r}")
        if c.get("text") in texts:
            p.append("duplicate text")
        ids.add(c.get("id"))
        texts.add(c.get("text"))
        if p:
            bad += 1
            print(f"line {i} ({c.get('id')}): " + "; ".join(p))
            continue
        shapes[c["shape"]] += 1
        levels[c["level"]] += 1
        for s in c["signals"]:
            codes[f"{s['code']}:{s['modality']}"] += 1
    print(f"{n} cases, {bad} bad")
    print("shapes:", dict(sorted(shapes.items())))
    print("levels:", dict(levels))
    print("signals:", dict(codes.most_common()))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
