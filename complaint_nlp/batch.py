"""Batch scoring of message exports: ``complaint-nlp score`` and :func:`score_frame`.

One output row per input row, in input order, every input column kept. Output goes to a
temporary file beside OUTPUT and is renamed over it only when the whole input was scored, so an
interrupted run never leaves a half-written OUTPUT behind.
"""

from __future__ import annotations

import json
import math
import os
import re
import signal
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any, Sequence

from .errors import ColumnError, InputError, ScoringError
from .io import SUPPORTED_OUTPUTS, Source, file_format, open_source
from .result import Analysis, rounded_scores
from .threads import ThreadState

__all__ = ["score_frame", "score_file", "RESULT_COLUMNS", "format_summary", "analysis_row", "coerce_text", "neutralise_formula", "clean_stale_partials", "DEFAULT_MAX_FAILED_SHARE"]

#: Columns added to every row, in this order.
RESULT_COLUMNS = [
    "category",
    "category2",
    "category_scores",
    "category_evidence",
    "emotion",
    "emotion_scores",
    "intensity",
    "signals",
    "traits",
    "professional_complainant",
    "level",
    "response_minutes",
    "responder",
    "level_reasons",
    "truncated",
    "error",
]
THREAD_COLUMNS = ["thread_position", "thread_chases", "thread_trajectory", "thread_max_level", "thread_level"]
CUSTOMER_COLUMNS = ["customer_complaints", "customer_history", "professional_complainant_with_history"]
#: a customer with at least this many complaints in one file shows the complaint_history trait
HISTORY_MIN_COMPLAINTS = 3
#: ``score`` fails (exit 1, OUTPUT untouched) when more than this share of rows failed inside the
#: analyser rather than because of their input (a broken model, a missing dependency)
DEFAULT_MAX_FAILED_SHARE = 0.05
#: the share is checked during the run once this many rows are scored, and always at the end
_FAILED_SHARE_MIN_ROWS = 1000
#: Arrow types of the added columns in Parquet output (the schema is fixed before the first chunk)
_RESULT_TYPES = {
    "intensity": "float64",
    "professional_complainant": "bool_",
    "response_minutes": "int64",
    "truncated": "bool_",
    "thread_position": "int64",
    "thread_chases": "int64",
    "customer_complaints": "int64",
    "professional_complainant_with_history": "bool_",
}


def coerce_text(value: Any) -> Any:
    """Cell → text: numbers become their text (a spreadsheet guessed the type), missing stays."""
    if value is None:
        return None
    if isinstance(value, float):
        if math.isnan(value):
            return None
        return str(int(value)) if value.is_integer() else str(value)
    if isinstance(value, (int,)) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return value


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))  # built once, not per cell


def _js(v: Any) -> str:
    return _ENCODER.encode(v)


def analysis_row(a: Analysis) -> dict[str, Any]:
    """The result columns of one analysis (JSON strings for nested values)."""
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
    }


def _texts(col: Sequence[Any]) -> list[Any]:
    return [coerce_text(v) for v in col]


def _result_names(columns: Sequence[str], extra: Sequence[str]) -> dict[str, str]:
    """Result column → output name; a clash with an input column gets a ``_cnlp`` suffix."""
    taken = set(columns)
    return {c: (f"{c}_cnlp" if c in taken else c) for c in extra}


# worker-process state for --jobs
_worker_analyzer: Any = None


def _watch_parent(parent: int) -> None:
    """A worker outlives no parent: a SIGKILLed ``score`` cannot stop its pool, so each worker
    checks every half second that the run that started it is alive, and exits when it is not."""
    while True:
        time.sleep(0.5)
        try:
            os.kill(parent, 0)
        except ProcessLookupError:
            os._exit(1)
        except OSError:  # alive but not ours to signal
            pass


def _init_worker(analyzer: Any, parent: int | None = None) -> None:
    global _worker_analyzer
    _worker_analyzer = analyzer
    # Ctrl-C reaches the whole process group: the parent cleans up and stops the workers
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_DFL)
    if parent is not None:
        threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()


def _work(texts: list[Any]) -> list[Analysis]:
    return _worker_analyzer.analyze_many(texts)  # type: ignore[no-any-return]


