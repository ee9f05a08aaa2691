"""Check a corpus author's part file (JSON Lines) before it is merged.

Usage (from the repository root, plain Python 3, no dependencies):
    python3 data/labeled/tools/check_part.py PART.jsonl [--quiet]

Each line is one JSON object with the keys
    text, category, category2, emotion, signals, level, domain, channel, script, group
(`category2` and `signals` may be ""). Prints every bad line with its number and why, the label
distribution, the length distribution by channel, and exact and near-exact duplicate texts; exits 1
when any line is bad. The label codes are those of ../shared/TAXONOMY.md.
"""

from __future__ import annotations

import json
import sys
from collections import Counter, defaultdict

CATEGORIES = ("product_quality", "service_attitude", "after_sales", "delay", "price_billing",
              "false_advertising", "logistics", "safety", "property_loss", "other")
EMOTIONS = ("anger", "disappointment", "anxiety", "fear", "sadness", "distrust", "neutral")
LEVELS = ("urgent", "serious", "normal", "minor")
SIGNALS = ("regulator", "media", "legal", "repeated_contact", "solution_rejected", "accusation",
           "high_intensity", "safety_hazard", "collective", "special_identity")
MODALITIES = ("threatened", "done", "negated", "mentioned")
CHANNELS = ("weibo", "platform", "callcenter", "chat", "review", "everyday", "forum")
SCRIPTS = ("simplified", "traditional")
KEYS = ("text", "category", "category2", "emotion", "signals", "level", "domain", "channel", "script", "group")
LENGTH = (5, 600)


def problems(obj: object) -> list[str]:
    if not isinstance(obj, dict):
        return ["not a JSON object"]
    out = []
    missing = [k for k in KEYS if k not in obj]
    extra = [k for k in obj if k not in KEYS]
    if missing:
        out.append(f"missing keys {missing}")
    if extra:
        out.append(f"unknown keys {extra}")
    if missing:
        return out
    if not all(isinstance(obj[k], str) for k in KEYS):
        return out + ["every value must be a string"]
    n = len(obj["text"].strip())
    if not LENGTH[0] <= n <= LENGTH[1]:
        out.append(f"text length {n} outside {LENGTH}")
    if obj["category"] not in CATEGORIES:
        out.append(f"category {obj['category']!r}")
    if obj["category2"] not in ("", *CATEGORIES) or obj["category2"] == obj["category"]:
        out.append(f"category2 {obj['category2']!r} (empty or another category)")
    if obj["emotion"] not in EMOTIONS:
        out.append(f"emotion {obj['emotion']!r}")
    if obj["level"] not in LEVELS:
        out.append(f"level {obj['level']!r}")
    if obj["channel"] not in CHANNELS:
        out.append(f"channel {obj['channel']!r}")
    if obj["script"] not in SCRIPTS:
        out.append(f"script {obj['script']!r}")
    if not obj["domain"].strip() or not obj["domain"].isascii():
        out.append("domain must be a non-empty ascii code")
    if not obj["group"].strip():
        out.append("group is empty")
    for part in filter(None, (p.strip() for p in obj["signals"].split(";"))):
        code, _, mod = part.partition(":")
        if code not in SIGNALS or mod not in MODALITIES:
            out.append(f"signal {part!r} (code:modality)")
    return out


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    path, quiet = argv[0], "--quiet" in argv
    bad = 0
    rows = []
    with open(path, encoding="utf-8") as f:
        for no, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                print(f"line {no}: invalid JSON ({e})")
                bad += 1
                continue
            p = problems(obj)
            if p:
                print(f"line {no}: " + "; ".join(p))
                bad += 1
            else:
                rows.append(obj)
    texts = Counter(r["text"].strip() for r in rows)
    dups = [t for t, c in texts.items() if c > 1]
    for t in dups:
        print(f"duplicate text: {t[:40]!r}")
    print(f"{len(rows)} good lines, {bad} bad, {len(dups)} duplicate texts")
    if not quiet and rows:
        for key in ("category", "emotion", "level", "channel", "script", "domain"):
            print(f"{key}: " + " · ".join(f"{k} {v}" for k, v in Counter(r[key] for r in rows).most_common()))
        print("signals: " + " · ".join(f"{k} {v}" for k, v in Counter(
            s.strip() for r in rows for s in r["signals"].split(";") if s.strip()).most_common()))
        by_channel = defaultdict(list)
        for r in rows:
            by_channel[r["channel"]].append(len(r["text"]))
        for ch, ls in sorted(by_channel.items()):
            ls.sort()
            q = lambda p: ls[min(len(ls) - 1, int(p * len(ls)))]
            print(f"length {ch}: n={len(ls)} min {ls[0]} p25 {q(.25)} median {q(.5)} p75 {q(.75)} max {ls[-1]}")
        print(f"with @: {sum('@' in r['text'] for r in rows)} · with #: {sum('#' in r['text'] for r in rows)}")
    return 1 if bad or dups else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
