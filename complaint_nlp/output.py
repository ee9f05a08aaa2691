"""Output rows: analyses → encoded blocks of CSV/TSV lines, JSON Lines objects, Arrow record
batches or Excel cells, and the writers that put blocks into a file.

A block is encoded where it was analysed (a ``--jobs`` worker, or the parent with one job), so the
parent only keeps order, adds the thread and customer columns (which need state across blocks)
and writes. Nested results (scores, signals, traits, evidence, reasons) are native lists and
structs in JSON Lines, Parquet and Spark (:func:`complaint_nlp.schema.result_arrow_schema`) and
JSON text in CSV and Excel cells.
"""

from __future__ import annotations

import codecs
import json
import math
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from .errors import InputError
from .result import Analysis, rounded_scores
from .threads import thread_inputs

__all__ = ["RESULT_COLUMNS", "THREAD_COLUMNS", "CUSTOMER_COLUMNS", "analysis_row", "native_row", "neutralise_formula", "csv_line", "BlockSpec", "Block", "encode_block", "Writer"]

from .schema import CUSTOMER_FIELDS, PLAYBOOK_ROW_KEYS, RESULT_FIELDS, THREAD_FIELDS

#: Columns added to every row, in this order.
RESULT_COLUMNS = [n for n, _, _ in RESULT_FIELDS]
THREAD_COLUMNS = [n for n, _, _ in THREAD_FIELDS]
CUSTOMER_COLUMNS = [n for n, _, _ in CUSTOMER_FIELDS]

_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))  # built once, not per cell


def _js(v: Any) -> str:
    return _ENCODER.encode(v)


def analysis_row(a: Analysis) -> dict[str, Any]:
    """The result columns of one analysis as cells (JSON text for nested values): CSV, Excel
    and :func:`~complaint_nlp.batch.score_frame`."""
    return {
        "category": a.category,
        "category2": a.category2,
        "category_scores": _js(rounded_scores(a.category_scores)),
        "category_evidence": _js([e.to_dict() for e in a.category_evidence]) if a.category_evidence else "[]",
        "emotion": a.emotion,
        "emotion_scores": _js(rounded_scores(a.emotion_scores)),
        "intensity": round(a.intensity, 4),
        "signals": _js([s.to_dict() for s in a.signals]) if a.signals else "[]",
        "traits": _js([t.to_dict() for t in a.traits]) if a.traits else "[]",
        "professional_complainant": a.professional_complainant,
        "level": a.level,
        "response_minutes": a.response.minutes if a.response else None,
        "responder": a.response.responder if a.response else None,
        "level_reasons": _js([r.to_dict() for r in a.level_reasons]),
        "truncated": a.truncated,
        "error": a.error,
        "demands": _js([d.to_dict() for d in a.demands]) if a.demands else "[]",
        "customer_type": a.customer_type.code if a.customer_type else None,
        "customer_type_scores": _js(rounded_scores(a.customer_type.scores)) if a.customer_type else "{}",
        "customer_type_evidence": _js([e.to_dict() for e in a.customer_type.evidence]) if a.customer_type and a.customer_type.evidence else "[]",
        "scenario": a.playbook.scenario if a.playbook else None,
        "playbook": _js(playbook_row(a)) if a.playbook else None,
    }


def playbook_row(a: Analysis) -> dict[str, Any] | None:
    """The per-row part of ``a.playbook`` (schema ``playbook``): no steps or handling, which
    are fixed per scenario and customer type."""
    if a.playbook is None:
        return None
    d = a.playbook.to_dict()
    return {k: d[k] for k in PLAYBOOK_ROW_KEYS}


def _with_json_details(d: dict[str, Any]) -> dict[str, Any]:
    d["details"] = _js(d["details"]) if d.get("details") else None
    return d


