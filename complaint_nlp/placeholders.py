"""Typed placeholders: what the classifier reads instead of names, links and numbers.

A Weibo complaint tags ``@北京12345``, ``@新京报`` and ``@中国移动10086``; a platform form carries an
order number, a plate and an amount. Names and numbers like these are different in every export,
so a model that memorises them does not carry over to the next one. :func:`PlaceholderSpec.mask`
replaces each with ONE private-use character that stands for its TYPE: an @-account by what kind
of account it is (regulator, police, media, government, other), a brand by its industry, URLs,
e-mail addresses, plates, long ids and other numbers by their kind. Service numbers that mean
something on their own (12315, 10086) are kept.

The spec is data (``complaint_nlp/data/placeholders.toml``). A trained model stores the spec it
was trained with in its manifest, so its features never change under it when the shipped file
does. Rules and evidence never read masked text: :class:`Masked` maps every masked span back to
the text it came from.
"""

from __future__ import annotations

import re
import sys
from bisect import bisect_right
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from ._data import data_file
from .errors import ConfigError
from .saferegex import compile_alternation

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = ["PlaceholderSpec", "PlaceholderError", "Masked", "MARKERS", "default_placeholders_path", "lower_aligned"]


class PlaceholderError(ConfigError):
    """A placeholder spec is malformed (unknown section or key, wrong type, bad regex)."""


#: fixed markers (private-use characters: no real text carries them, and each is one token)
MARKERS: Mapping[str, str] = {
    "url": "\ue000",
    "email": "\ue001",
    "long_id": "\ue002",
    "number": "\ue003",
    "plate": "\ue004",
    "account": "\ue010",  # an @-account no account type matched (brand, service, personal)
}
_ACCOUNT_BASE = 0xE011  # account types, in the spec's order
_BRAND_BASE = 0xE030  # brand industries, in the spec's order
_MAX_TYPES = 31

_SECTIONS = {"accounts", "brands", "numbers"}
_NUMBER_KEYS = {"keep", "long_id_digits"}

_URL = r"(?:https?://|www\.)[!-~]{1,2000}"
_EMAIL = r"[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){1,8}"
# an @-mention: the account name runs to the next space or punctuation mark (Weibo names are
# letters, digits, CJK, '-' and '_')
_ACCOUNT = r"@(?P<name>[0-9A-Za-z_\-\u4e00-\u9fff\u3400-\u4dbf·]{1,30})"
_PLATE = r"[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼][A-Za-z][·•]?[A-Za-z0-9]{5,6}(?![A-Za-z0-9])"
_NUMBER = r"(?<![0-9])[0-9]+(?:[.,][0-9]+)*"


def lower_aligned(text: str) -> str:
    """``text.lower()``, position for position: the few characters that lower-case to two
    (İ → i̇) are kept as they are, so every index still points at the same character."""
    low = text.lower()
    if len(low) == len(text):
        return low
    return "".join(c if len(c.lower()) != 1 else c.lower() for c in text)


def default_placeholders_path() -> Path:
    return data_file("placeholders.toml")


def _str_list(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v.strip() for v in value):
        raise PlaceholderError(f"{where}: must be a non-empty list of non-empty strings")
    return tuple(value)


@dataclass(frozen=True)
class Masked:
    """Masked text plus the map from its characters back to the text it was made from.

    Every marker is one character of ``text`` that stands for ``source[start:end]``; every other
    character is copied 1:1.
    """

    source: str
    text: str
    _mpos: tuple[int, ...]  # positions of markers in ``text`` (ascending)
    _sstart: tuple[int, ...]
    _send: tuple[int, ...]

    def _at(self, i: int) -> tuple[int, int]:
        k = bisect_right(self._mpos, i) - 1
        if k < 0:
            return i, i + 1
        if self._mpos[k] == i:
            return self._sstart[k], self._send[k]
        s = self._send[k] + (i - self._mpos[k] - 1)
        return s, s + 1

    def to_source(self, start: int, end: int) -> tuple[int, int]:
        """Span ``text[start:end]`` (non-empty) → the span of ``source`` it came from."""
        if not 0 <= start < end <= len(self.text):
            raise ValueError(f"span ({start}, {end}) outside masked text of length {len(self.text)}")
        return self._at(start)[0], self._at(end - 1)[1]


