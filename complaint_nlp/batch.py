"""Batch scoring of message exports: ``complaint-nlp score`` and :func:`score_frame`.

One output row per input row, in input order, every input column kept. Output goes to a
temporary file beside OUTPUT and is renamed over it only when the whole input was scored, so an
interrupted run never leaves a half-written OUTPUT behind.
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any, Sequence

from .errors import ColumnError, InputError
from .io import SUPPORTED_OUTPUTS, file_format, read_chunks
from .result import Analysis, rounded_scores
from .threads import ThreadState

__all__ = ["score_frame", "score_file", "RESULT_COLUMNS", "format_summary", "analysis_row", "coerce_text"]

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


def _init_worker(analyzer: Any) -> None:
    global _worker_analyzer
    _worker_analyzer = analyzer


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


def score_frame(
    df: Any,
    text_col: str,
    *,
    analyzer: Any = None,
    thread_col: str | None = None,
    customer_col: str | None = None,
    _threads: dict[Any, ThreadState] | None = None,
    _customers: dict[Any, dict[str, Any]] | None = None,
    _pool: ProcessPoolExecutor | None = None,
    _jobs: int = 1,
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
    """
    import pandas as pd

    if text_col not in df.columns:
        raise ColumnError(f"text column {text_col!r} not found; columns are {list(df.columns)}")
    for name, col in (("thread", thread_col), ("customer", customer_col)):
        if col is not None and col not in df.columns:
            raise ColumnError(f"{name} column {col!r} not found; columns are {list(df.columns)}")
    if analyzer is None:
        from .analyzer import get_default_analyzer

        analyzer = get_default_analyzer()
    texts = _texts(df[text_col].tolist())
    results = _analyze(analyzer, texts, _pool, _jobs)
    rows = [analysis_row(a) for a in results]
    extra_cols = list(RESULT_COLUMNS)
    if thread_col is not None:
        states = _threads if _threads is not None else {}
        for key, a, row in zip(df[thread_col].tolist(), results, rows):
            k = coerce_text(key)
            if k is None or (isinstance(k, str) and not k.strip()):
                row.update(ThreadState().update(a))  # a blank ticket id is a thread of its own
            else:
                row.update(states.setdefault(k, ThreadState()).update(a))
        extra_cols += THREAD_COLUMNS
    if customer_col is not None:
        customers = _customers if _customers is not None else _customer_index(df, customer_col, _id_values(df))
        for key, a, row in zip(df[customer_col].tolist(), results, rows):
            info = customers.get(coerce_text(key))
            n = info["count"] if info else 0
            row["customer_complaints"] = n
            hist = n >= HISTORY_MIN_COMPLAINTS
            row["customer_history"] = _js({"complaints": n, "rows": info["rows"][:20]}) if (info and hist) else None
            codes = {t.code for t in a.traits} | ({"complaint_history"} if hist else set())
            row["professional_complainant_with_history"] = len(codes) >= 3
        extra_cols += CUSTOMER_COLUMNS
    names = _result_names(list(df.columns), extra_cols)
    res = pd.DataFrame([{names[k]: r.get(k) for k in extra_cols} for r in rows], index=df.index, columns=[names[k] for k in extra_cols])
    return pd.concat([df, res], axis=1)


def _id_values(df: Any) -> list[Any]:
    return [str(i) for i in df.index.tolist()]


def _customer_index(df: Any, customer_col: str, ids: Sequence[Any]) -> dict[Any, dict[str, Any]]:
    idx: dict[Any, dict[str, Any]] = {}
    for key, rid in zip(df[customer_col].tolist(), ids):
        k = coerce_text(key)
        if k is None:
            continue
        info = idx.setdefault(k, {"count": 0, "rows": []})
        info["count"] += 1
        if len(info["rows"]) < 20:
            info["rows"].append(rid)
    return idx


