"""Batch scoring of message exports: ``complaint-nlp score`` and :func:`score_frame`.

One output row per input record, in input order, every input column kept. The input is read
record by record (:mod:`complaint_nlp.io`) into blocks; each block is analysed and encoded where it
is scored (a ``--jobs`` worker, or this process), and the parent only keeps order, adds the thread
and customer columns and writes. Output goes to a hidden file beside OUTPUT, fsynced and renamed
over it only when every row was written, so an interrupted run never leaves a half-written OUTPUT.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import threading
import time
from collections import Counter, deque
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import Any, Sequence

from .errors import ColumnError, InputError, ScoringError
from .io import SUPPORTED_OUTPUTS, Source, file_format, open_source
from .output import (
    CUSTOMER_COLUMNS,
    RESULT_COLUMNS,
    THREAD_COLUMNS,
    Block,
    BlockSpec,
    Writer,
    HISTORY_MIN_COMPLAINTS,
    analysis_row,
    coerce_text,
    encode_block,
    extra_cells,
    fsync_path,
    id_key,
    neutralise_formula,
)
from .threads import ThreadState

_log = logging.getLogger(__name__)

__all__ = [
    "score_frame",
    "score_file",
    "RESULT_COLUMNS",
    "THREAD_COLUMNS",
    "CUSTOMER_COLUMNS",
    "format_summary",
    "analysis_row",
    "coerce_text",
    "neutralise_formula",
    "clean_stale_partials",
    "DEFAULT_MAX_FAILED_SHARE",
    "HISTORY_MIN_COMPLAINTS",
]

#: ``score`` fails (exit 1, OUTPUT untouched) when more than this share of rows failed inside the
#: analyser rather than because of their input (a broken model, a missing dependency)
DEFAULT_MAX_FAILED_SHARE = 0.05
#: the share is checked during the run once this many rows are scored, and always at the end
_FAILED_SHARE_MIN_ROWS = 1000
#: rows per worker task with ``--jobs`` (small enough to keep every worker busy and memory low,
#: large enough that sending rows and results costs little)
_TASK_ROWS = 1000
#: rows per block with one job
_BLOCK_ROWS = 2000


def _result_names(columns: Sequence[str], extra: Sequence[str]) -> dict[str, str]:
    """Result column → output name; a clash with an input column gets a ``_cnlp`` suffix."""
    taken = set(columns)
    return {c: (f"{c}_cnlp" if c in taken else c) for c in extra}


# ================================================================= workers
_worker_analyzer: Any = None
_worker_spec: BlockSpec | None = None
_worker_customers: dict[Any, dict[str, Any]] | None = None


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


def _init_worker(analyzer: Any, spec: BlockSpec, customers: dict[Any, dict[str, Any]] | None, parent: int | None = None) -> None:
    global _worker_analyzer, _worker_spec, _worker_customers
    _worker_analyzer, _worker_spec, _worker_customers = analyzer, spec, customers
    # Ctrl-C reaches the whole process group: the parent cleans up and stops the workers
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for name in ("SIGTERM", "SIGHUP"):
        # the parent's handler (copied by fork) would raise in the worker; one the user had
        # ignored (nohup) stays ignored, as it does in the parent
        if hasattr(signal, name) and signal.getsignal(getattr(signal, name)) != signal.SIG_IGN:
            signal.signal(getattr(signal, name), signal.SIG_DFL)
    if parent is not None:
        threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()


def _work(rows: list[list[Any]], errors: list[str | None]) -> Block:
    assert _worker_spec is not None
    return encode_block(_worker_analyzer, _worker_spec, rows, errors, _worker_customers)


# ================================================================= the parent's part
class _Finisher:
    """Adds the thread columns to finished blocks (state that spans blocks, so it is kept here)
    and writes them, in input order."""

    def __init__(self, spec: BlockSpec, writer: Writer | None, thread_names: Sequence[str] = (), type_rules: Any = None) -> None:
        self.spec, self.writer, self.thread_names = spec, writer, thread_names
        self.type_rules = type_rules  # the analyzer's customer-type rules decide a ticket's type
        self.states: dict[Any, ThreadState] = {}
        self.counts: dict[str, Counter[str]] = {"category": Counter(), "emotion": Counter(), "level": Counter()}
        self.errors = self.internal = self.rows = 0
        self.first_internal: str | None = None
        self.frame_rows: list[list[Any]] = []  # score_frame: the finished rows

    def _thread_values(self, block: Block, keys: list[Any]) -> list[tuple[Any, ...]]:
        states = self.states
        out = []
        for key, inputs in zip(keys, block.thread):
            k = id_key(key)
            if k is None:
                out.append(ThreadState(type_rules=self.type_rules).step(*inputs))  # a blank ticket id is a thread of its own
                continue
            st = states.get(k)
            if st is None:
                st = states[k] = ThreadState(type_rules=self.type_rules)
            out.append(st.step(*inputs))
        return out

    def finish(self, block: Block, thread_keys: list[Any] | None) -> None:
        for k, c in block.counts.items():
            self.counts[k].update(c)
        self.errors += block.errors
        self.internal += block.internal
        self.first_internal = self.first_internal or block.first_internal
        self.rows += block.n
        fmt = self.spec.fmt
        tv = self._thread_values(block, thread_keys) if thread_keys is not None else None
        if tv is not None and self.spec.labels == "zh":
            from .taxonomy import CUSTOMER_TYPES, LEVELS

            tv = [(p, c, t, LEVELS[m].name if m else None, LEVELS[lv].name if lv else None, d, CUSTOMER_TYPES.get(ct, ct)) for p, c, t, m, lv, d, ct in tv]
        w = self.writer
        if fmt == "parquet":
            batch = block.batch
            if tv is not None:
                batch = _insert_thread(batch, w.schema, tv, len(self.spec.columns) + len(RESULT_COLUMNS))  # type: ignore[union-attr]
            w.write_batch(batch)  # type: ignore[union-attr]
        elif fmt in ("csv", "tsv", "jsonl"):
            if tv is None:
                w.write_bytes(block.blob, block.n)  # type: ignore[union-attr]
            else:
                data = b"".join([h + extra_cells(fmt, self.thread_names, t).encode("utf-8") + tail for h, t, tail in zip(block.rows, tv, block.tails)])
                w.write_bytes(data, block.n)  # type: ignore[union-attr]
        else:  # xlsx, frame: cell lists
            if tv is not None:
                rows = [h + extra_cells(fmt, (), t) + tail for h, t, tail in zip(block.rows, tv, block.tails)]
            else:
                rows = [h + tail for h, tail in zip(block.rows, block.tails)]
            if fmt == "xlsx":
                w.write_cells(rows)  # type: ignore[union-attr]
            else:
                self.frame_rows.extend(rows)


def _insert_thread(batch: Any, schema: Any, values: list[list[Any]], at: int) -> Any:
    """``batch`` with the thread columns inserted at position ``at`` (before customer columns)."""
    import pyarrow as pa

    arrays = list(batch.columns)
    for j in range(len(THREAD_COLUMNS)):
        arrays.insert(at + j, pa.array([row[j] for row in values], type=schema.field(at + j).type))
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def did_you_mean(name: str, columns: Sequence[str]) -> str:
    """``"; did you mean 'X'?"`` for the closest column name (case, spaces and width ignored), or ""."""
    import difflib
    import unicodedata

    def key(s: str) -> str:
        return "".join(unicodedata.normalize("NFKC", s).lower().split())

    keyed = {key(c): c for c in columns}
    if key(name) in keyed:
        return f"; did you mean {keyed[key(name)]!r}?"
    close = difflib.get_close_matches(key(name), list(keyed), n=1, cutoff=0.6)
    return f"; did you mean {keyed[close[0]]!r}?" if close else ""


def _column_index(columns: Sequence[str], name: str, what: str) -> int:
    """Position of column ``name``; a missing or repeated name is a clear error."""
    cols = list(columns)
    n = cols.count(name)
    if n == 0:
        raise ColumnError(f"{what} column {name!r} not found{did_you_mean(name, cols)}; columns are {cols}")
    if n > 1:
        where = [i for i, c in enumerate(cols) if c == name]
        raise ColumnError(f"{what} column {name!r} appears {n} times (positions {where}); rename the copies")
    return cols.index(name)


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
        DataFrame with ``len(df)`` rows in the same order and index; nested results are JSON text.

    Raises:
        ColumnError: a named column is missing or appears more than once.
    """
    import pandas as pd

    cols = [str(c) for c in df.columns]
    ti = _column_index(cols, text_col, "text")
    hi = _column_index(cols, thread_col, "thread") if thread_col is not None else None
    ci = _column_index(cols, customer_col, "customer") if customer_col is not None else None
    if analyzer is None:
        from .analyzer import get_default_analyzer

        analyzer = get_default_analyzer()
    extra = list(RESULT_COLUMNS) + (THREAD_COLUMNS if hi is not None else []) + (CUSTOMER_COLUMNS if ci is not None else [])
    names = _result_names(cols, extra)
    spec = _spec("frame", cols, ti, names, hi, ci, guard=False)
    rows = [list(r) for r in df.itertuples(index=False, name=None)]
    customers = None
    if ci is not None:
        customers = _customer_index([r[ci] for r in rows], [str(i) for i in df.index.tolist()])
    fin = _Finisher(spec, None, [names[c] for c in THREAD_COLUMNS] if hi is not None else (), getattr(analyzer, "customer_types", None))
    block = encode_block(analyzer, spec, rows, [None] * len(rows), customers)
    fin.finish(block, [r[hi] for r in rows] if hi is not None else None)
    res = pd.DataFrame([row[len(cols) :] for row in fin.frame_rows], index=df.index, columns=[names[c] for c in extra], dtype=object)
    return pd.concat([df, res], axis=1)


