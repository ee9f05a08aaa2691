"""Reading message exports record by record.

:func:`open_source` reads CSV/TSV, Excel, JSON Lines, JSON and Parquet into chunks of rows with a
fixed column list decided before the first chunk. A malformed record (an extra field, an
unbalanced quote, a broken JSON line) becomes one row carrying a ``line N: …`` error instead of
failing the file; ids keep their text (CSV) or their JSON type (JSON Lines). The encoding of a
text file is decided from samples spread over the whole file, not from its first bytes, and
invalid bytes become U+FFFD, counted, never a reason to drop a row.
"""

from __future__ import annotations

import codecs
import json
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from itertools import islice
from typing import IO, Any, Callable, Iterator, Sequence

from .errors import InputError

__all__ = [
    "Chunk",
    "EncodingGuess",
    "Source",
    "SUPPORTED_INPUTS",
    "SUPPORTED_OUTPUTS",
    "decode_bytes",
    "detect_encoding",
    "file_format",
    "guess_encoding",
    "open_source",
    "read_chunks",
    "split_lines",
]

SUPPORTED_INPUTS = (".csv", ".tsv", ".txt", ".xlsx", ".xlsm", ".jsonl", ".ndjson", ".json", ".parquet")
SUPPORTED_OUTPUTS = (".csv", ".tsv", ".xlsx", ".jsonl", ".ndjson", ".parquet")

#: a quoted CSV field may run over at most this many physical lines / characters; past that the
#: opening quote is taken as a stray one, so an unbalanced quote never swallows the rest of a file
MAX_RECORD_LINES = 20_000
MAX_RECORD_CHARS = 32 << 20
#: Excel: the header is looked for in this many first rows
EXCEL_HEADER_PROBE = 50

# ================================================================ encodings
_CANDIDATES = ("utf-8", "gb18030", "big5")
_SAMPLE_HEAD = 256 << 10
_SAMPLE_SLICE = 32 << 10
_SAMPLE_SLICES = 8


@dataclass(frozen=True)
class EncodingGuess:
    """The encoding chosen for a text file and how sure the choice is (0–1)."""

    encoding: str
    confidence: float
    forced: bool = False


def _check_encoding(name: str) -> str:
    try:
        return codecs.lookup(name).name
    except LookupError:
        raise InputError(f"unknown encoding {name!r} (use a Python codec name such as utf-8, gb18030, big5, utf-16)") from None


