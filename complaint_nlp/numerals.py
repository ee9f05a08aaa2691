"""Parsing counts and money amounts written in Arabic or Chinese numerals (via cn2an)."""

from __future__ import annotations

import re
import threading
from typing import Any

__all__ = ["parse_count", "parse_amount", "AMOUNT_RE"]

_cn2an_lock = threading.Lock()
_cn2an: Any = None

# vague quantities: "好几次" counts as several (3), "十几天" as 10+
_VAGUE = {"好几": 3, "几": 3, "多": 3, "无数": 10, "N": 3, "n": 3, "十几": 10, "几十": 20, "数十": 20, "上百": 100, "半": 0.5}
_NUM = re.compile(r"[0-9]+(?:\.[0-9]+)?|[零〇一二两三四五六七八九十百千万亿]+|好几|十几|几十|数十|上百|无数|几|多|半|N|n")


def _cn(s: str) -> float | None:
    global _cn2an
    if _cn2an is None:
        with _cn2an_lock:
            if _cn2an is None:
                import cn2an  # heavy-ish import, only when a Chinese numeral must be read

                _cn2an = cn2an
    try:
        return float(_cn2an.cn2an(s, "smart"))
    except Exception:  # cn2an raises bare ValueError/KeyError on odd input
        return None


def parse_count(text: str) -> float | None:
    """First number in ``text``: ``"打了五次"`` → 5, ``"好几次"`` → 3, ``"第12次"`` → 12."""
    m = _NUM.search(text)
    if m is None:
        return None
    tok = m.group(0)
    if tok in _VAGUE:
        # "十多天" / "20多次": the number before 多 wins
        return float(_VAGUE[tok])
    if tok[0].isdigit():
        return float(tok)
    return _cn(tok)


# An amount of money: ￥80,000 / 8万 / 50万元 / 八万五千 / 3000块 / 1.5w
AMOUNT_RE = re.compile(
    r"(?:[￥¥$]|人民币|RMB)?\s?"
    r"(?P<num>[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?|[0-9]+(?:\.[0-9]+)?|[零〇一二两三四五六七八九十百千万亿]{1,12})"
    r"\s?(?P<unit>万元|万块|万|千元|千块|千|元|块钱|块|w|W|k|K)?",
)


def parse_amount(match: re.Match[str]) -> float | None:
    """Yuan value of an ``AMOUNT_RE`` match, or None when it is not money-like.

    A bare number with no currency sign and no unit is not an amount (it may be an order number).
    """
    num, unit = match.group("num"), match.group("unit") or ""
    text = match.group(0)
    has_sign = text.lstrip()[:1] in ("￥", "¥", "$") or text.startswith(("人民币", "RMB"))
    big_cn = not num[0].isdigit() and any(c in num for c in "万千亿")  # 八万五千
    if not unit and not has_sign and not big_cn:
        return None
    if num[0].isdigit():
        value = float(num.replace(",", ""))
    else:
        v = _cn(num)
        if v is None:
            return None
        value = v
    mult = {"万元": 1e4, "万块": 1e4, "万": 1e4, "w": 1e4, "W": 1e4, "千元": 1e3, "千块": 1e3, "千": 1e3, "k": 1e3, "K": 1e3}
    return value * mult.get(unit, 1.0)
