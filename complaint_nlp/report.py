"""``complaint-nlp report``: one self-contained HTML page from a scored export.

The page is built from aggregates and a bounded sample of rows, read block by block, so a file of
millions of rows gives a page of bounded size in bounded memory:

* counts per level, category, emotion, customer type, scenario, demand kind and signal code;
* ids, customer ids and ``--by`` values cut to ``KEY_CHARS`` characters;
* at most ``ACT_NOW`` urgent/serious rows (the most severe first), their text cut to ``TEXT_CHARS``
  characters around the evidence;
* the ``TOP`` most frequent escalation phrases, demands with the largest amounts, customers with
  the most complaints and values of each ``--by`` column (at most ``BY_VALUES`` values are tracked
  per column; the rest are counted as one "其他" bucket);
* per day (or per week over ``DAILY_MAX_DAYS`` days) counts per level when a time column is given.

Charts are inline SVG, styles inline CSS; a Content-Security-Policy forbids every network load, so
the file opens anywhere, offline. Labels are Chinese with the English code on hover (``title``).
Every figure is also in a ``data-`` attribute, which is how the tests read it back.
"""

from __future__ import annotations

import heapq
import html
import json
import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Sequence

from .errors import ColumnError, InputError
from .taxonomy import CATEGORIES, CUSTOMER_TYPES, DEMAND_KINDS, EMOTIONS, LEVEL_ORDER, LEVELS, SCENARIOS, SIGNALS, TRAITS

__all__ = ["ACT_NOW", "TEXT_CHARS", "TOP", "BY_VALUES", "KEY_CHARS", "collect", "render", "write_report"]

#: most urgent/serious rows listed in the "act now" table
ACT_NOW = 200
#: characters of a message shown in the table (around its evidence)
TEXT_CHARS = 300
#: entries in each top list
TOP = 20
#: distinct values tracked per --by column (the rest are one bucket)
BY_VALUES = 1000
#: characters kept of an id, a customer id or a --by value (a 1 MB cell must not become a 1 MB key)
KEY_CHARS = 100
#: a time chart over more days than this is weekly
DAILY_MAX_DAYS = 120
_THREATS = ("regulator", "media", "legal")
_LIVE = ("threatened", "done")
_RESULT = ("level", "category", "emotion", "signals", "traits", "professional_complainant", "intensity", "error", "demands", "customer_type", "scenario", "response_minutes", "responder")
_TEXT_NAMES = ("text", "内容", "content", "message", "body", "正文", "投诉内容", "问题描述", "描述")
_OTHER = "其他 (other values)"


def _reverse(table: Any) -> dict[str, str]:
    return {v: k for k, v in table.items()}


# scored files written with --labels zh hold Chinese names in these columns
_FROM_ZH = {
    "category": _reverse(CATEGORIES),
    "emotion": _reverse(EMOTIONS),
    "level": {t.name: k for k, t in LEVELS.items()},
    "customer_type": _reverse(CUSTOMER_TYPES),
    "scenario": _reverse(SCENARIOS),
}


def _code(col: str, v: Any) -> str | None:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    s = str(v).strip()
    if not s:
        return None
    return _FROM_ZH.get(col, {}).get(s, s)


def _key(v: Any) -> str:
    """A cell as a table key: its text, cut to KEY_CHARS characters (with … when cut)."""
    t = str(v).strip()
    return t if len(t) <= KEY_CHARS else t[:KEY_CHARS] + "…"