def _analyze(analyzer: Any, texts: list[Any], pool: ProcessPoolExecutor | None, jobs: int) -> list[Analysis]:
    if pool is None or len(texts) < 64:
        return analyzer.analyze_many(texts)  # type: ignore[no-any-return]
    size = math.ceil(len(texts) / (jobs * 4))
    parts = [texts[i : i + size] for i in range(0, len(texts), size)]
    out: list[Analysis] = []
    for res in pool.map(_work, parts):
        out.extend(res)
    return out




def _column(df: Any, name: str, what: str) -> list[Any]:
    """Values of column ``name``; a missing or ambiguous (repeated) name is a clear error."""
    cols = list(df.columns)
    n = cols.count(name)
    if n == 0:
        raise ColumnError(f"{what} column {name!r} not found; columns are {cols}")
    if n > 1:
        where = [i for i, c in enumerate(cols) if c == name]
        raise ColumnError(f"{what} column {name!r} appears {n} times (positions {where}); rename the copies")
    return df.iloc[:, cols.index(name)].tolist()  # type: ignore[no-any-return]


def score_frame(
    df: Any,
    text_col: str,
    *,
    analyzer: Any = None,
    thread_col: str | None = None,
    customer_col: str | None = None,
) -> Any:
    """Score a pandas DataFrame; returns a new DataFrame with the result columns appended.

    Args:
        df: input frame (not modified).
        text_col: column with the message text. None/NaN cells get an ``error``; numbers are read
            as their text.
        analyzer: an :class:`~complaint_nlp.Analyzer`; default the shipped one.
        thread_col: ticket id column; adds thread columns (state after each message, in row order).
        customer_col: customer id column; adds the customer's complaint count in this frame and
            the complaint_history trait evidence.

    Returns:
        DataFrame with ``len(df)`` rows in the same order and index.

    Raises:
        ColumnError: a named column is missing or appears more than once.
    """
    return _score_chunk(df, text_col, analyzer=analyzer, thread_col=thread_col, customer_col=customer_col)[0]


def _score_chunk(
    df: Any,
    text_col: str,
    *,
    analyzer: Any = None,
    thread_col: str | None = None,
    customer_col: str | None = None,
    read_errors: Sequence[str | None] | None = None,
    threads: dict[Any, ThreadState] | None = None,
    customers: dict[Any, dict[str, Any]] | None = None,
    pool: ProcessPoolExecutor | None = None,
    jobs: int = 1,
) -> tuple[Any, int, str | None]:
    """:func:`score_frame` plus what a file run needs: rows with a read error are not analysed
    (their error is the row's ``error``), thread and customer state span chunks. Also returns
    the number of rows that failed inside the analyser and the first such error."""
    import pandas as pd

    texts = _texts(_column(df, text_col, "text"))
    thread_keys = _column(df, thread_col, "thread") if thread_col is not None else None
    customer_keys = _column(df, customer_col, "customer") if customer_col is not None else None
    if analyzer is None:
        from .analyzer import get_default_analyzer

        analyzer = get_default_analyzer()
    bad = [i for i, e in enumerate(read_errors or ()) if e]
    todo = [i for i in range(len(texts)) if not (read_errors and read_errors[i])]
    scored = _analyze(analyzer, [texts[i] for i in todo], pool, jobs)
    results: list[Analysis] = [None] * len(texts)  # type: ignore[list-item]
    for i, a in zip(todo, scored):
        results[i] = a
    if bad:
        from .analyzer import error_result

        model = getattr(analyzer, "model_name", None)
        for i in bad:
            results[i] = error_result(str(read_errors[i]), model)  # type: ignore[index]
    # a row whose text was a str and still has an error failed inside the analyser
    internal = [results[i].error for i in todo if results[i].error is not None and isinstance(texts[i], str)]
    rows = [analysis_row(a) for a in results]
    extra_cols = list(RESULT_COLUMNS)
    if thread_keys is not None:
        states = threads if threads is not None else {}
        for key, a, row in zip(thread_keys, results, rows):
            k = coerce_text(key)
            if k is None or (isinstance(k, str) and not k.strip()):
                row.update(ThreadState().update(a))  # a blank ticket id is a thread of its own
            else:
                row.update(states.setdefault(k, ThreadState()).update(a))
        extra_cols += THREAD_COLUMNS
    if customer_keys is not None:
        index = customers if customers is not None else _customer_index(customer_keys, [str(i) for i in df.index.tolist()])
        for key, a, row in zip(customer_keys, results, rows):
            info = index.get(coerce_text(key))
            n = info["count"] if info else 0
            row["customer_complaints"] = n
            hist = n >= HISTORY_MIN_COMPLAINTS
            row["customer_history"] = _js({"complaints": n, "rows": info["rows"][:20]}) if (info and hist) else None
            codes = {t.code for t in a.traits} | ({"complaint_history"} if hist else set())
            row["professional_complainant_with_history"] = len(codes) >= 3
        extra_cols += CUSTOMER_COLUMNS
    names = _result_names(list(df.columns), extra_cols)
    res = pd.DataFrame([[r.get(k) for k in extra_cols] for r in rows], index=df.index, columns=[names[k] for k in extra_cols], dtype=object)
    return pd.concat([df, res], axis=1), len(internal), (internal[0] if internal else None)


