"""Parsing counts and money amounts written in Arabic or Chinese numerals (via cn2an)."""

from __future__ import annotations

import re
import threading
from functools import lru_cache
from typing import Any

__all__ = ["parse_count", "parse_amount", "AMOUNT_RE"]

_cn2an_lock = threading.Lock()
_cn2an: Any = None

# vague quantities: "好几次" counts as several (3), "十几天" as 10+
_VAGUE = {"好几": 3, "几": 3, "多": 3, "无数": 10, "N": 3, "n": 3, "十几": 10, "几十": 20, "数十": 20, "上百": 100, "半": 0.5}
_NUM = re.compile(r"[0-9]+(?:\.[0-9]+)?|[零〇一二两三四五六七八九十百千万亿]+|好几|十几|几十|数十|上百|无数|几|多|半|N|n")


_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}


@lru_cache(maxsize=4096)
def _cn(s: str) -> float | None:
    """Chinese numeral → number. Single characters directly; anything longer through cn2an
    (cached: the same few numerals recur in every message)."""
    if s in _DIGITS:
        return float(_DIGITS[s])
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
_CN = "[零〇一二两三四五六七八九十百千万亿]"
_CN_SMALL = "[零〇一二两三四五六七八九十百]"
# bounded repeats and "start of a digit run" look-behinds keep matching linear on 1 MB of digits
_AR = r"(?<![0-9.,])(?:[0-9]{1,3}(?:,[0-9]{3}){1,5}(?:\.[0-9]{1,4})?|[0-9]{1,12}(?:\.[0-9]{1,4})?)"
_UNIT = "万元|万块|万|千元|千块|千|元|块钱|块|w|W|k|K"
AMOUNT_RE = re.compile(
    # a currency sign, then a number; a Chinese numeral with 万/千/亿 inside (八万五千);
    # or a number followed by a unit (3000块, 两百元, 8万)
    rf"(?:[￥¥$]|人民币|RMB)\s?(?P<num>{_AR}|{_CN}{{1,12}})\s?(?P<unit>{_UNIT})?"
    rf"|(?<!{_CN})(?P<num3>{_CN_SMALL}{{0,6}}[万千亿]{_CN}{{0,8}})(?P<unit3>元|块钱|块)?"
    rf"|(?P<num2>{_AR}|(?<!{_CN}){_CN_SMALL}{{1,6}})\s?(?P<unit2>{_UNIT})",
)


def parse_amount(match: re.Match[str]) -> float | None:
    """Yuan value of an ``AMOUNT_RE`` match, or None when it is not money-like.

    A bare number with no currency sign and no unit is not an amount (it may be an order number).
    """
    num = match.group("num") or match.group("num2") or match.group("num3")
    unit = match.group("unit") or match.group("unit2") or ""
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