def _nested(v: Any) -> list[Any]:
    """A list cell: native (JSON Lines, Parquet) or JSON text (CSV, Excel)."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return []
    if isinstance(v, list):
        return v
    if hasattr(v, "tolist"):  # numpy array from a Parquet reader
        return list(v.tolist())
    if isinstance(v, str):
        s = v.strip()
        if not s or s[0] != "[":
            return []
        try:
            got = json.loads(s)
        except ValueError:
            return []
        return got if isinstance(got, list) else []
    return []


def _truthy(v: Any) -> bool:
    if isinstance(v, bool):
        return v
    if isinstance(v, str):
        return v.strip().lower() in ("true", "1", "yes")
    if isinstance(v, (int, float)) and not (isinstance(v, float) and math.isnan(v)):
        return bool(v)
    return False


def _float(v: Any) -> float:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return 0.0
    return 0.0 if math.isnan(f) else f


@dataclass
class ReportData:
    """Everything the page shows, all bounded in size."""

    source: str
    rows: int = 0
    errors: int = 0
    levels: Counter[str] = field(default_factory=Counter)
    categories: Counter[str] = field(default_factory=Counter)
    emotions: Counter[str] = field(default_factory=Counter)
    customer_types: Counter[str] = field(default_factory=Counter)
    scenarios: Counter[str] = field(default_factory=Counter)
    threat_rows: Counter[str] = field(default_factory=Counter)  # code → rows with it threatened/done
    threat_any: int = 0
    professional: int = 0
    signal_rows: Counter[str] = field(default_factory=Counter)
    phrases: Counter[tuple[str, str]] = field(default_factory=Counter)
    demand_rows: Counter[str] = field(default_factory=Counter)
    demand_amounts: dict[str, list[float]] = field(default_factory=lambda: defaultdict(lambda: [0, 0.0, 0.0]))  # kind → [n, sum, max]
    big_amounts: list[tuple[float, int, int, dict[str, Any]]] = field(default_factory=list)  # heap of the largest
    act_now: list[tuple[tuple[int, float, int], dict[str, Any]]] = field(default_factory=list)  # heap
    customers: Counter[str] = field(default_factory=Counter)
    customer_level: dict[str, str] = field(default_factory=dict)
    by: dict[str, dict[str, Counter[str]]] = field(default_factory=dict)
    by_other: dict[str, Counter[str]] = field(default_factory=dict)
    days: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    bad_times: int = 0
    text_col: str | None = None
    time_col: str | None = None
    by_cols: tuple[str, ...] = ()
    customer_col: str | None = None


def _find(columns: Sequence[str], name: str) -> str | None:
    """The scored file's column for result ``name`` (``name`` or ``name_cnlp`` on a clash)."""
    if f"{name}_cnlp" in columns:
        return f"{name}_cnlp"
    return name if name in columns else None