def _customer_index(keys: Sequence[Any], ids: Sequence[Any]) -> dict[Any, dict[str, Any]]:
    idx: dict[Any, dict[str, Any]] = {}
    for key, rid in zip(keys, ids):
        k = coerce_text(key)
        if k is None or (isinstance(k, str) and not k.strip()):
            continue
        info = idx.setdefault(k, {"count": 0, "rows": []})
        info["count"] += 1
        if len(info["rows"]) < 20:
            info["rows"].append(rid)
    return idx


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


def _text_cell(v: Any) -> str | None:
    """A cell as text for CSV/TSV and for text columns of Parquet: None for missing, JSON for
    nested values, the value's own text otherwise (ints keep every digit)."""
    if v is None:
        return None
    if isinstance(v, str):
        return v
    if isinstance(v, float):
        return None if math.isnan(v) else repr(v)
    if isinstance(v, (dict, list, tuple)):
        return _ENCODER.encode(_jsonable_deep(v))
    if hasattr(v, "isoformat"):
        try:
            import pandas as pd

            if v is pd.NaT:
                return None
        except ImportError:  # pragma: no cover
            pass
        return str(v.isoformat())
    if isinstance(v, bytes):
        return v.decode("utf-8", errors="replace")
    try:
        import pandas as pd

        if v is pd.NA:
            return None
    except ImportError:  # pragma: no cover
        pass
    if hasattr(v, "item"):
        return _text_cell(v.item())
    return str(v)


def _jsonable(v: Any) -> Any:
    """A cell as a JSON value: ints of any size, bools and strings as they are, NaN → null."""
    if v is None or isinstance(v, (str, bool, int)):
        return v
    if isinstance(v, float):
        return None if math.isnan(v) else v
    if isinstance(v, (dict, list, tuple)):
        return _jsonable_deep(v)
    if hasattr(v, "item") and not hasattr(v, "isoformat"):  # numpy scalars
        return _jsonable(v.item())
    return _text_cell(v)


def _jsonable_deep(v: Any) -> Any:
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    return _jsonable(v)


_XLSX_MAX_INT = 2**53  # Excel keeps numbers as doubles: a larger id is written as its text


def _xlsx_value(v: Any) -> Any:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    v = _jsonable(v)
    if isinstance(v, bool) or v is None:
        return v
    if isinstance(v, int):
        return v if abs(v) < _XLSX_MAX_INT else str(v)
    if isinstance(v, float):
        return v
    if isinstance(v, (dict, list)):
        v = _ENCODER.encode(v)
    s = ILLEGAL_CHARACTERS_RE.sub("\ufffd", str(v))
    if len(s) > 32767:  # Excel's cell limit
        s = s[:32766] + "…"
    return s


# ================================================================= files
def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # pragma: no cover - not every platform opens folders
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