def _spec(fmt: str, cols: list[str], ti: int, names: dict[str, str], hi: int | None, ci: int | None, *, guard: bool, arrow_types: tuple[Any, ...] = (), labels: str = "code") -> BlockSpec:
    if labels not in ("code", "zh"):
        raise InputError(f"labels must be 'code' or 'zh', not {labels!r}")
    return BlockSpec(
        fmt, tuple(cols), ti, tuple(names[c] for c in RESULT_COLUMNS), guard=guard, arrow_types=arrow_types, labels=labels,
        thread=hi is not None, customer_index=ci, customer_names=tuple(names[c] for c in CUSTOMER_COLUMNS) if ci is not None else (),
    )  # fmt: skip


def _customer_index(keys: Sequence[Any], ids: Sequence[Any]) -> dict[Any, dict[str, Any]]:
    idx: dict[Any, dict[str, Any]] = {}
    for key, rid in zip(keys, ids):
        k = id_key(key)
        if k is None:
            continue
        info = idx.setdefault(k, {"count": 0, "rows": []})
        info["count"] += 1
        if len(info["rows"]) < 20:
            info["rows"].append(rid)
    return idx


# ================================================================= files
def _progress(enabled: bool | None, src: Source) -> Any:
    """A tqdm bar on stderr with the rows to expect, so it shows a percentage and an ETA."""
    use = sys.stderr.isatty() if enabled is None else enabled
    if not use:
        return None
    from tqdm import tqdm

    return tqdm(total=src.estimated_rows(), unit=" rows", file=sys.stderr, dynamic_ncols=True, desc="scoring")


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
    notes: list[str] = []
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
    if graceful:
        pool.shutdown(wait=True)
        return
    # an interrupted run stops its workers now instead of letting them finish their block
    for proc in list((getattr(pool, "_processes", None) or {}).values()):
        try:
            proc.terminate()
        except Exception:  # pragma: no cover - already gone
            pass
    # A signal can land while this thread is inside the executor (holding one of its locks), and
    # shutdown() would then wait on itself: shut down from a helper thread, for a bounded time.
    t = threading.Thread(target=pool.shutdown, kwargs={"wait": True, "cancel_futures": True}, daemon=True)
    t.start()
    t.join(5.0)


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
    labels: str = "code",
) -> dict[str, Any]:
    """Score an export file into ``output_path``; returns the summary dict.

    One output row per input record, in order. The output format comes from ``output_path``'s
    extension (.csv, .tsv, .xlsx, .jsonl, .parquet); its columns (the input's, then the result
    columns) are fixed before the first block. A malformed record is an output row whose
    ``error`` names its line. Output goes to a hidden file beside OUTPUT, is fsynced and renamed
    over OUTPUT only when every row was written; any failure or interruption leaves OUTPUT as it
    was and removes the partial file.

    Args:
        chunksize: rows analysed per block with one job (with ``jobs > 1``, blocks of at most
            1,000 rows go to the workers, a few per worker in flight).
        jobs: worker processes; each reads nothing, analyses and encodes its blocks.
        formula_guard: CSV/TSV cells that a spreadsheet would run as a formula get a leading
            ``'``; xlsx always writes them as text.
        max_failed_share: fail (:class:`~complaint_nlp.errors.ScoringError`) when more than this
            share of rows failed inside the analyser (not because of their input).
        labels: ``"code"`` (default) or ``"zh"``: category, category2, emotion and level as
            TAXONOMY's Chinese names (nested results keep their codes).

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
    if src.encoding is not None:
        _log.info("%s: %s, encoding %s (confidence %.2f%s)", input_path, src.format, src.encoding.encoding, src.encoding.confidence, ", forced" if src.encoding.forced else "")
    notes: list[str] = []
    empty = not src.columns
    if empty:
        notes.append(f"{input_path} is empty (no header, no rows): the output has the result columns only")
        thread_col = customer_col = None
    cols = list(src.columns)
    if not empty:
        ti = _column_index(cols, text_col, "text")
        if id_col is not None:
            _column_index(cols, id_col, "id")
    else:
        ti = 0
    hi = _column_index(cols, thread_col, "thread") if thread_col is not None else None
    ci = _column_index(cols, customer_col, "customer") if customer_col is not None else None
    if analyzer is None:
        from .analyzer import get_default_analyzer

        analyzer = get_default_analyzer()
    customers: dict[Any, dict[str, Any]] | None = None
    if ci is not None:  # a first pass: each customer's count and first rows in the whole file
        customers = {}
        ii = cols.index(id_col) if id_col else None
        pos = 0
        for rows, _errors in src.blocks(chunksize):
            ids = [str(coerce_text(r[ii])) for r in rows] if ii is not None else [str(pos + i + 1) for i in range(len(rows))]
            for k, v in _customer_index([r[ci] for r in rows], ids).items():
                info = customers.setdefault(k, {"count": 0, "rows": []})
                info["count"] += v["count"]
                info["rows"].extend(v["rows"][: 20 - len(info["rows"])])
            pos += len(rows)
    extra = list(RESULT_COLUMNS) + (THREAD_COLUMNS if hi is not None else []) + (CUSTOMER_COLUMNS if ci is not None else [])
    names = _result_names(cols, extra)
    columns = cols + [names[c] for c in extra]
    arrow_types: tuple[Any, ...] = ()
    arrow_schema = None
    if fmt == "parquet":
        arrow_types, arrow_schema = _arrow_schema(src, names, hi is not None, ci is not None)
    spec = _spec(fmt, cols, ti, names, hi, ci, guard=formula_guard, arrow_types=arrow_types, labels=labels)
    tmp = out.with_name(PARTIAL.format(name=out.name, pid=os.getpid()))
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        notes += clean_stale_partials(out)
        writer = Writer(tmp, fmt, columns, arrow_schema=arrow_schema)
    except OSError as exc:  # name OUTPUT, not the hidden partial file beside it
        raise OSError(exc.errno, f"cannot write {out}: {exc.strerror or exc}") from None
    fin = _Finisher(spec, writer, [names[c] for c in THREAD_COLUMNS] if hi is not None else (), getattr(analyzer, "customer_types", None))
    warm = getattr(analyzer, "warm_up", None)
    if warm is not None:  # build the tokenizer and converters now: the rate is for scoring
        warm()
    t0 = time.perf_counter()
    bar = _progress(progress, src)
    pool = ProcessPoolExecutor(max_workers=jobs, initializer=_init_worker, initargs=(analyzer, spec, customers, os.getpid())) if jobs > 1 else None
    ok = False

    def keys(rows: list[list[Any]]) -> list[Any] | None:
        return [r[hi] for r in rows] if hi is not None else None

    def done(block: Block, thread_keys: list[Any] | None) -> None:
        fin.finish(block, thread_keys)
        if bar is not None:
            bar.update(block.n)
        if fin.rows >= _FAILED_SHARE_MIN_ROWS:
            _check_failed(fin.internal, fin.rows, max_failed_share, fin.first_internal)

    try:
        if not empty:
            if pool is None:
                # blocks of at most 2,000 rows: the progress bar moves smoothly, memory stays low
                for rows, errors in src.blocks(min(chunksize, _BLOCK_ROWS)):
                    done(encode_block(analyzer, spec, rows, errors, customers), keys(rows))
            else:
                pending: deque[tuple[Future[Block], list[Any] | None]] = deque()
                for rows, errors in src.blocks(min(chunksize, _TASK_ROWS)):
                    pending.append((pool.submit(_work, rows, errors), keys(rows)))
                    while len(pending) > 2 * jobs:  # a few blocks per worker in flight, in order
                        fut, k = pending.popleft()
                        done(fut.result(), k)
                while pending:
                    fut, k = pending.popleft()
                    done(fut.result(), k)
        _check_failed(fin.internal, fin.rows, max_failed_share, fin.first_internal)
        try:
            writer.close()
            os.replace(tmp, out)
        except OSError as exc:
            raise OSError(exc.errno, f"cannot write {out}: {exc.strerror or exc}") from None
        fsync_path(out.parent, best_effort=True)  # the rename itself reaches the disk
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
        "errors": fin.errors,
        "read_errors": src.read_errors,
        "internal_errors": fin.internal,
        "seconds": round(secs, 3),
        "messages_per_second": round(writer.rows / secs, 1) if secs > 0 else None,
        "category": dict(fin.counts["category"].most_common()),
        "emotion": dict(fin.counts["emotion"].most_common()),
        "level": dict(fin.counts["level"].most_common()),
        "model": getattr(analyzer, "model_name", None),
        "jobs": jobs,
        "warnings": notes + src.warnings,
    }
    for note in summary["warnings"]:
        _log.warning(note)
    _log.info("scored %d rows of %s into %s in %.1f s (%d errors)", writer.rows, input_path, out, secs, fin.errors)
    if summary_path is not None:
        Path(summary_path).write_text(json.dumps(summary, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return summary


def _check_failed(internal: int, rows: int, share: float, first: str | None) -> None:
    if internal and internal > share * rows:
        raise ScoringError(
            f"{internal} of {rows} rows failed inside the analyser, not because of their input "
            f"(first: {first}); more than the allowed share {share:g} (--max-failed-share), so OUTPUT was not written"
        )


def _arrow_schema(src: Source, names: dict[str, str], thread: bool, customer: bool) -> tuple[tuple[Any, ...], Any]:
    """Parquet output: a Parquet input's own column types (text for every other input), then the
    typed result columns of :func:`complaint_nlp.schema.result_arrow_schema`."""
    import pyarrow as pa

    from .schema import result_arrow_schema

    if src.arrow_schema is not None:
        types = tuple(f.type for f in src.arrow_schema)
    else:
        types = tuple(pa.string() for _ in src.columns)
    fields = [pa.field(c, t) for c, t in zip(src.columns, types)]
    fields += [pa.field(names[f.name], f.type) for f in result_arrow_schema(thread, customer)]
    return types, pa.schema(fields)


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