def native_row(a: Analysis) -> list[Any]:
    """The result columns of one analysis as typed values in :data:`RESULT_COLUMNS` order: dicts
    of scores, lists of dicts for signals/traits/evidence/reasons (``details`` as JSON text), as
    :func:`complaint_nlp.schema.result_arrow_schema` types them."""
    return [
        a.category,
        a.category2,
        rounded_scores(a.category_scores),
        [e.to_dict() for e in a.category_evidence],
        a.emotion,
        rounded_scores(a.emotion_scores),
        round(a.intensity, 4),
        [_with_json_details(s.to_dict()) for s in a.signals],
        [_with_json_details(t.to_dict()) for t in a.traits],
        a.professional_complainant,
        a.level,
        a.response.minutes if a.response else None,
        a.response.responder if a.response else None,
        [r.to_dict() for r in a.level_reasons],
        a.truncated,
        a.error,
        [d.to_dict() for d in a.demands],
        a.customer_type.code if a.customer_type else None,
        rounded_scores(a.customer_type.scores) if a.customer_type else {},
        [e.to_dict() for e in a.customer_type.evidence] if a.customer_type else [],
        a.playbook.scenario if a.playbook else None,
        playbook_row(a),
    ]


def coerce_text(value: Any) -> Any:
    """Cell → text: numbers become their text (a spreadsheet guessed the type), missing stays."""
    if value is None:
        return None
    if isinstance(value, float):
        if math.isnan(value):
            return None
        return str(int(value)) if value.is_integer() else str(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return value


def id_key(key: Any) -> Any:
    """A thread or customer id as a key: its text (:func:`coerce_text`), or None when it is
    missing, empty or only spaces (such a row is a thread or customer of its own)."""
    k = coerce_text(key)
    return None if k is None or (isinstance(k, str) and not k.strip()) else k


# ================================================================= cells
#: what makes a cell starting with + - @ (or a tab/CR) runnable: a function call (``SUM(``), a
#: DDE link (``cmd|' /C calc'!A0``), a sheet reference (``!A1``) or a comparison. ``=`` always
#: starts a formula.
_FORMULA_TAIL = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*\s*\(|[A-Za-z]\||!\$?[A-Za-z]{1,3}\$?[0-9]|=", re.ASCII)


def neutralise_formula(value: str) -> str:
    """A text a spreadsheet would run as a formula gets a leading ``'`` (shown as text).

    ``=`` always counts; ``+``, ``-``, ``@``, tab and CR count when the text also holds a function
    call, a DDE link, a cell reference or ``=``, so plain numbers (``-5``, ``+8613800000000``) and
    Weibo posts that start with an @-account (``@中國電信(香港) …``) stay as written."""
    if value.startswith("=") or (value.startswith(("+", "-", "@", "\t", "\r")) and _FORMULA_TAIL.search(value)):
        return "'" + value
    return value


def text_cell(v: Any) -> str | None:
    """A cell as text for CSV/TSV and for text columns of Parquet: None for missing, JSON for
    nested values, the value's own text otherwise (ints keep every digit)."""
    if v is None:
        return None
    if isinstance(v, str):
        return v
    if isinstance(v, float):
        return None if math.isnan(v) else repr(v)
    if isinstance(v, (dict, list, tuple)):
        return _js(jsonable_deep(v))
    if isinstance(v, bytes):
        return v.decode("utf-8", errors="replace")
    if _is_missing(v):
        return None
    if hasattr(v, "isoformat"):
        return str(v.isoformat())
    if hasattr(v, "item"):  # numpy scalars
        return text_cell(v.item())
    return str(v)


def _is_missing(v: Any) -> bool:
    try:
        import pandas as pd

        return v is pd.NaT or v is pd.NA
    except ImportError:  # pragma: no cover
        return False


def jsonable(v: Any) -> Any:
    """A cell as a JSON value: ints of any size, bools and strings as they are, NaN → null."""
    if v is None or isinstance(v, (str, bool, int)):
        return v
    if isinstance(v, float):
        return None if math.isnan(v) else v
    if isinstance(v, (dict, list, tuple)):
        return jsonable_deep(v)
    if isinstance(v, bytes):
        return v.decode("utf-8", errors="replace")
    if hasattr(v, "item") and not hasattr(v, "isoformat"):  # numpy scalars
        return jsonable(v.item())
    return text_cell(v)


def jsonable_deep(v: Any) -> Any:
    if isinstance(v, dict):
        return {str(k): jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [jsonable(x) for x in v]
    return jsonable(v)


_XLSX_MAX_INT = 2**53  # Excel keeps numbers as doubles: a larger id is written as its text
_XLSX_MAX_CELL = 32767


def xlsx_value(v: Any) -> Any:
    """A cell as Excel can hold it: characters XML cannot carry become U+FFFD, long text is cut."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    v = jsonable(v)
    if isinstance(v, bool) or v is None:
        return v
    if isinstance(v, int):
        return v if abs(v) < _XLSX_MAX_INT else str(v)
    if isinstance(v, float):
        return v
    if isinstance(v, (dict, list)):
        v = _js(v)
    s = ILLEGAL_CHARACTERS_RE.sub("\ufffd", str(v))
    if len(s) > _XLSX_MAX_CELL:
        s = s[: _XLSX_MAX_CELL - 1] + "…"
    return s


def _quote(cell: str, sep: str) -> str:
    if sep in cell or '"' in cell or "\n" in cell or "\r" in cell:
        return '"' + cell.replace('"', '""') + '"'
    return cell


def csv_line(cells: Sequence[str], sep: str) -> str:
    """One CSV/TSV record without its line end, quoted as Python's csv module quotes with
    ``lineterminator="\\r\\n"`` (every field holding the separator, a quote, CR or LF); a test
    checks the two agree."""
    if len(cells) == 1 and cells[0] == "":
        return '""'  # a lone empty field would read back as a blank line
    return sep.join([_quote(c, sep) for c in cells])


def _csv_cell(v: Any, guard: bool) -> str:
    t = text_cell(v)
    if t is None:
        return ""
    return neutralise_formula(t) if guard and isinstance(v, str) else t


# ================================================================= blocks
#: a customer with at least this many complaints in one input shows the complaint_history trait
HISTORY_MIN_COMPLAINTS = 3


@dataclass(frozen=True)
class BlockSpec:
    """How to encode blocks of one run (the same in the parent and in every worker)."""

    fmt: str  # csv, tsv, jsonl, parquet, xlsx or frame
    columns: tuple[str, ...]  # input columns
    text_index: int
    result_names: tuple[str, ...]  # output names of RESULT_COLUMNS (suffixed on a clash)
    guard: bool = True
    arrow_types: tuple[Any, ...] = ()  # Parquet: the input columns' Arrow types
    thread: bool = False  # the parent adds thread columns (rows come back split around them)
    customer_index: int | None = None  # the customer column: customer columns come back too
    customer_names: tuple[str, ...] = ()  # output names of CUSTOMER_COLUMNS
    want_traits: bool = False  # Spark: each row's trait codes
    labels: str = "code"  # "zh": category, category2, emotion and level as their Chinese names


@dataclass
class Block:
    """One encoded block and what the parent needs to finish it.

    Without thread columns a text block is one ``blob`` of encoded lines, written as it is. With
    them, ``rows`` holds each row up to the result columns and ``tails`` the rest (customer
    columns, the line end), and the parent puts the thread cells between the two."""

    rows: list[Any] = field(default_factory=list)
    tails: list[Any] = field(default_factory=list)
    blob: bytes = b""
    batch: Any = None  # Parquet: a pyarrow RecordBatch of input + result (+ customer) columns
    n: int = 0
    thread: list[tuple[bool, int, str | None, float]] = field(default_factory=list)
    traits: list[frozenset[str]] = field(default_factory=list)
    counts: dict[str, Counter[str]] = field(default_factory=dict)
    errors: int = 0
    internal: int = 0
    first_internal: str | None = None


_NAMED = {"category": "CATEGORIES", "category2": "CATEGORIES", "emotion": "EMOTIONS", "customer_type": "CUSTOMER_TYPES", "scenario": "SCENARIOS", "thread_customer_type": "CUSTOMER_TYPES"}


def zh_labels(row: dict[str, Any]) -> dict[str, Any]:
    """``row`` with category, category2, emotion and level as TAXONOMY's Chinese names."""
    from . import taxonomy

    for key, table in _NAMED.items():
        v = row.get(key)
        if v is not None:
            row[key] = getattr(taxonomy, table).get(v, v)
    if row.get("level") in taxonomy.LEVELS:
        row["level"] = taxonomy.LEVELS[row["level"]].name
    return row


def customer_values(key: Any, codes: frozenset[str], customers: dict[Any, dict[str, Any]]) -> list[Any]:
    """customer_complaints, customer_history, professional_complainant_with_history of a row."""
    k = id_key(key)
    info = None if k is None else customers.get(k)
    n = info["count"] if info else 0
    hist = n >= HISTORY_MIN_COMPLAINTS
    distinct = len(codes) + (1 if hist and "complaint_history" not in codes else 0)
    return [n, {"complaints": n, "rows": info["rows"][:20]} if (info and hist) else None, distinct >= 3]


def encode_block(analyzer: Any, spec: BlockSpec, rows: list[list[Any]], read_errors: Sequence[str | None], customers: dict[Any, dict[str, Any]] | None = None) -> Block:
    """Analyse ``rows`` (input values per row) and encode them for ``spec.fmt``.

    A row with a read error is not analysed: its result is that error. A row whose text is a
    ``str`` and still has an error failed inside the analyser (counted in ``internal``).
    """
    texts = [coerce_text(r[spec.text_index]) for r in rows]
    todo = [i for i in range(len(rows)) if not read_errors[i]]
    results: list[Analysis] = [None] * len(rows)  # type: ignore[list-item]
    for i, a in zip(todo, analyzer.analyze_many([texts[i] for i in todo])):
        results[i] = a
    if len(todo) != len(rows):
        from .analyzer import error_result

        model = getattr(analyzer, "model_name", None)
        for i in range(len(rows)):
            if read_errors[i]:
                results[i] = error_result(str(read_errors[i]), model)
    block = Block(n=len(rows))
    internal = [results[i].error for i in todo if results[i].error is not None and isinstance(texts[i], str)]
    block.internal = len(internal)
    block.first_internal = internal[0] if internal else None
    block.errors = sum(a.error is not None for a in results)
    block.counts = {
        "category": Counter(a.category for a in results if a.category),
        "emotion": Counter(a.emotion for a in results if a.emotion),
        "level": Counter(a.level for a in results if a.level),
    }
    if spec.thread or spec.want_traits:
        block.thread = [thread_inputs(a) for a in results]
    if spec.want_traits:
        block.traits = [frozenset(t.code for t in a.traits) for a in results]
    cust: list[list[Any]] | None = None
    if spec.customer_index is not None and customers is not None:
        ci = spec.customer_index
        cust = [customer_values(r[ci], frozenset(t.code for t in a.traits), customers) for r, a in zip(rows, results)]
    fmt = spec.fmt
    if fmt in ("csv", "tsv", "jsonl"):
        if fmt == "jsonl":
            names = spec.columns + spec.result_names
            objs = [dict(zip(names, [jsonable(v) for v in r] + native_row(a))) for r, a in zip(rows, results)]
            if spec.labels == "zh":
                objs = [_zh_tail(o, spec) for o in objs]
            heads = [json.dumps(o, ensure_ascii=False)[:-1] for o in objs]
            close, end = "}", "\n"
        else:
            sep = "\t" if fmt == "tsv" else ","
            g = spec.guard
            heads = [csv_line([_csv_cell(v, g) for v in r] + [_csv_cell(v, g) for v in _cells(a, spec)], sep) for r, a in zip(rows, results)]
            close, end = "", "\r\n"
        tails = [extra_cells(fmt, spec.customer_names, c) + close + end for c in cust] if cust is not None else [close + end] * len(rows)
        if spec.thread:
            block.rows = [h.encode("utf-8") for h in heads]
            block.tails = [t.encode("utf-8") for t in tails]
        else:
            block.blob = "".join([h + t for h, t in zip(heads, tails)]).encode("utf-8")
    elif fmt == "parquet":
        block.batch = _arrow_batch(spec, rows, results, cust)
    elif fmt in ("xlsx", "frame"):
        value = xlsx_value if fmt == "xlsx" else (lambda v: v)
        block.rows = [[value(v) for v in r] + [value(v) for v in _cells(a, spec)] for r, a in zip(rows, results)]
        block.tails = [extra_cells(fmt, (), c) for c in cust] if cust is not None else [[] for _ in rows]
    else:  # pragma: no cover - checked when the run starts
        raise InputError(f"unsupported output format {fmt!r}")
    return block


def _cells(a: Analysis, spec: BlockSpec) -> Any:
    row = analysis_row(a)
    return (zh_labels(row) if spec.labels == "zh" else row).values()


def _zh_tail(obj: dict[str, Any], spec: BlockSpec) -> dict[str, Any]:
    """zh_labels on the result members of a JSON row (named as ``spec.result_names``)."""
    plain = dict(zip(spec.result_names, RESULT_COLUMNS))
    sub = zh_labels({plain[k]: obj[k] for k in spec.result_names if plain[k] in ("category", "category2", "emotion", "level", "customer_type", "scenario")})
    for k in spec.result_names:
        if plain[k] in sub:
            obj[k] = sub[plain[k]]
    return obj


def _arrow_batch(spec: BlockSpec, rows: list[list[Any]], results: list[Analysis], cust: list[list[Any]] | None = None) -> Any:
    """Input columns (their own Arrow types), the typed result columns, then the customer
    columns when ``cust`` is given (thread columns are the parent's to insert)."""
    import pyarrow as pa

    from .schema import CUSTOMER_FIELDS, _arrow_type, result_arrow_schema

    arrays = []
    fields = []
    for j, (name, typ) in enumerate(zip(spec.columns, spec.arrow_types)):
        values = [r[j] for r in rows]
        if pa.types.is_string(typ) or pa.types.is_large_string(typ):
            values = [text_cell(v) for v in values]
        else:
            values = [None if (isinstance(v, float) and math.isnan(v)) else v for v in values]
        arrays.append(pa.array(values, type=typ))
        fields.append(pa.field(name, typ))
    native = [native_row(a) for a in results]
    if spec.labels == "zh":
        native = [list(zh_labels(dict(zip(RESULT_COLUMNS, row))).values()) for row in native]
    for k, (f, name) in enumerate(zip(result_arrow_schema(), spec.result_names)):
        arrays.append(pa.array([row[k] for row in native], type=f.type))
        fields.append(pa.field(name, f.type))
    if cust is not None:
        for k, ((_, typ, _), name) in enumerate(zip(CUSTOMER_FIELDS, spec.customer_names)):
            t = _arrow_type(typ)
            arrays.append(pa.array([c[k] for c in cust], type=t))
            fields.append(pa.field(name, t))
    return pa.RecordBatch.from_arrays(arrays, schema=pa.schema(fields))


def _plain_extra(v: Any) -> Any:
    return _js(v) if isinstance(v, (dict, list)) else v


def _csv_extra(v: Any, sep: str) -> str:
    """A thread/customer value as a CSV cell: our own ints, bools, level codes and JSON, so no
    formula guard, and quoting only for the JSON."""
    if v is None:
        return ""
    if v is True or v is False:
        return "True" if v else "False"
    if isinstance(v, int):
        return str(v)
    return _quote(_js(v) if isinstance(v, (dict, list)) else str(v), sep)


def extra_cells(fmt: str, names: Sequence[str], values: Sequence[Any]) -> Any:
    """Thread/customer values of one row in the block's encoding (what the parent appends)."""
    if fmt in ("csv", "tsv"):
        sep = "\t" if fmt == "tsv" else ","
        return sep + sep.join([_csv_extra(v, sep) for v in values])
    if fmt == "jsonl":
        return "".join([f",{_js(n)}:{_js(v)}" for n, v in zip(names, values)])
    if fmt == "xlsx":
        return [xlsx_value(_plain_extra(v)) for v in values]
    return [_plain_extra(v) for v in values]


# ================================================================= writing
def fsync_path(path: Path, *, best_effort: bool = False) -> None:
    """Force ``path`` (a file, or a folder after a rename into it) to disk. ``best_effort``:
    ignore platforms that cannot open or sync a folder."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        if best_effort:
            return
        raise
    try:
        os.fsync(fd)
    except OSError:
        if not best_effort:
            raise
    finally:
        os.close(fd)


class Writer:
    """Streaming writer of finished blocks to ``tmp`` (never OUTPUT itself)."""

    def __init__(self, tmp: Path, fmt: str, columns: list[str], *, arrow_schema: Any = None) -> None:
        self.tmp, self.fmt, self.columns = tmp, fmt, columns
        self.rows = 0
        self._f: Any = None
        self._pq: Any = None
        self._xl: Any = None
        self._ws: Any = None
        self.schema = arrow_schema
        if fmt in ("csv", "tsv"):
            self._f = open(tmp, "wb")
            sep = "\t" if fmt == "tsv" else ","
            # UTF-8 with BOM, so Excel opens it as UTF-8
            self._f.write(codecs.BOM_UTF8 + (csv_line([_csv_cell(c, True) for c in columns], sep) + "\r\n").encode("utf-8"))
        elif fmt == "jsonl":
            self._f = open(tmp, "wb")
        elif fmt == "parquet":
            import pyarrow.parquet as pq

            self._pq = pq.ParquetWriter(tmp, arrow_schema)
        elif fmt == "xlsx":
            from openpyxl import Workbook

            self._xl = Workbook(write_only=True)
            self._ws = self._xl.create_sheet("scored")
            self._ws.append([xlsx_value(c) for c in columns])
        else:
            raise InputError(f"unsupported output format {fmt!r}")

    def write_bytes(self, data: bytes, rows: int) -> None:
        """Encoded CSV/TSV/JSON Lines rows, line ends included."""
        self._f.write(data)
        self.rows += rows

    def write_batch(self, batch: Any) -> None:
        import pyarrow as pa

        self._pq.write_table(pa.Table.from_batches([batch], schema=self.schema))
        self.rows += batch.num_rows

    def write_cells(self, rows: list[list[Any]]) -> None:
        from openpyxl.cell import WriteOnlyCell

        if self.rows + len(rows) > 1_048_575:
            raise InputError("Excel output is limited to 1,048,575 rows; write .csv, .jsonl or .parquet instead")
        for cells in rows:
            out = []
            for x in cells:
                if isinstance(x, str) and x.startswith("="):
                    c = WriteOnlyCell(self._ws, value=x)
                    c.data_type = "s"  # text, never a live formula
                    out.append(c)
                else:
                    out.append(x)
            self._ws.append(out)
        self.rows += len(rows)

    def close(self) -> None:
        """Finish the file and force it to disk (before the rename makes it OUTPUT)."""
        if self._f is not None:
            self._f.flush()
            os.fsync(self._f.fileno())
            self._f.close()
            self._f = None
        if self._pq is not None:
            self._pq.close()
            self._pq = None
            fsync_path(self.tmp)
        if self._xl is not None:
            self._xl.save(self.tmp)
            self._xl = None
            fsync_path(self.tmp)

    def abort(self) -> None:
        """Close whatever is open after a failure (the caller removes the partial file)."""
        for obj in (self._f, self._pq, self._ws if self._xl is not None else None):
            if obj is not None:
                try:
                    obj.close()
                except Exception:  # already failing; the partial file is removed next
                    pass
        if self._xl is not None:  # openpyxl's write-only sheet streams into a temp file of its own
            writer = getattr(self._ws, "_writer", None)
            try:
                if writer is not None:
                    writer.cleanup()
            except Exception:  # pragma: no cover - already gone
                pass
        self._f = self._pq = self._xl = self._ws = None