class _Writer:
    """Streaming writer for the output formats; writes ``columns`` (fixed before the first
    chunk) to ``tmp`` only."""

    def __init__(self, tmp: Path, fmt: str, columns: list[str], *, guard: bool, arrow_types: dict[str, Any] | None = None) -> None:
        self.tmp, self.fmt, self.columns, self.guard = tmp, fmt, columns, guard
        self.rows = 0
        self._f: Any = None
        self._csv: Any = None
        self._pq: Any = None
        self._xl: Any = None
        self._ws: Any = None
        if fmt in ("csv", "tsv"):
            import csv

            self._f = open(tmp, "w", encoding="utf-8-sig", newline="")
            # "\r\n" ends rows, so the csv module quotes every field holding a CR or an LF: a
            # bare CR inside a message cannot split its row for any reader
            self._csv = csv.writer(self._f, delimiter="\t" if fmt == "tsv" else ",", lineterminator="\r\n")
            self._csv.writerow([self._csv_cell(c) for c in columns])
        elif fmt == "jsonl":
            self._f = open(tmp, "w", encoding="utf-8", newline="\n")
        elif fmt == "parquet":
            try:
                import pyarrow as pa
                import pyarrow.parquet as pq
            except ImportError as exc:  # pragma: no cover
                raise InputError("writing Parquet needs pyarrow: pip install 'complaint_nlp[parquet]'") from exc
            types = arrow_types or {}
            self._schema = pa.schema([pa.field(c, types.get(c, pa.string())) for c in columns])
            self._pq = pq.ParquetWriter(tmp, self._schema)
        elif fmt == "xlsx":
            from openpyxl import Workbook

            self._xl = Workbook(write_only=True)
            self._ws = self._xl.create_sheet("scored")
            self._ws.append([self._xlsx_cell(c) for c in columns])
        else:
            raise InputError(f"unsupported output format {fmt!r}; use one of {', '.join(SUPPORTED_OUTPUTS)}")

    def _csv_cell(self, v: Any) -> str:
        t = _text_cell(v)
        if t is None:
            return ""
        return neutralise_formula(t) if self.guard and isinstance(v, str) else t

    def _xlsx_cell(self, v: Any) -> Any:
        from openpyxl.cell import WriteOnlyCell

        x = _xlsx_value(v)
        if isinstance(x, str) and x.startswith("="):
            cell = WriteOnlyCell(self._ws, value=x)
            cell.data_type = "s"  # text, never a live formula
            return cell
        return x

    def write(self, df: Any) -> None:
        records = list(df.itertuples(index=False, name=None))
        if self.fmt in ("csv", "tsv"):
            cell = self._csv_cell
            self._csv.writerows([[cell(v) for v in rec] for rec in records])
        elif self.fmt == "jsonl":
            cols = self.columns
            self._f.write("".join(json.dumps(dict(zip(cols, map(_jsonable, rec))), ensure_ascii=False) + "\n" for rec in records))
        elif self.fmt == "parquet":
            import pyarrow as pa

            arrays = []
            for j, f in enumerate(self._schema):
                values = [rec[j] for rec in records]
                if pa.types.is_string(f.type) or pa.types.is_large_string(f.type):
                    values = [_text_cell(v) for v in values]
                else:
                    values = [None if (isinstance(v, float) and math.isnan(v)) else v for v in values]
                arrays.append(pa.array(values, type=f.type))
            self._pq.write_table(pa.Table.from_arrays(arrays, schema=self._schema))
        else:  # xlsx
            if self.rows + len(records) > 1_048_575:
                raise InputError("Excel output is limited to 1,048,575 rows; write .csv, .jsonl or .parquet instead")
            for rec in records:
                self._ws.append([self._xlsx_cell(v) for v in rec])
        self.rows += len(records)

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
            _fsync(self.tmp)
        if self._xl is not None:
            self._xl.save(self.tmp)
            self._xl = None
            _fsync(self.tmp)

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


def _progress(enabled: bool | None) -> Any:
    use = sys.stderr.isatty() if enabled is None else enabled
    if not use:
        return None
    from tqdm import tqdm

    return tqdm(unit=" msg", file=sys.stderr, dynamic_ncols=True)


PARTIAL = ".{name}.partial-{pid}"


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, not ours
        return True
    return True


def clean_stale_partials(out: Path) -> list[str]:
    """Remove the hidden partial files of earlier runs into ``out`` whose process is gone (a
    run killed with SIGKILL or by a power cut cannot remove its own); returns one note each."""
    notes = []
    prefix = f".{out.name}.partial-"
    try:
        entries = list(out.parent.iterdir())
    except OSError:
        return notes
    for p in entries:
        if not p.name.startswith(prefix):
            continue
        pid_text = p.name[len(prefix) :]
        if pid_text.isdigit() and _pid_alive(int(pid_text)) and int(pid_text) != os.getpid():
            notes.append(f"{p} belongs to a run that is still going (pid {pid_text}); left alone")
            continue
        try:
            p.unlink()
            notes.append(f"removed {p}, left by an interrupted run")
        except OSError as exc:
            notes.append(f"could not remove stale partial file {p}: {exc}")
    return notes


def _stop_pool(pool: ProcessPoolExecutor, graceful: bool) -> None:
    if not graceful:
        # an interrupted run stops its workers now instead of letting them finish their chunk
        for proc in list((getattr(pool, "_processes", None) or {}).values()):
            try:
                proc.terminate()
            except Exception:  # pragma: no cover - already gone
                pass
    pool.shutdown(wait=True, cancel_futures=True)