class PlaceholderSpec:
    """Which names and numbers become which markers (see the module docstring).

    Build it with :meth:`load` (a TOML file) or :meth:`from_dict` (the dict a model manifest
    stores); :meth:`mask` applies it. Immutable after construction and safe to share between
    threads.
    """

    def __init__(self, accounts: Mapping[str, tuple[str, ...]], account_order: tuple[str, ...], brands: Mapping[str, tuple[str, ...]], keep: tuple[str, ...], long_id_digits: int, *, source: str = "<dict>") -> None:
        if len(account_order) > _MAX_TYPES or len(brands) > _MAX_TYPES:
            raise PlaceholderError(f"{source}: at most {_MAX_TYPES} account types and {_MAX_TYPES} brand industries")
        self.account_order = account_order
        self.accounts = {k: tuple(accounts[k]) for k in account_order}
        self.brands = {k: tuple(v) for k, v in brands.items()}
        self.keep = frozenset(keep)
        self.long_id_digits = int(long_id_digits)
        self._account_res = []
        for i, kind in enumerate(account_order):
            try:
                rx = compile_alternation(self.accounts[kind], f"{source}: [accounts]: key {kind!r}")
            except ConfigError as exc:
                raise PlaceholderError(str(exc)) from None
            self._account_res.append((rx, chr(_ACCOUNT_BASE + i)))
        self._brand_marker: dict[str, str] = {}
        for i, (industry, names) in enumerate(self.brands.items()):
            for name in names:
                self._brand_marker.setdefault(name.lower(), chr(_BRAND_BASE + i))
        # Brands are found in the LOWER-CASED text by a bare alternation of literals: re then
        # skips, in C, every position whose character starts no brand (a case-insensitive or
        # grouped alternation would try all of them at every position: 6x slower).
        longest_first = sorted(self._brand_marker, key=lambda n: (-len(n), n))
        self._brand_re = re.compile("|".join(re.escape(n) for n in longest_first) or "(?!)")
        self._re = re.compile(f"(?P<url>{_URL})|(?P<email>{_EMAIL})|(?P<acct>{_ACCOUNT})|(?P<plate>{_PLATE})|(?P<num>{_NUMBER})")

    # ------------------------------------------------------------------ construction
    @classmethod
    def load(cls, path: str | Path | None = None) -> "PlaceholderSpec":
        """Read and validate a placeholder TOML file (default: the shipped one)."""
        p = Path(path) if path is not None else default_placeholders_path()
        try:
            with open(p, "rb") as f:
                raw = tomllib.load(f)
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise PlaceholderError(f"{p}: cannot read: {exc}") from exc
        return cls.from_dict(raw, source=str(p))

    @classmethod
    def from_dict(cls, raw: Any, *, source: str = "<dict>") -> "PlaceholderSpec":
        """Validate the dict form (the TOML's tables, or :meth:`to_dict` output)."""
        if not isinstance(raw, dict):
            raise PlaceholderError(f"{source}: must be a table")
        unknown = sorted(set(raw) - _SECTIONS)
        missing = sorted(_SECTIONS - set(raw))
        if unknown:
            raise PlaceholderError(f"{source}: unknown section(s) {unknown}; expected {sorted(_SECTIONS)}")
        if missing:
            raise PlaceholderError(f"{source}: missing section(s) {missing}")
        acc = raw["accounts"]
        if not isinstance(acc, dict) or "order" not in acc:
            raise PlaceholderError(f"{source}: [accounts]: needs 'order', the list of account types")
        order = _str_list(acc["order"], f"{source}: [accounts] order")
        if len(set(order)) != len(order):
            raise PlaceholderError(f"{source}: [accounts] order: duplicate type")
        extra = sorted(set(acc) - {"order", *order})
        if extra:
            raise PlaceholderError(f"{source}: [accounts]: key(s) {extra} are not in 'order' {list(order)}")
        absent = [k for k in order if k not in acc]
        if absent:
            raise PlaceholderError(f"{source}: [accounts]: type(s) {absent} in 'order' have no pattern list")
        accounts = {k: _str_list(acc[k], f"{source}: [accounts] {k}") for k in order}
        br = raw["brands"]
        if not isinstance(br, dict) or not br:
            raise PlaceholderError(f"{source}: [brands]: must be a table of industry = [names]")
        brands = {k: _str_list(v, f"{source}: [brands] {k}") for k, v in br.items()}
        num = raw["numbers"]
        if not isinstance(num, dict):
            raise PlaceholderError(f"{source}: [numbers]: must be a table")
        bad = sorted(set(num) - _NUMBER_KEYS)
        if bad:
            raise PlaceholderError(f"{source}: [numbers]: unknown key(s) {bad}; expected {sorted(_NUMBER_KEYS)}")
        if set(num) != _NUMBER_KEYS:
            raise PlaceholderError(f"{source}: [numbers]: needs {sorted(_NUMBER_KEYS)}")
        keep = _str_list(num["keep"], f"{source}: [numbers] keep")
        if not all(k.isdigit() for k in keep):
            raise PlaceholderError(f"{source}: [numbers] keep: digits only")
        n = num["long_id_digits"]
        if isinstance(n, bool) or not isinstance(n, int) or not 4 <= n <= 64:
            raise PlaceholderError(f"{source}: [numbers] long_id_digits: an integer from 4 to 64")
        return cls(accounts, order, brands, keep, n, source=source)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form; :meth:`from_dict` of it gives an equal spec."""
        return {
            "accounts": {"order": list(self.account_order), **{k: list(v) for k, v in self.accounts.items()}},
            "brands": {k: list(v) for k, v in self.brands.items()},
            "numbers": {"keep": sorted(self.keep), "long_id_digits": self.long_id_digits},
        }

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PlaceholderSpec) and self.to_dict() == other.to_dict()

    def __hash__(self) -> int:
        return hash(repr(self.to_dict()))

    # ------------------------------------------------------------------ masking
    def account_type(self, name: str) -> str:
        """Type of an @-account by its name (without '@'): the first type whose patterns match,
        else ``"account"``."""
        for kind, (rx, _) in zip(self.account_order, self._account_res):
            if rx.search(name):
                return kind
        return "account"

    def _account_marker(self, name: str) -> str:
        for rx, marker in self._account_res:
            if rx.search(name):
                return marker
        # a brand's own account (@中国移动10086, @京东客服) stands for the brand's industry
        b = self._brand_re.search(name.lower())
        return self._brand_marker[b.group()] if b else MARKERS["account"]

    def _marker(self, m: "re.Match[str]") -> str | None:
        kind = m.lastgroup
        if kind == "name":  # the named group inside acct closes last
            kind = "acct"
        if kind == "acct":
            return self._account_marker(m.group("name"))
        if kind == "num":
            if m.group() in self.keep:
                return None
            digits = sum(c.isdigit() for c in m.group())
            return MARKERS["long_id"] if digits >= self.long_id_digits else MARKERS["number"]
        return MARKERS[kind] if kind else None

    def _replacements(self, text: str) -> list[tuple[int, int, str]]:
        """Non-overlapping ``(start, end, marker)``, left to right. At one position the order of
        precedence is URL, e-mail, account, plate, brand, number; a match never starts inside an
        earlier one."""
        low = lower_aligned(text)
        found: list[tuple[int, int, int, str]] = []
        for m in self._re.finditer(text):
            marker = self._marker(m)
            if marker is not None:
                found.append((m.start(), 0 if m.lastgroup != "num" else 2, m.end(), marker))
        if self._brand_marker:
            for m in self._brand_re.finditer(low):
                found.append((m.start(), 1, m.end(), self._brand_marker[m.group()]))
        if not found:
            return []
        found.sort()
        out: list[tuple[int, int, str]] = []
        last = 0
        for start, _, end, marker in found:
            if start >= last:
                out.append((start, end, marker))
                last = end
        return out

    def mask(self, text: str) -> Masked:
        """``text`` with every name, link and number replaced by its type's marker."""
        reps = self._replacements(text)
        if not reps:
            return Masked(text, text, (), (), ())
        out: list[str] = []
        mpos: list[int] = []
        last = 0
        n_out = 0
        for s, e, marker in reps:
            out.append(text[last:s])
            n_out += s - last
            mpos.append(n_out)
            out.append(marker)
            n_out += 1
            last = e
        out.append(text[last:])
        return Masked(text, "".join(out), tuple(mpos), tuple(r[0] for r in reps), tuple(r[1] for r in reps))

    def mask_text(self, text: str) -> str:
        """Only the masked string of :meth:`mask`."""
        reps = self._replacements(text)
        if not reps:
            return text
        out: list[str] = []
        last = 0
        for s, e, marker in reps:
            out.append(text[last:s])
            out.append(marker)
            last = e
        out.append(text[last:])
        return "".join(out)


_default_spec: PlaceholderSpec | None = None


def default_spec() -> PlaceholderSpec:
    """The shipped spec, loaded once."""
    global _default_spec
    if _default_spec is None:
        _default_spec = PlaceholderSpec.load()
    return _default_spec