def _samples(path: Path) -> list[bytes]:
    """The head of the file plus slices spread evenly over the rest, the tail included; every
    slice but the head starts after a line feed and ends at one, so no multi-byte character of
    GBK, Big5 or UTF-8 is cut (none of them uses byte 0x0A inside a character)."""
    size = path.stat().st_size
    with open(path, "rb") as f:
        head = f.read(_SAMPLE_HEAD)
        if size <= _SAMPLE_HEAD + _SAMPLE_SLICE * _SAMPLE_SLICES:
            return [head + f.read()]
        out = [head[: head.rfind(b"\n") + 1] or head]
        span = size - _SAMPLE_HEAD - _SAMPLE_SLICE
        for i in range(1, _SAMPLE_SLICES + 1):
            f.seek(_SAMPLE_HEAD + span * i // _SAMPLE_SLICES)
            raw = f.read(_SAMPLE_SLICE)
            a = raw.find(b"\n") + 1
            b = raw.rfind(b"\n") + 1 if i < _SAMPLE_SLICES else len(raw)
            if b > a:
                out.append(raw[a:b])
        return out


def _errors(data: bytes, enc: str) -> int:
    """Undecodable byte sequences in ``data`` under ``enc``, counted in one C-speed pass (a
    character cut at the end of the sample is not one)."""
    dec = codecs.getincrementaldecoder(enc)("complaint_nlp.replace")
    before = getattr(_counts, "n", 0)
    dec.decode(data, final=False)
    n = getattr(_counts, "n", 0) - before
    _counts.n = before
    return n


def guess_encoding(samples: Sequence[bytes]) -> EncodingGuess:
    """Choose UTF-8, GB18030 (GBK) or Big5 for byte ``samples`` of one file.

    A BOM decides at once. Otherwise every candidate that decodes the samples with (almost) no
    invalid byte stays in; UTF-8 wins if it is among them (GBK and Big5 text is almost never
    valid UTF-8); between GB18030 and Big5, which both accept most double-byte text,
    charset-normalizer decides from how coherent each decoding reads.
    """
    first = samples[0] if samples else b""
    if first.startswith(codecs.BOM_UTF8):
        return EncodingGuess("utf-8-sig", 1.0)
    if first.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return EncodingGuess("utf-16", 1.0)
    data = b"".join(samples)
    if not data:
        return EncodingGuess("utf-8", 1.0)
    if not any(_errors(s, "utf-8") for s in samples):
        return EncodingGuess("utf-8", 1.0)
    high = len(re.findall(rb"[\x80-\xff]", data[: 1 << 20])) or 1
    errs = {enc: sum(_errors(s, enc) for s in samples) for enc in _CANDIDATES}
    best = min(errs.values())
    ok = [enc for enc in _CANDIDATES if errs[enc] <= best + max(2, high // 1000)]
    if "utf-8" in ok:
        return EncodingGuess("utf-8", round(1.0 - min(1.0, errs["utf-8"] / high), 3))
    if len(ok) == 1:
        return EncodingGuess(ok[0], round(max(0.5, 1.0 - errs[ok[0]] * 20 / high), 3))
    # GB18030 and Big5 both accept most double-byte text: the right decoding reads as common
    # characters, the wrong one as rare ones
    share = {enc: _common_share(data[: 1 << 20], enc) for enc in ok}
    ranked = sorted(ok, key=lambda e: share[e], reverse=True)
    if share[ranked[0]] - share[ranked[1]] >= 0.1:
        return EncodingGuess(ranked[0], round(share[ranked[0]] / (share[ranked[0]] + share[ranked[1]]), 3))
    try:  # too close to call from characters (little text): charset-normalizer's coherence
        from charset_normalizer import from_bytes

        m = from_bytes(data[: 1 << 20], cp_isolation=[e.replace("-", "_") for e in ok]).best()
        if m is not None:
            enc = codecs.lookup(m.encoding).name
            if enc in ok:
                return EncodingGuess(enc, round(0.5 * max(0.0, 1.0 - float(m.chaos)), 3))
    except Exception:  # detection is best effort; fall through to the character share
        pass
    return EncodingGuess(ranked[0], 0.5)


_common: frozenset[str] | None = None


def _common_share(data: bytes, enc: str) -> float:
    """Share of the Chinese characters of ``data`` decoded as ``enc`` that are common ones."""
    global _common
    if _common is None:
        from ._data import data_file

        text = data_file("common_hanzi.txt").read_text(encoding="utf-8")
        _common = frozenset("".join(line for line in text.splitlines() if not line.startswith("#")))
    han = [c for c in data.decode(enc, errors="ignore") if "\u3400" <= c <= "\u9fff"]
    return sum(c in _common for c in han) / len(han) if han else 0.0


def detect_encoding(path: str | Path) -> str:
    """Encoding of a text file, decided from samples spread over the whole file."""
    return guess_encoding(_samples(Path(path))).encoding


def decode_bytes(data: bytes, encoding: str | None = None) -> str:
    """Decode bytes of unknown encoding; undecodable bytes become U+FFFD."""
    enc = encoding or guess_encoding([data[: 4 << 20]]).encoding
    return data.decode(enc, errors="replace")


# invalid bytes are replaced and counted per thread (one run reads in one thread)
_counts = threading.local()


def _count_replace(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    _counts.n = getattr(_counts, "n", 0) + 1
    return "\ufffd", exc.end


codecs.register_error("complaint_nlp.replace", _count_replace)


def split_lines(text: str) -> list[str]:
    """Lines ended by LF, CRLF or CR only (not U+2028, U+0085 or form feeds as ``str.splitlines``
    does); a final line ending does not start an empty line."""
    if not text:
        return []
    lines = re.split(r"\r\n|\r|\n", text)
    if lines and lines[-1] == "" and len(lines) > 1:
        lines.pop()
    return lines


# ================================================================ formats
def file_format(path: str | Path) -> str:
    """Normalised extension: csv, tsv, xlsx, jsonl, json or parquet."""
    suffix = Path(path).suffix.lower()
    return {".txt": "csv", ".xlsm": "xlsx", ".ndjson": "jsonl"}.get(suffix, suffix.lstrip("."))


def unique_names(names: Sequence[Any]) -> list[str]:
    """Header cells → column names: an empty cell is ``Unnamed: K`` (K its 0-based position), a
    repeated name gets ``.1``, ``.2``… (pandas' convention), so every column is addressable."""
    out: list[str] = []
    seen: set[str] = set()
    for i, raw in enumerate(names):
        name = "" if raw is None else str(raw)
        if not name.strip():
            name = f"Unnamed: {i}"
        base, k = name, 0
        while name in seen:
            k += 1
            name = f"{base}.{k}"
        seen.add(name)
        out.append(name)
    return out


@dataclass
class Chunk:
    """Rows of one chunk: ``frame`` (a DataFrame with the source's columns, every cell as read)
    and, per row, the ``error`` of a malformed record (None when it was read cleanly)."""

    frame: Any
    errors: list[str | None]


@dataclass
class Source:
    """An input file opened for reading: format, fixed columns, encoding, and its chunks.

    ``columns`` is decided before the first chunk and every chunk has exactly these columns.
    ``warnings`` collects one-line notes for the run summary (stray quotes read literally,
    invalid bytes); ``read_errors`` counts rows that carry a read error.
    """

    path: Path
    format: str
    columns: list[str]
    encoding: EncodingGuess | None
    arrow_schema: Any = None
    _records: Callable[[], Iterator[tuple[list[Any], str | None]]] | None = None
    total_rows: int | None = None  # known without reading (Parquet metadata, a loaded sheet)
    literal_quotes: list[int] = field(default_factory=list)
    read_errors: int = 0
    invalid_bytes: int = 0

    def blocks(self, size: int) -> Iterator[tuple[list[list[Any]], list[str | None]]]:
        """Blocks of at most ``size`` records, in file order: the cells of each row (one per
        column) and, per row, its read error or None."""
        assert self._records is not None
        self.read_errors, self.invalid_bytes, self.literal_quotes = 0, 0, []  # counted per pass
        records = self._records()
        while True:
            batch = list(islice(records, size))
            if not batch:
                return
            errors = [e for _, e in batch]
            self.read_errors += sum(e is not None for e in errors)
            yield [r for r, _ in batch], errors

    def chunks(self, chunksize: int) -> Iterator[Chunk]:
        """:meth:`blocks` as DataFrames (every column ``object``)."""
        import pandas as pd

        for rows, errors in self.blocks(chunksize):
            yield Chunk(pd.DataFrame(rows, columns=self.columns, dtype=object), errors)

    def estimated_rows(self) -> int | None:
        """Rows to expect, for a progress bar: exact for Parquet, Excel and JSON; for text files
        the line count less the header (a multi-line record makes it an over-estimate)."""
        if self.total_rows is not None:
            return self.total_rows
        if self.format in ("csv", "tsv", "jsonl"):
            n = 0
            with open(self.path, "rb") as f:
                for block in iter(lambda: f.read(1 << 22), b""):
                    n += block.count(b"\n")
            return max(0, n - (1 if self.format != "jsonl" else 0))
        return None

    @property
    def warnings(self) -> list[str]:
        out = []
        if self.literal_quotes:
            lines = ", ".join(str(n) for n in self.literal_quotes[:10])
            more = "…" if len(self.literal_quotes) > 10 else ""
            out.append(f"{len(self.literal_quotes)} record(s) with a stray quote were read with the quote as text (line {lines}{more})")
        if self.invalid_bytes:
            enc = self.encoding.encoding if self.encoding else "?"
            out.append(f"{self.invalid_bytes} invalid byte sequence(s) for {enc} became U+FFFD; if the text looks wrong, pass --encoding")
        return out


def open_source(
    path: str | Path,
    *,
    encoding: str | None = None,
    sheet: str | int | None = None,
    header_row: int | None = None,
    text_col: str | None = None,
) -> Source:
    """Open an export for record-level reading.

    Args:
        path: .csv/.txt (comma), .tsv (tab), .xlsx/.xlsm, .jsonl/.ndjson, .json (an array of
            objects) or .parquet.
        encoding: force a text encoding (Python codec name); default: detect.
        sheet, header_row: Excel sheet (name or 0-based index) and 0-based header row; by
            default the first sheet and the first of its first 50 rows holding ``text_col``.
        text_col: the message column, used to find an Excel header.

    Raises:
        FileNotFoundError: no such file. InputError: unsupported format or unknown encoding.
    """
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"input file not found: {p}")
    if p.is_dir():
        raise InputError(f"input {p} is a folder, not a file")
    fmt = file_format(p)
    forced = _check_encoding(encoding) if encoding else None
    if fmt in ("csv", "tsv", "jsonl", "json"):
        guess = EncodingGuess(forced, 1.0, True) if forced else guess_encoding(_samples(p))
        if fmt in ("csv", "tsv"):
            return _csv_source(p, fmt, guess)
        if fmt == "jsonl":
            return _jsonl_source(p, guess)
        return _json_source(p, guess)
    if fmt == "xlsx":
        return _excel_source(p, sheet, header_row, text_col)
    if fmt == "parquet":
        return _parquet_source(p)
    raise InputError(f"unsupported input format {p.suffix!r}; use one of {', '.join(SUPPORTED_INPUTS)}")


def _open_text(src: Source) -> IO[str]:
    assert src.encoding is not None
    # newline="": lines end at LF, CRLF or CR and keep their ending, so a quoted CR survives
    return open(src.path, encoding=src.encoding.encoding, errors="complaint_nlp.replace", newline="")


class _Counting:
    """Adds the invalid bytes decoded while iterating to ``src.invalid_bytes``."""

    def __init__(self, src: Source) -> None:
        self.src = src

    def __enter__(self) -> "_Counting":
        _counts.n = 0
        return self

    def __exit__(self, *exc: Any) -> None:
        self.src.invalid_bytes += getattr(_counts, "n", 0)
        _counts.n = 0


# ================================================================ CSV / TSV
class _Malformed(Exception):
    """The record that starts on the current line cannot be read with CSV quoting."""


def _strip_bom(fields: list[str]) -> None:
    if fields and fields[0].startswith("\ufeff"):
        fields[0] = fields[0].lstrip("\ufeff")


_ENDINGS = ("\r\n", "\n", "\r")


def _chomp(line: str) -> str:
    for e in _ENDINGS:
        if line.endswith(e):
            return line[: -len(e)]
    return line


class _CSVRecords:
    """Physical lines → CSV records (RFC 4180 quoting: a field that starts with a quote runs to
    the matching quote, doubled quotes inside it are one quote, and may span lines).

    Plain Python, not the ``csv`` module: the module's field-size limit is process-wide state
    (128 KB by default, below a 1 MB message) and it cannot hand back the lines of a record it
    could not read. Lines without a quote, nearly all of them, take a ``str.split`` fast path.
    """

    def __init__(self, lines: Iterator[str], sep: str) -> None:
        self._lines = lines
        self._back: list[tuple[int, str]] = []
        self._no = 0
        self.sep = sep

    def _next(self) -> tuple[int, str] | None:
        if self._back:
            return self._back.pop()
        line = next(self._lines, None)
        if line is None:
            return None
        self._no += 1
        return self._no, line

    def __iter__(self) -> Iterator[tuple[int, list[str] | None, str]]:
        """Yield ``(line number, fields, first physical line)``; ``fields`` is None for a
        record whose quoting is broken (the caller reads that one line literally)."""
        sep = self.sep
        while True:
            item = self._next()
            if item is None:
                return
            no, line = item
            if '"' not in line:
                body = _chomp(line)
                if not body:
                    continue  # an empty line is no record
                yield no, body.split(sep), line
                continue
            try:
                fields = self._quoted(line)
            except _Malformed:
                yield no, None, line
                continue
            yield no, fields, line

    def _quoted(self, first: str) -> list[str]:
        sep = self.sep
        taken: list[tuple[int, str]] = []
        buf = first
        end = len(_chomp(buf))
        fields: list[str] = []
        pos = 0
        try:
            while True:
                if buf.startswith('"', pos):
                    parts: list[str] = []
                    size = 0
                    i = pos + 1
                    while True:
                        j = buf.find('"', i)
                        if j < 0:  # the field goes on on the next line
                            parts.append(buf[i:])
                            size += len(buf) - i
                            nxt = self._next()
                            if nxt is None:
                                raise _Malformed("no closing quote before the end of the file")
                            taken.append(nxt)
                            if len(taken) > MAX_RECORD_LINES or size > MAX_RECORD_CHARS:
                                raise _Malformed("quoted field too long")
                            buf, i = nxt[1], 0
                            end = len(_chomp(buf))
                            continue
                        if buf.startswith('"', j + 1):  # a doubled quote
                            parts.append(buf[i : j + 1])
                            size += j + 1 - i
                            i = j + 2
                            continue
                        parts.append(buf[i:j])
                        pos = j + 1
                        break
                    fields.append("".join(parts))
                    if buf.startswith(sep, pos):
                        pos += len(sep)
                        continue
                    if pos >= end:
                        return fields
                    raise _Malformed("text after a closing quote")
                # an unquoted field: a quote inside it is text
                k = buf.find(sep, pos, end)
                if k >= 0:
                    fields.append(buf[pos:k])
                    pos = k + len(sep)
                    continue
                fields.append(buf[pos:end])
                return fields
        except _Malformed:
            self._back.extend(reversed(taken))  # read those lines again as records of their own
            raise


def _csv_source(p: Path, fmt: str, guess: EncodingGuess) -> Source:
    sep = "\t" if fmt == "tsv" else ","
    src = Source(p, fmt, [], guess)
    with _Counting(src), _open_text(src) as f:
        header: list[str] | None = None
        for _no, fields, line in _CSVRecords(iter(f), sep):
            header = fields if fields is not None else _chomp(line).split(sep)
            break
    if header is None:
        src.columns = []
    else:
        _strip_bom(header)
        src.columns = unique_names(header)
    width = len(src.columns)

    def records() -> Iterator[tuple[list[Any], str | None]]:
        with _Counting(src), _open_text(src) as f:
            records = iter(_CSVRecords(iter(f), sep))
            next(records, None)  # the header
            for no, fields, line in records:
                err = None
                if fields is None:
                    fields = _chomp(line).split(sep)  # the line with its quotes taken as text
                    if len(fields) == width:
                        src.literal_quotes.append(no)
                    else:
                        err = f"line {no}: unbalanced or misplaced quote; {len(fields)} fields where the header has {width}; not scored"
                elif len(fields) > width:
                    err = f"line {no}: {len(fields)} fields where the header has {width}; not scored"
                _strip_bom(fields)
                if len(fields) > width:
                    fields = fields[: width - 1] + [sep.join(fields[width - 1 :])] if width else []
                elif len(fields) < width:
                    fields = fields + [None] * (width - len(fields))
                yield [None if v == "" else v for v in fields], err

    src._records = records
    return src


# ================================================================ JSON Lines / JSON
def _id_from_broken(line: str, keys: Sequence[str]) -> dict[str, Any]:
    """Scalar ``"key": value`` pairs that can still be read from a broken JSON line (so an
    error row keeps its id)."""
    out: dict[str, Any] = {}
    for k in keys:
        m = re.search(r'"' + re.escape(k) + r'"\s*:\s*("(?:[^"\\\n]|\\.){0,200}"|-?\d{1,60}(?![\d.eE]))', line)
        if m:
            try:
                out[k] = json.loads(m.group(1))
            except ValueError:
                pass
    return out


def _jsonl_source(p: Path, guess: EncodingGuess) -> Source:
    src = Source(p, "jsonl", [], guess)
    cols: dict[str, None] = {}
    with _Counting(src), _open_text(src) as f:  # first pass: the union of keys, in order of appearance
        for line in f:
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except ValueError:
                continue
            if isinstance(rec, dict):
                for k in rec:
                    cols.setdefault(str(k), None)
    src.columns = list(cols)
    keys = src.columns

    def records() -> Iterator[tuple[list[Any], str | None]]:
        with _Counting(src), _open_text(src) as f:
            for no, line in enumerate(f, 1):  # JSON text holds no raw CR/LF: any ending ends a record
                if not line.strip():
                    continue
                err = None
                try:
                    rec = json.loads(line)
                    if not isinstance(rec, dict):
                        err = f"line {no}: a JSON {type(rec).__name__}, not an object; not scored"
                        rec = {}
                except ValueError as exc:
                    err = f"line {no}: invalid JSON ({exc}); not scored"
                    rec = _id_from_broken(line, keys)
                yield [rec.get(k) for k in keys], err

    src._records = records
    return src


def _json_source(p: Path, guess: EncodingGuess) -> Source:
    src = Source(p, "json", [], guess)
    with _Counting(src), _open_text(src) as f:
        try:
            data = json.load(f)
        except ValueError as exc:
            raise InputError(f"{p}: not valid JSON ({exc}); for one object per line use .jsonl") from None
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list):
        raise InputError(f"{p}: a JSON file must hold an array of objects")
    cols: dict[str, None] = {}
    for rec in data:
        if isinstance(rec, dict):
            for k in rec:
                cols.setdefault(str(k), None)
    src.columns = list(cols)
    src.total_rows = len(data)

    def records() -> Iterator[tuple[list[Any], str | None]]:
        for i, rec in enumerate(data, 1):
            if isinstance(rec, dict):
                yield [rec.get(k) for k in src.columns], None
            else:
                yield [None] * len(src.columns), f"item {i}: a JSON {type(rec).__name__}, not an object; not scored"

    src._records = records
    return src


# ================================================================ Excel
def _excel_rows(p: Path, sheet: str | int | None) -> list[tuple[Any, ...]]:
    from openpyxl import load_workbook

    wb = load_workbook(p, read_only=True, data_only=True)
    try:
        if sheet is None:
            ws = wb.worksheets[0]
        elif isinstance(sheet, int) or str(sheet).isdigit():
            idx = int(sheet)
            if idx >= len(wb.worksheets):
                raise InputError(f"{p}: no sheet {idx}; the workbook has {len(wb.worksheets)} ({', '.join(wb.sheetnames)})")
            ws = wb.worksheets[idx]
        else:
            if sheet not in wb.sheetnames:
                raise InputError(f"{p}: no sheet {sheet!r}; sheets are {wb.sheetnames}")
            ws = wb[sheet]
        return [tuple(r) for r in ws.iter_rows(values_only=True)]
    finally:
        wb.close()


def _excel_header(rows: Sequence[tuple[Any, ...]], text_col: str | None) -> int:
    """The first row holding a cell equal to ``text_col``; without one, the first row whose
    cells are mostly filled text (a title row or merged group header is skipped)."""
    probe = rows[:EXCEL_HEADER_PROBE]
    if text_col is not None:
        for i, row in enumerate(probe):
            if any(isinstance(v, str) and v.strip() == text_col.strip() for v in row):
                return i
    width = max((len(r) for r in probe), default=0)
    for i, row in enumerate(probe):
        filled = [v for v in row if isinstance(v, str) and v.strip()]
        if len(filled) >= max(1, (width + 1) // 2):
            return i
    return 0


def _excel_source(p: Path, sheet: str | int | None, header_row: int | None, text_col: str | None) -> Source:
    rows = _excel_rows(p, sheet)
    src = Source(p, "xlsx", [], None)
    if not rows:
        return _listed(src, [])
    hdr = header_row if header_row is not None else _excel_header(rows, text_col)
    if hdr >= len(rows):
        raise InputError(f"{p}: header row {hdr} is past the sheet's last row ({len(rows) - 1})")
    data = [r for r in rows[hdr + 1 :] if any(v is not None and not (isinstance(v, str) and not v.strip()) for v in r)]
    header = list(rows[hdr])
    width = max([len(header)] + [len(r) for r in data])
    # drop trailing columns with neither a name nor a value (formatting that widened the sheet)
    while width > 0 and (width > len(header) or header[width - 1] in (None, "")) and all(len(r) < width or r[width - 1] in (None, "") for r in data):
        width -= 1
    header = (header + [None] * width)[:width]
    src.columns = unique_names(header)
    table = [[_excel_cell(v) for v in (list(r) + [None] * width)[:width]] for r in data]
    return _listed(src, table)


def _excel_cell(v: Any) -> Any:
    if isinstance(v, float) and v.is_integer() and abs(v) < 2**53:
        return int(v)  # Excel keeps every number as a double: 1001.0 is the id 1001
    if isinstance(v, str) and v == "":
        return None
    return v


def _listed(src: Source, table: list[list[Any]]) -> Source:
    src.total_rows = len(table)
    src._records = lambda: ((row, None) for row in table)
    return src


# ================================================================ Parquet
def _parquet_source(p: Path) -> Source:
    try:
        import pyarrow.parquet as pq
    except ImportError as exc:  # pragma: no cover
        raise InputError("reading Parquet needs pyarrow: pip install 'complaint_nlp[parquet]'") from exc
    pf = pq.ParquetFile(p)
    schema = pf.schema_arrow
    src = Source(p, "parquet", unique_names(schema.names), None, arrow_schema=schema, total_rows=pf.metadata.num_rows)

    def records() -> Iterator[tuple[list[Any], str | None]]:
        for batch in pf.iter_batches(batch_size=10_000):
            cols = [col.to_pylist() for col in batch.columns]  # ints stay ints next to nulls
            for r in zip(*cols):
                yield list(r), None

    src._records = records
    return src


# ================================================================ compatibility
def read_chunks(
    path: str | Path,
    *,
    encoding: str | None = None,
    chunksize: int = 20000,
    sheet: str | int | None = None,
    header_row: int | None = None,
    text_col: str | None = None,
) -> Iterator[Any]:
    """Yield DataFrames of at most ``chunksize`` rows (cells as read, empty cells None).

    Strict: a malformed record raises :class:`InputError` naming its line (training data must
    be clean); batch scoring uses :func:`open_source`, which turns it into an error row.
    """
    src = open_source(path, encoding=encoding, sheet=sheet, header_row=header_row, text_col=text_col)
    for chunk in src.chunks(chunksize):
        bad = next((e for e in chunk.errors if e), None)
        if bad:
            raise InputError(f"{path}: {bad}")
        yield chunk.frame