def score_file(
    input_path: str | Path,
    output_path: str | Path,
    *,
    text_col: str,
    analyzer: Any = None,
    id_col: str | None = None,
    thread_col: str | None = None,
    customer_col: str | None = None,
    encoding: str | None = None,
    chunksize: int = 20000,
    jobs: int = 1,
    sheet: str | int | None = None,
    header_row: int | None = None,
    progress: bool | None = None,
    summary_path: str | Path | None = None,
    formula_guard: bool = True,
    max_failed_share: float = DEFAULT_MAX_FAILED_SHARE,
) -> dict[str, Any]:
    """Score an export file into ``output_path``; returns the summary dict.

    One output row per input record, in order. The output format comes from ``output_path``'s
    extension (.csv, .tsv, .xlsx, .jsonl, .parquet); its columns (the input's, then the result
    columns) are fixed before the first chunk. A malformed record is an output row whose
    ``error`` names its line. Output goes to a hidden file beside OUTPUT, is fsynced and renamed
    over OUTPUT only when every row was written; any failure or interruption leaves OUTPUT as it
    was and removes the partial file.

    Args:
        formula_guard: CSV/TSV cells that a spreadsheet would run as a formula get a leading
            ``'``; xlsx always writes them as text.
        max_failed_share: fail (:class:`~complaint_nlp.errors.ScoringError`) when more than this
            share of rows failed inside the analyser (not because of their input).

    Raises:
        FileNotFoundError, InputError, ColumnError: the run could not start; ScoringError: too many
        rows failed inside the analyser; OSError: the output could not be written.
    """
    out = Path(output_path)
    fmt = file_format(out)
    if "." + fmt not in SUPPORTED_OUTPUTS:
        raise InputError(f"unsupported output format {out.suffix!r}; use one of {', '.join(SUPPORTED_OUTPUTS)}")
    if Path(input_path).exists() and Path(input_path).resolve() == out.resolve():
        raise InputError("output must not overwrite the input file")
    if chunksize < 1 or jobs < 1:
        raise InputError("--chunksize and --jobs must be at least 1")
    if not 0.0 <= max_failed_share <= 1.0:
        raise InputError("--max-failed-share must be between 0 and 1")
    src = open_source(input_path, encoding=encoding, sheet=sheet, header_row=header_row, text_col=text_col)
    notes: list[str] = []
    if not src.columns:
        notes.append(f"{input_path} is empty (no header, no rows): the output has the result columns only")
    else:
        for what, col in (("text", text_col), ("id", id_col), ("thread", thread_col), ("customer", customer_col)):
            if col is not None and col not in src.columns:
                raise ColumnError(f"{what} column {col!r} not found in {input_path}; columns are {src.columns}")
    if analyzer is None:
        from .analyzer import get_default_analyzer

        analyzer = get_default_analyzer()
    empty = not src.columns
    customers: dict[Any, dict[str, Any]] | None = None
    if customer_col is not None and not empty:
        customers = {}
        pos = 0
        for chunk in src.chunks(chunksize):
            df = chunk.frame
            ids = [str(coerce_text(v)) for v in _column(df, id_col, "id")] if id_col else [str(pos + i + 1) for i in range(len(df))]
            for k, v in _customer_index(_column(df, customer_col, "customer"), ids).items():
                info = customers.setdefault(k, {"count": 0, "rows": []})
                info["count"] += v["count"]
                info["rows"].extend(v["rows"][: 20 - len(info["rows"])])
            pos += len(df)
    extra = list(RESULT_COLUMNS) + (THREAD_COLUMNS if thread_col and not empty else []) + (CUSTOMER_COLUMNS if customer_col and not empty else [])
    names = _result_names(src.columns, extra)
    columns = list(src.columns) + [names[c] for c in extra]
    out.parent.mkdir(parents=True, exist_ok=True)
    notes += clean_stale_partials(out)
    tmp = out.with_name(PARTIAL.format(name=out.name, pid=os.getpid()))
    arrow_types = _arrow_types(src, names) if fmt == "parquet" else None
    writer = _Writer(tmp, fmt, columns, guard=formula_guard, arrow_types=arrow_types)
    threads: dict[Any, ThreadState] = {}
    counts: dict[str, Counter[str]] = {"category": Counter(), "emotion": Counter(), "level": Counter()}
    errors = internal = 0
    first_internal: str | None = None
    warm = getattr(analyzer, "warm_up", None)
    if warm is not None:  # build the tokenizer and converters now: the rate is for scoring
        warm()
    t0 = time.perf_counter()
    bar = _progress(progress)
    pool = ProcessPoolExecutor(max_workers=jobs, initializer=_init_worker, initargs=(analyzer, os.getpid())) if jobs > 1 else None
    ok = False
    try:
        for chunk in ([] if empty else src.chunks(chunksize)):
            scored, n_internal, first = _score_chunk(
                chunk.frame, text_col, analyzer=analyzer, thread_col=thread_col, customer_col=customer_col,
                read_errors=chunk.errors, threads=threads, customers=customers, pool=pool, jobs=jobs,
            )  # fmt: skip
            internal += n_internal
            first_internal = first_internal or first
            errors += int(scored[names["error"]].notna().sum())
            for key in counts:
                counts[key].update(v for v in scored[names[key]].tolist() if isinstance(v, str))
            writer.write(scored)
            if bar is not None:
                bar.update(len(scored))
            if writer.rows >= _FAILED_SHARE_MIN_ROWS:
                _check_failed(internal, writer.rows, max_failed_share, first_internal)
        _check_failed(internal, writer.rows, max_failed_share, first_internal)
        writer.close()
        os.replace(tmp, out)
        _fsync_dir(out.parent)
        ok = True
    finally:
        if pool is not None:
            _stop_pool(pool, graceful=ok)
        if bar is not None:
            bar.close()
        if not ok:
            writer.abort()
            try:
                tmp.unlink()
            except FileNotFoundError:
                pass
    secs = time.perf_counter() - t0
    summary = {
        "input": str(input_path),
        "output": str(out),
        "format": src.format,
        "encoding": src.encoding.encoding if src.encoding else None,
        "encoding_confidence": src.encoding.confidence if src.encoding else None,
        "encoding_forced": bool(src.encoding and src.encoding.forced),
        "rows": writer.rows,
        "errors": errors,
        "read_errors": src.read_errors,
        "internal_errors": internal,
        "seconds": round(secs, 3),
        "messages_per_second": round(writer.rows / secs, 1) if secs > 0 else None,
        "category": dict(counts["category"].most_common()),
        "emotion": dict(counts["emotion"].most_common()),
        "level": dict(counts["level"].most_common()),
        "model": getattr(analyzer, "model_name", None),
        "jobs": jobs,
        "warnings": notes + src.warnings,
    }
    if summary_path is not None:
        Path(summary_path).write_text(json.dumps(summary, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return summary


def _check_failed(internal: int, rows: int, share: float, first: str | None) -> None:
    if internal and internal > share * rows:
        raise ScoringError(
            f"{internal} of {rows} rows failed inside the analyser, not because of their input "
            f"(first: {first}); more than the allowed share {share:g} (--max-failed-share), so OUTPUT was not written"
        )


def _arrow_types(src: Source, names: dict[str, str]) -> dict[str, Any]:
    """Parquet output types: a Parquet input's own column types, text for every other input
    column, and fixed types for the result columns."""
    import pyarrow as pa

    types: dict[str, Any] = {}
    if src.arrow_schema is not None:
        for name, f in zip(src.columns, src.arrow_schema):
            types[name] = f.type
    for col, t in _RESULT_TYPES.items():
        if col in names:
            types[names[col]] = getattr(pa, t)()
    return types


def format_summary(s: dict[str, Any]) -> str:
    def fmt(c: dict[str, int]) -> str:
        return ", ".join(f"{k} {v}" for k, v in c.items()) or "-"

    err = f"{s['errors']} errors"
    if s.get("read_errors") or s.get("internal_errors"):
        err += f": {s.get('read_errors', 0)} unreadable records, {s.get('internal_errors', 0)} internal"
    src = f"{s.get('format')}"
    if s.get("encoding"):
        src += f", encoding {s['encoding']} ({'forced' if s.get('encoding_forced') else 'confidence ' + format(s['encoding_confidence'], '.2f')})"
    return "\n".join(
        [
            f"scored {s['rows']} rows → {s['output']} ({err}) in {s['seconds']}s, {s['messages_per_second']} messages/s",
            f"  input:    {src}",
            f"  level:    {fmt(s['level'])}",
            f"  category: {fmt(s['category'])}",
            f"  emotion:  {fmt(s['emotion'])}",
        ]
    )