# ================================================================= files
class _Writer:
    """Streaming writer for the output formats; writes to ``tmp`` only."""

    def __init__(self, tmp: Path, fmt: str) -> None:
        self.tmp, self.fmt = tmp, fmt
        self.rows = 0
        self._pq: Any = None
        self._xl: Any = None
        self._ws: Any = None
        self._header_done = False

    def write(self, df: Any) -> None:
        if self.fmt in ("csv", "tsv"):
            # lineterminator "\r\n": the csv module then quotes every field holding a CR or an LF, so
            # a bare CR inside a message cannot split its row for any reader
            df.to_csv(self.tmp, mode="a" if self._header_done else "w", header=not self._header_done, index=False, sep="\t" if self.fmt == "tsv" else ",", encoding="utf-8-sig" if not self._header_done else "utf-8", lineterminator="\r\n")
        elif self.fmt == "jsonl":
            with open(self.tmp, "a" if self._header_done else "w", encoding="utf-8") as f:
                for rec in df.to_dict(orient="records"):
                    f.write(json.dumps({k: _jsonable(v) for k, v in rec.items()}, ensure_ascii=False) + "\n")
        elif self.fmt == "parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            table = pa.Table.from_pandas(df.astype({c: "object" for c in df.columns if df[c].dtype == object}), preserve_index=False)
            if self._pq is None:
                self._schema = table.schema
                self._pq = pq.ParquetWriter(self.tmp, self._schema)
            else:
                table = table.cast(self._schema, safe=False) if table.schema != self._schema else table
            self._pq.write_table(table)
        elif self.fmt == "xlsx":
            from openpyxl import Workbook

            if self._xl is None:
                self._xl = Workbook(write_only=True)
                self._ws = self._xl.create_sheet("scored")
            if not self._header_done:
                self._ws.append([str(c) for c in df.columns])
            if self.rows + len(df) > 1_048_575:
                raise InputError("Excel output is limited to 1,048,575 rows; write .csv, .jsonl or .parquet instead")
            for rec in df.itertuples(index=False, name=None):
                self._ws.append([_cell(v) for v in rec])
        else:
            raise InputError(f"unsupported output format {self.fmt!r}; use one of {', '.join(SUPPORTED_OUTPUTS)}")
        self._header_done = True
        self.rows += len(df)

    def close(self) -> None:
        if self._pq is not None:
            self._pq.close()
        if self._xl is not None:
            self._xl.save(self.tmp)


def _jsonable(v: Any) -> Any:
    if isinstance(v, float) and math.isnan(v):
        return None
    if hasattr(v, "item"):
        return v.item()
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return v


def _cell(v: Any) -> Any:
    v = _jsonable(v)
    if isinstance(v, str) and len(v) > 32767:  # Excel's cell limit
        return v[:32760] + "…"
    return v