def _snippet(text: str, spans: list[tuple[int, int, str]]) -> tuple[str, list[tuple[int, int, str]]]:
    """``text`` cut to TEXT_CHARS characters around its first evidence span, and the spans
    shifted into the cut."""
    if len(text) <= TEXT_CHARS:
        return text, [s for s in spans if 0 <= s[0] < s[1] <= len(text)]
    first = min((s[0] for s in spans), default=0)
    lo = max(0, min(first - TEXT_CHARS // 3, len(text) - TEXT_CHARS))
    hi = lo + TEXT_CHARS
    cut = ("…" if lo else "") + text[lo:hi] + ("…" if hi < len(text) else "")
    off = 1 if lo else 0
    return cut, [(s - lo + off, e - lo + off, c) for s, e, c in spans if lo <= s < e <= hi]


def collect(
    path: str | Path,
    *,
    text_col: str | None = None,
    time_col: str | None = None,
    by: Sequence[str] = (),
    customer_col: str | None = None,
    id_col: str | None = None,
    encoding: str | None = None,
    block_rows: int = 5000,
) -> ReportData:
    """Read a scored export block by block into the report's aggregates."""
    from .io import open_source
    from .output import coerce_text

    src = open_source(path, encoding=encoding, text_col=text_col)
    cols = src.columns
    where = {name: _find(cols, name) for name in _RESULT}
    if where["level"] is None or where["error"] is None:
        raise ColumnError(f"{path}: not a scored file (no `level`/`error` columns); run `complaint-nlp score` first")
    if text_col is None:
        text_col = next((c for c in cols if c.strip().lower() in _TEXT_NAMES), None)
    for what, c in (("--text-col", text_col), ("--time-col", time_col), ("--customer-col", customer_col), ("--id-col", id_col), *(("--by", b) for b in by)):
        if c is not None and c not in cols:
            from .batch import did_you_mean

            raise ColumnError(f"{what} column {c!r} not found{did_you_mean(c, cols)}; columns are {cols}")
    idx = {c: i for i, c in enumerate(cols)}
    d = ReportData(source=str(path), text_col=text_col, time_col=time_col, by_cols=tuple(by), customer_col=customer_col)
    d.by = {b: defaultdict(Counter) for b in by}
    d.by_other = {b: Counter() for b in by}
    rank = {lv: i for i, lv in enumerate(LEVEL_ORDER)}
    seq = 0

    def cell(row: list[Any], name: str) -> Any:
        c = where.get(name)
        return row[idx[c]] if c is not None else None

    for rows, read_errors in src.blocks(block_rows):
        times: list[Any] = []
        if time_col is not None:
            import pandas as pd

            raw = [coerce_text(r[idx[time_col]]) for r in rows]
            parsed = pd.to_datetime(pd.Series(raw, dtype=object), errors="coerce", format="mixed")
            times = [None if pd.isna(t) else t for t in parsed]
        for k, row in enumerate(rows):
            d.rows += 1
            seq += 1
            err = cell(row, "error")
            if (isinstance(err, str) and err.strip()) or read_errors[k]:
                d.errors += 1
            level = _code("level", cell(row, "level"))
            if level is not None:
                d.levels[level] += 1
            for name, counter in (("category", d.categories), ("emotion", d.emotions), ("customer_type", d.customer_types), ("scenario", d.scenarios)):
                v = _code(name, cell(row, name))
                if v is not None:
                    counter[v] += 1
            if _truthy(cell(row, "professional_complainant")):
                d.professional += 1
            sigs = [s for s in _nested(cell(row, "signals")) if isinstance(s, dict)]
            live = [s for s in sigs if s.get("modality") in _LIVE]
            threats = {s.get("code") for s in live if s.get("code") in _THREATS}
            for code in threats:
                d.threat_rows[code] += 1
            d.threat_any += bool(threats)
            for code in {s.get("code") for s in live}:
                if code:
                    d.signal_rows[code] += 1
            for s in live:
                if s.get("code") and s.get("text"):
                    d.phrases[(s["code"], str(s["text"]))] += 1
            if len(d.phrases) > 50_000:  # keep the phrase table bounded: drop the rare ones
                d.phrases = Counter(dict(d.phrases.most_common(10_000)))
            text = coerce_text(row[idx[text_col]]) if text_col is not None else None
            text = text if isinstance(text, str) else ""
            rid = _key(coerce_text(row[idx[id_col]])) if id_col is not None else seq
            dems = [x for x in _nested(cell(row, "demands")) if isinstance(x, dict) and x.get("modality") in ("demanded", "threatened")]
            for kind in {x.get("kind") for x in dems}:
                if kind:
                    d.demand_rows[kind] += 1
            for j, x in enumerate(dems):
                amt = _float(x.get("amount"))
                if amt > 0 and x.get("kind"):
                    a = d.demand_amounts[x["kind"]]
                    a[0] += 1
                    a[1] += amt
                    a[2] = max(a[2], amt)
                    # (amount, row, demand in the row) orders every item; the dict is never compared
                    item = (amt, seq, j, {"id": rid, "kind": x["kind"], "text": str(x.get("text") or ""), "amount_max": x.get("amount_max"), "per_day": x.get("per_day"), "multiple": x.get("multiple")})
                    if len(d.big_amounts) < TOP:
                        heapq.heappush(d.big_amounts, item)
                    elif item[:3] > d.big_amounts[0][:3]:
                        heapq.heapreplace(d.big_amounts, item)
            if level in ("urgent", "serious"):
                key = (rank[level], _float(cell(row, "intensity")), -seq)
                if len(d.act_now) < ACT_NOW or key > d.act_now[0][0]:
                    spans = [(int(s["start"]), int(s["end"]), str(s.get("code"))) for s in live if isinstance(s.get("start"), (int, float)) and isinstance(s.get("end"), (int, float))]
                    snippet, shifted = _snippet(text, spans)
                    entry = {
                        "id": rid, "level": level, "intensity": _float(cell(row, "intensity")), "text": snippet, "spans": shifted,
                        "category": _code("category", cell(row, "category")), "scenario": _code("scenario", cell(row, "scenario")),
                        "response_minutes": cell(row, "response_minutes"), "responder": cell(row, "responder"),
                        "signals": sorted({str(s.get("code")) for s in live}), "demands": sorted({str(x.get("kind")) for x in dems}),
                    }
                    if len(d.act_now) < ACT_NOW:
                        heapq.heappush(d.act_now, (key, entry))
                    else:
                        heapq.heapreplace(d.act_now, (key, entry))
            if customer_col is not None:
                cust = coerce_text(row[idx[customer_col]])
                if isinstance(cust, str) and cust.strip():
                    cust = _key(cust)
                    d.customers[cust] += 1
                    if level is not None and (cust not in d.customer_level or rank[level] > rank[d.customer_level[cust]]):
                        d.customer_level[cust] = level
            for b in by:
                v = coerce_text(row[idx[b]])
                v = _key(v) if v is not None and str(v).strip() else "(空)"
                table = d.by[b]
                if v in table or len(table) < BY_VALUES:
                    table[v][level or "error"] += 1
                else:
                    d.by_other[b][level or "error"] += 1
            if time_col is not None:
                t = times[k]
                if t is None:
                    d.bad_times += 1
                else:
                    d.days[t.strftime("%Y-%m-%d")][level or "error"] += 1
    return d


# ============================================================================ rendering
_CSS = """
:root{--urgent:#c62828;--serious:#ef6c00;--normal:#f9a825;--minor:#2e7d32;--error:#757575;--ink:#1f2328;--muted:#59636e;--line:#d0d7de;--bg:#f6f8fa}
*{box-sizing:border-box}body{margin:0;font:15px/1.5 -apple-system,"Segoe UI","Noto Sans CJK SC","PingFang SC","Microsoft YaHei",sans-serif;color:var(--ink);background:#fff}
main{max-width:1100px;margin:0 auto;padding:16px}h1{font-size:22px;margin:8px 0}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid var(--line);padding-bottom:4px}
.meta{color:var(--muted);font-size:13px}.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:10px;margin:12px 0}
.card{background:var(--bg);border:1px solid var(--line);border-radius:8px;padding:10px}.card .n{font-size:26px;font-weight:600}.card .l{color:var(--muted);font-size:13px}
.card.urgent .n{color:var(--urgent)}.card.serious .n{color:var(--serious)}.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(320px,1fr));gap:16px}
svg{max-width:100%;height:auto}svg text{font-size:12px;fill:var(--ink)}.scroll{overflow-x:auto}table{border-collapse:collapse;width:100%;font-size:13px}
th,td{border-bottom:1px solid var(--line);padding:6px;text-align:left;vertical-align:top}th{background:var(--bg);position:sticky;top:0}
td.num,th.num{text-align:right;white-space:nowrap}mark{background:#ffe08a;padding:0 1px;border-radius:2px}.lv{display:inline-block;padding:0 6px;border-radius:10px;color:#fff;font-size:12px;white-space:nowrap}
.lv.urgent{background:var(--urgent)}.lv.serious{background:var(--serious)}.lv.normal{background:var(--normal);color:#1f2328}.lv.minor{background:var(--minor)}
.msg{min-width:260px;max-width:520px;word-break:break-all}.note{color:var(--muted);font-size:12px}
@media (max-width:600px){body{font-size:14px}main{padding:10px}.card .n{font-size:22px}}
"""

_LEVEL_COLOR = {"urgent": "#c62828", "serious": "#ef6c00", "normal": "#f9a825", "minor": "#2e7d32", "error": "#757575"}
_NAME_TABLES = {"level": {k: v.name for k, v in LEVELS.items()}, "category": CATEGORIES, "emotion": EMOTIONS, "customer_type": CUSTOMER_TYPES, "scenario": SCENARIOS, "signal": SIGNALS, "demand": DEMAND_KINDS, "trait": TRAITS}


def _e(v: Any) -> str:
    return html.escape(str(v), quote=True)


def _zh(kind: str, code: str) -> str:
    return str(_NAME_TABLES.get(kind, {}).get(code, code))


def _bars(chart_id: str, kind: str, items: Sequence[tuple[str, int]], total: int) -> str:
    """A horizontal bar chart (SVG): Chinese label, English code on hover, count and share."""
    if not items:
        return f'<p id="{chart_id}" class="note" data-empty="1">无数据 (no data)</p>'
    top = max(c for _, c in items) or 1
    row_h, label_w, bar_w = 22, 96, 190
    h = row_h * len(items) + 8
    width = label_w + bar_w + 96
    out = [f'<svg id="{chart_id}" class="chart" width="{width}" height="{h}" viewBox="0 0 {width} {h}" role="img" aria-label="{_e(chart_id)}">']
    for i, (code, n) in enumerate(items):
        y = 4 + i * row_h
        w = max(1.0, bar_w * n / top)
        color = _LEVEL_COLOR.get(code, "#0969da") if kind == "level" else "#0969da"
        share = f"{100 * n / total:.1f}%" if total else ""
        out.append(
            f'<g class="bar" data-code="{_e(code)}" data-count="{n}"><title>{_e(code)}: {n:,} ({share})</title>'
            f'<text x="{label_w - 6}" y="{y + 16}" text-anchor="end">{_e(_zh(kind, code))}</text>'
            f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row_h - 8}" rx="3" fill="{color}"/>'
            f'<text x="{label_w + w + 6:.1f}" y="{y + 16}">{n:,} · {share}</text></g>'
        )
    out.append("</svg>")
    return "".join(out)


def _ordered(counter: Counter[str], order: Iterable[str]) -> list[tuple[str, int]]:
    order = list(order)
    items = [(c, counter[c]) for c in order if counter.get(c)]
    items += sorted(((c, n) for c, n in counter.items() if c not in order), key=lambda t: -t[1])
    return items


def _buckets(days: dict[str, Counter[str]]) -> tuple[str, list[tuple[str, Counter[str]]]]:
    if not days:
        return "day", []
    keys = sorted(days)
    first = datetime.strptime(keys[0], "%Y-%m-%d")
    last = datetime.strptime(keys[-1], "%Y-%m-%d")
    if (last - first).days + 1 <= DAILY_MAX_DAYS:
        return "day", [(k, days[k]) for k in keys]
    weeks: dict[str, Counter[str]] = defaultdict(Counter)
    for k in keys:
        dt = datetime.strptime(k, "%Y-%m-%d")
        y, w, _ = dt.isocalendar()
        weeks[f"{y}-W{w:02d}"].update(days[k])
    return "week", sorted(weeks.items())


def _time_chart(days: dict[str, Counter[str]]) -> str:
    unit, buckets = _buckets(days)
    if not buckets:
        return '<p id="chart-time" class="note" data-empty="1">时间列无可用日期 (no dates)</p>'
    levels = [lv for lv in ("minor", "normal", "serious", "urgent", "error")]
    top = max(sum(c.values()) for _, c in buckets) or 1
    n = len(buckets)
    w_each = max(2.0, min(24.0, 900 / n))
    width, height, pad = max(640.0, 60 + w_each * n + 10), 220, 24
    out = [f'<svg id="chart-time" class="chart" data-unit="{unit}" data-buckets="{n}" width="{width:.0f}" height="{height + 48}" viewBox="0 0 {width:.0f} {height + 48}" role="img" aria-label="over time">']
    out.append(f'<text x="4" y="14">{top:,}</text><text x="4" y="{height + pad - 4}">0</text>')
    for i, (key, c) in enumerate(buckets):
        x = 60 + i * w_each
        y = height + pad
        total = sum(c.values())
        out.append(f'<g class="bucket" data-key="{_e(key)}" data-count="{total}"><title>{_e(key)}: {total:,} ({", ".join(f"{lv} {c[lv]}" for lv in levels if c.get(lv))})</title>')
        for lv in levels:
            v = c.get(lv, 0)
            if not v:
                continue
            hgt = height * v / top
            y -= hgt
            out.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(1.0, w_each - 1):.1f}" height="{hgt:.1f}" fill="{_LEVEL_COLOR[lv]}"/>')
        out.append("</g>")
    step = max(1, math.ceil(84 / w_each))
    for i in range(0, n, step):
        out.append(f'<text x="{60 + i * w_each:.1f}" y="{height + pad + 14}">{_e(buckets[i][0])}</text>')
    out.append("</svg>")
    legend = " ".join(f'<span class="lv {lv}" title="{lv}">{_e(_zh("level", lv)) if lv != "error" else "错误"}</span>' for lv in ("urgent", "serious", "normal", "minor"))
    return "".join(out) + f'<p class="note">每{"日" if unit == "day" else "周"}消息数, 按等级堆叠 ({"daily" if unit == "day" else "weekly"} counts by level) {legend}</p>'