def _progress(enabled: bool | None) -> Any:
    use = sys.stderr.isatty() if enabled is None else enabled
    if not use:
        return None
    from tqdm import tqdm

    return tqdm(unit=" msg", file=sys.stderr, dynamic_ncols=True)


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
) -> dict[str, Any]:
    """Score an export file into ``output_path``; returns the summary dict.

    The output format comes from ``output_path``'s extension (.csv, .tsv, .xlsx, .jsonl, .parquet).
    """
    out = Path(output_path)
    fmt = file_format(out)
    if "." + fmt not in SUPPORTED_OUTPUTS:
        raise InputError(f"unsupported output format {out.suffix!r}; use one of {', '.join(SUPPORTED_OUTPUTS)}")
    if Path(input_path).resolve() == out.resolve():
        raise InputError("output must not overwrite the input file")
    if chunksize < 1 or jobs < 1:
        raise InputError("--chunksize and --jobs must be at least 1")
    if analyzer is None:
        from .analyzer import get_default_analyzer

        analyzer = get_default_analyzer()
    customers: dict[Any, dict[str, Any]] | None = None
    if customer_col is not None:
        customers = {}
        pos = 0
        for chunk in read_chunks(input_path, encoding=encoding, chunksize=chunksize, sheet=sheet, header_row=header_row):
            if customer_col not in chunk.columns:
                raise ColumnError(f"customer column {customer_col!r} not found; columns are {list(chunk.columns)}")
            ids = chunk[id_col].astype(str).tolist() if id_col and id_col in chunk.columns else [str(pos + i + 1) for i in range(len(chunk))]
            for k, v in _customer_index(chunk, customer_col, ids).items():
                info = customers.setdefault(k, {"count": 0, "rows": []})
                info["count"] += v["count"]
                info["rows"].extend(v["rows"][: 20 - len(info["rows"])])
            pos += len(chunk)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.partial-{os.getpid()}")
    writer = _Writer(tmp, fmt)
    threads: dict[Any, ThreadState] = {}
    counts: dict[str, Counter[str]] = {"category": Counter(), "emotion": Counter(), "level": Counter()}
    errors = 0
    warm = getattr(analyzer, "warm_up", None)
    if warm is not None:  # build the tokenizer and converters now: the rate is for scoring
        warm()
    t0 = time.perf_counter()
    bar = _progress(progress)
    pool = ProcessPoolExecutor(max_workers=jobs, initializer=_init_worker, initargs=(analyzer,)) if jobs > 1 else None
    ok = False
    try:
        for chunk in read_chunks(input_path, encoding=encoding, chunksize=chunksize, sheet=sheet, header_row=header_row):
            if text_col not in chunk.columns:
                raise ColumnError(f"text column {text_col!r} not found; columns are {list(chunk.columns)}")
            if id_col is not None and id_col not in chunk.columns:
                raise ColumnError(f"id column {id_col!r} not found; columns are {list(chunk.columns)}")
            scored = score_frame(chunk, text_col, analyzer=analyzer, thread_col=thread_col, customer_col=customer_col, _threads=threads, _customers=customers, _pool=pool, _jobs=jobs)
            names = _result_names(list(chunk.columns), RESULT_COLUMNS)
            errors += int(scored[names["error"]].notna().sum())
            for key in counts:
                counts[key].update(v for v in scored[names[key]].tolist() if isinstance(v, str))
            writer.write(scored)
            if bar is not None:
                bar.update(len(chunk))
        if writer.rows == 0 and not tmp.exists():
            import pandas as pd

            writer.write(pd.DataFrame(columns=[text_col, *RESULT_COLUMNS]))
        writer.close()
        os.replace(tmp, out)
        ok = True
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
        if bar is not None:
            bar.close()
        if not ok:
            try:
                tmp.unlink()
            except FileNotFoundError:
                pass
    secs = time.perf_counter() - t0
    summary = {
        "input": str(input_path),
        "output": str(out),
        "rows": writer.rows,
        "errors": errors,
        "seconds": round(secs, 3),
        "messages_per_second": round(writer.rows / secs, 1) if secs > 0 else None,
        "category": dict(counts["category"].most_common()),
        "emotion": dict(counts["emotion"].most_common()),
        "level": dict(counts["level"].most_common()),
        "model": getattr(analyzer, "model_name", None),
        "jobs": jobs,
    }
    if summary_path is not None:
        Path(summary_path).write_text(json.dumps(summary, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return summary


def format_summary(s: dict[str, Any]) -> str:
    def fmt(c: dict[str, int]) -> str:
        return ", ".join(f"{k} {v}" for k, v in c.items()) or "-"

    return "\n".join(
        [
            f"scored {s['rows']} rows → {s['output']} ({s['errors']} errors) in {s['seconds']}s, {s['messages_per_second']} messages/s",
            f"  level:    {fmt(s['level'])}",
            f"  category: {fmt(s['category'])}",
            f"  emotion:  {fmt(s['emotion'])}",
        ]
    )