def _names(kind: str, codes: Iterable[str]) -> str:
    """Chinese names joined with 、, each with its code on hover."""
    return "、".join(f'<span title="{_e(c)}">{_e(_zh(kind, c))}</span>' for c in codes)


def _highlight(text: str, spans: list[tuple[int, int, str]]) -> str:
    out, pos = [], 0
    for s, e, code in sorted(spans):
        if s < pos:
            continue
        out.append(_e(text[pos:s]))
        out.append(f'<mark title="{_e(code)}">{_e(text[s:e])}</mark>')
        pos = e
    out.append(_e(text[pos:]))
    return "".join(out)


def _fmt_amount(v: float) -> str:
    return f"{v:,.0f}"


def render(d: ReportData, title: str = "投诉分析报告") -> str:
    """The page for ``d`` (self-contained HTML)."""
    total = d.rows
    urgent, serious = d.levels.get("urgent", 0), d.levels.get("serious", 0)
    H: list[str] = []
    H.append("<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">")
    H.append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
    H.append("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">")
    H.append(f"<title>{_e(title)}</title><style>{_CSS}</style></head><body><main>")
    H.append(f"<h1>{_e(title)}</h1><p class=\"meta\">{_e(Path(d.source).name)} · {total:,} 行 (rows) · complaint_nlp · {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC</p>")
    cards = [
        ("rows", "消息总数", "rows", total, ""),
        ("urgent", "紧急", "urgent", urgent, "urgent"),
        ("serious", "严重", "serious", serious, "serious"),
        ("threats", "监管/媒体/法律威胁", "regulator, media or legal (threatened or done)", d.threat_any, ""),
        ("regulator", "监管投诉", "regulator", d.threat_rows.get("regulator", 0), ""),
        ("media", "媒体曝光", "media", d.threat_rows.get("media", 0), ""),
        ("legal", "法律行动", "legal", d.threat_rows.get("legal", 0), ""),
        ("professional", "疑似职业投诉人", "suspected professional complainants", d.professional, ""),
        ("errors", "错误行", "rows with errors", d.errors, ""),
    ]
    H.append('<section id="headline"><div class="cards">')
    for key, zh, en, n, cls in cards:
        H.append(f'<div class="card {cls}" title="{_e(en)}"><div class="n figure" data-key="{key}" data-value="{n}">{n:,}</div><div class="l">{_e(zh)}</div></div>')
    H.append("</div></section>")

    H.append('<h2>等级、类别与情绪 <span class="note">(level, category, emotion)</span></h2><div class="grid">')
    H.append(f"<div><h3>升级等级</h3>{_bars('chart-level', 'level', _ordered(d.levels, reversed(LEVEL_ORDER)), total)}</div>")
    H.append(f"<div><h3>投诉类别</h3>{_bars('chart-category', 'category', _ordered(d.categories, []), total)}</div>")
    H.append(f"<div><h3>情绪</h3>{_bars('chart-emotion', 'emotion', _ordered(d.emotions, []), total)}</div>")
    H.append("</div>")
    if d.time_col is not None:
        H.append(f'<h2>随时间变化 <span class="note">(over time, column {_e(d.time_col)}{f"; {d.bad_times:,} rows without a readable date" if d.bad_times else ""})</span></h2>')
        H.append(f'<div class="scroll">{_time_chart(d.days)}</div>')

    # act now
    rows = sorted(d.act_now, key=lambda t: t[0], reverse=True)
    H.append(f'<h2>立即处理 <span class="note">(act now: urgent and serious, most severe first; {len(rows):,} of {urgent + serious:,} shown, at most {ACT_NOW})</span></h2>')
    H.append('<div class="scroll"><table id="act-now"><thead><tr><th>#</th><th title="level">等级</th><th title="response target">响应</th><th title="message, evidence highlighted">内容 (证据高亮)</th><th title="signals">信号</th><th title="demands">诉求</th><th title="scenario">场景</th></tr></thead><tbody>')
    for _, r in rows:
        rm = r.get("response_minutes")
        resp = f"{int(_float(rm))} 分钟 · {_e(r.get('responder') or '')}" if rm not in (None, "") else ""
        H.append(
            f'<tr class="act" data-level="{_e(r["level"])}" data-id="{_e(r["id"])}"><td>{_e(r["id"])}</td>'
            f'<td><span class="lv {_e(r["level"])}" title="{_e(r["level"])}">{_e(_zh("level", r["level"]))}</span></td><td class="num">{resp}</td>'
            f'<td class="msg">{_highlight(r["text"], r["spans"])}</td>'
            f'<td>{_names("signal", r["signals"])}</td><td>{_names("demand", r["demands"])}</td>'
            f'<td title="{_e(r.get("scenario") or "")}">{_e(_zh("scenario", r.get("scenario") or "")) if r.get("scenario") else ""}</td></tr>'
        )
    H.append("</tbody></table></div>")

    # evidence phrases
    H.append('<h2>升级证据 <span class="note">(top escalation evidence phrases, threatened or done)</span></h2><div class="grid">')
    H.append(f"<div>{_bars('chart-signals', 'signal', _ordered(d.signal_rows, []), total)}</div>")
    H.append('<div class="scroll"><table id="evidence"><thead><tr><th>信号 (signal)</th><th>证据 (evidence)</th><th class="num">行数 (rows)</th></tr></thead><tbody>')
    for (code, text), n in d.phrases.most_common(TOP):
        H.append(f'<tr data-code="{_e(code)}" data-count="{n}"><td title="{_e(code)}">{_e(_zh("signal", code))}</td><td><mark>{_e(text)}</mark></td><td class="num">{n:,}</td></tr>')
    H.append("</tbody></table></div></div>")

    # demands
    H.append('<h2>客户诉求 <span class="note">(demands made or threatened, with amounts)</span></h2><div class="grid">')
    H.append(f"<div>{_bars('chart-demands', 'demand', _ordered(d.demand_rows, []), total)}</div>")
    H.append('<div class="scroll"><table id="demands"><thead><tr><th>诉求 (kind)</th><th class="num">行数</th><th class="num">含金额</th><th class="num">金额合计 (元)</th><th class="num">最高 (元)</th></tr></thead><tbody>')
    for kind, n in _ordered(d.demand_rows, []):
        a = d.demand_amounts.get(kind, [0, 0.0, 0.0])
        H.append(f'<tr data-kind="{_e(kind)}" data-count="{n}" data-amounts="{int(a[0])}"><td title="{_e(kind)}">{_e(_zh("demand", kind))}</td><td class="num">{n:,}</td><td class="num">{int(a[0]):,}</td><td class="num">{_fmt_amount(a[1])}</td><td class="num">{_fmt_amount(a[2])}</td></tr>')
    H.append("</tbody></table>")
    H.append('<h3>金额最高的诉求 <span class="note">(largest amounts)</span></h3><table id="big-amounts"><thead><tr><th>#</th><th>诉求</th><th>证据</th><th class="num">金额 (元)</th></tr></thead><tbody>')
    for amt, _, _, x in sorted(d.big_amounts, key=lambda t: t[:3], reverse=True):
        extra = f" – {_fmt_amount(_float(x['amount_max']))}" if x.get("amount_max") else ""
        extra += " /天" if _truthy(x.get("per_day")) else ""
        H.append(f'<tr data-amount="{amt}"><td>{_e(x["id"])}</td><td title="{_e(x["kind"])}">{_e(_zh("demand", x["kind"]))}</td><td><mark>{_e(x["text"])}</mark></td><td class="num">{_fmt_amount(amt)}{_e(extra)}</td></tr>')
    H.append("</tbody></table></div></div>")

    # customer types, scenarios, repeat customers
    H.append('<h2>客户类型与处理场景 <span class="note">(customer types and service-recovery scenarios)</span></h2><div class="grid">')
    H.append(f"<div><h3>客户类型</h3>{_bars('chart-customer-types', 'customer_type', _ordered(d.customer_types, list(CUSTOMER_TYPES)), total)}</div>")
    H.append(f"<div><h3>处理场景</h3>{_bars('chart-scenarios', 'scenario', _ordered(d.scenarios, list(SCENARIOS)), total)}</div>")
    H.append("</div>")
    if d.customer_col is not None:
        repeat = [(c, n) for c, n in d.customers.most_common(TOP) if n >= 2]
        n_repeat = sum(1 for n in d.customers.values() if n >= 2)
        H.append(f'<h2>重复投诉客户 <span class="note">(repeat customers, column {_e(d.customer_col)}: {n_repeat:,} customers with 2 or more messages)</span></h2>')
        H.append(f'<div class="scroll"><table id="repeat-customers" data-repeat="{n_repeat}"><thead><tr><th>客户 (customer)</th><th class="num">消息数</th><th>最高等级</th></tr></thead><tbody>')
        for c, n in repeat:
            lv = d.customer_level.get(c)
            lvh = f'<span class="lv {_e(lv)}" title="{_e(lv)}">{_e(_zh("level", lv))}</span>' if lv else ""
            H.append(f'<tr data-customer="{_e(c)}" data-count="{n}"><td>{_e(c)}</td><td class="num">{n:,}</td><td>{lvh}</td></tr>')
        H.append("</tbody></table></div>")

    for b in d.by_cols:
        table = d.by[b]
        items = sorted(table.items(), key=lambda t: -sum(t[1].values()))
        shown = items[:TOP]
        rest = Counter(d.by_other[b])
        for _, c in items[TOP:]:
            rest.update(c)
        H.append(f'<h2>按 {_e(b)} 分布 <span class="note">(breakdown by {_e(b)}: top {TOP} values by rows)</span></h2>')
        H.append(f'<div class="scroll"><table id="by-{_e(b)}" class="by" data-column="{_e(b)}"><thead><tr><th>{_e(b)}</th><th class="num">行数</th>' + "".join(f'<th class="num" title="{lv}">{_e(_zh("level", lv))}</th>' for lv in ("urgent", "serious", "normal", "minor")) + "</tr></thead><tbody>")
        for v, c in shown:
            n = sum(c.values())
            H.append(f'<tr data-value="{_e(v)}" data-count="{n}"><td>{_e(v)}</td><td class="num">{n:,}</td>' + "".join(f'<td class="num">{c.get(lv, 0):,}</td>' for lv in ("urgent", "serious", "normal", "minor")) + "</tr>")
        if rest:
            n = sum(rest.values())
            H.append(f'<tr data-value="{_e(_OTHER)}" data-count="{n}"><td>{_e(_OTHER)}</td><td class="num">{n:,}</td>' + "".join(f'<td class="num">{rest.get(lv, 0):,}</td>' for lv in ("urgent", "serious", "normal", "minor")) + "</tr>")
        H.append("</tbody></table></div>")
    H.append(f'<p class="note">由 complaint_nlp 生成 · 页面由汇总数据和最多 {ACT_NOW} 条样本行构成, 离线可看 (built from aggregates and at most {ACT_NOW} sample rows; no network access needed).</p>')
    H.append("</main></body></html>")
    return "".join(H)


def write_report(
    scored: str | Path,
    output: str | Path,
    *,
    text_col: str | None = None,
    time_col: str | None = None,
    by: Sequence[str] = (),
    customer_col: str | None = None,
    id_col: str | None = None,
    encoding: str | None = None,
    title: str = "投诉分析报告",
) -> dict[str, Any]:
    """Read ``scored`` (an export written by ``complaint-nlp score``) and write the HTML page to
    ``output`` (atomically). Returns a small summary: rows, output, bytes."""
    import os
    import tempfile

    out = Path(output)
    if out.suffix.lower() not in (".html", ".htm"):
        raise InputError(f"the report is HTML: name it .html, not {out.name!r}")
    d = collect(scored, text_col=text_col, time_col=time_col, by=by, customer_col=customer_col, id_col=id_col, encoding=encoding)
    page = render(d, title)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".partial", dir=out.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(page)
        os.replace(tmp, out)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return {"rows": d.rows, "output": str(out), "bytes": len(page.encode("utf-8"))}
