"""Reading message exports: encoding detection (UTF-8, UTF-8 with BOM, GBK/GB18030) and
chunked readers for CSV/TSV, Excel, JSON Lines and Parquet. Invalid bytes are replaced
(U+FFFD), never a reason to drop a row."""

from __future__ import annotations

import codecs
from pathlib import Path
from typing import Any, Iterator

from .errors import InputError

__all__ = ["decode_bytes", "detect_encoding", "read_chunks", "file_format", "SUPPORTED_INPUTS", "SUPPORTED_OUTPUTS"]

SUPPORTED_INPUTS = (".csv", ".tsv", ".txt", ".xlsx", ".xlsm", ".jsonl", ".ndjson", ".json", ".parquet")
SUPPORTED_OUTPUTS = (".csv", ".tsv", ".xlsx", ".jsonl", ".ndjson", ".parquet")


def _strict_ok(data: bytes, enc: str) -> bool:
    dec = codecs.getincrementaldecoder(enc)("strict")
    try:
        dec.decode(data, final=False)  # a multi-byte char cut at the sample's end is fine
        return True
    except UnicodeDecodeError:
        return False


def _guess(sample: bytes) -> str:
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if _strict_ok(sample, "utf-8"):
        return "utf-8"
    if _strict_ok(sample, "gb18030"):  # superset of GBK and GB2312
        return "gb18030"
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(sample).best()
        if best is not None:
            return str(best.encoding)
    except Exception:  # detection is best effort
        pass
    return "utf-8"


def decode_bytes(data: bytes, encoding: str | None = None) -> str:
    """Decode bytes of unknown encoding; undecodable bytes become U+FFFD."""
    enc = encoding or _guess(data[: 1 << 20])
    return data.decode(enc, errors="replace")


def detect_encoding(path: str | Path, sample_size: int = 1 << 20) -> str:
    """Encoding of a text file from its first ``sample_size`` bytes."""
    with open(path, "rb") as f:
        return _guess(f.read(sample_size))


def file_format(path: str | Path) -> str:
    """Normalised extension: csv, tsv, xlsx, jsonl, json or parquet."""
    suffix = Path(path).suffix.lower()
    return {".txt": "csv", ".xlsm": "xlsx", ".ndjson": "jsonl"}.get(suffix, suffix.lstrip("."))


def _excel_header_row(path: str | Path, sheet: Any, probe: int = 10) -> int:
    """First row that looks like a header: the first row whose cells are mostly filled strings.

    Exports often carry a title row or merged header rows above the real header."""
    import pandas as pd

    head = pd.read_excel(path, sheet_name=sheet, header=None, nrows=probe, dtype=object)
    if head.empty:
        return 0
    width = head.shape[1]
    for i, row in head.iterrows():
        filled = [v for v in row.tolist() if isinstance(v, str) and v.strip()]
        if len(filled) >= max(1, (width + 1) // 2) and len(set(filled)) == len(filled):
            return int(i)  # type: ignore[arg-type]
    return 0


def read_chunks(
    path: str | Path,
    *,
    encoding: str | None = None,
    chunksize: int = 20000,
    sheet: str | int | None = None,
    header_row: int | None = None,
) -> Iterator[Any]:
    """Yield pandas DataFrames of at most ``chunksize`` rows, every column as text (``object``).

    Cells stay as the file has them (no NaN-to-number guessing); empty cells are NaN.
    """
    import pandas as pd

    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"input file not found: {p}")
    fmt = file_format(p)
    if fmt in ("csv", "tsv"):
        enc = encoding or detect_encoding(p)
        sep = "\t" if fmt == "tsv" else ","
        yield from pd.read_csv(
            p,
            sep=sep,
            encoding=enc,
            encoding_errors="replace",
            dtype=str,
            keep_default_na=False,
            na_values=[""],
            chunksize=chunksize,
            engine="c",
            on_bad_lines="error",
        )
    elif fmt == "xlsx":
        sh: Any = 0 if sheet is None else (int(sheet) if str(sheet).isdigit() else sheet)
        hdr = header_row if header_row is not None else _excel_header_row(p, sh)
        df = pd.read_excel(p, sheet_name=sh, header=hdr, dtype=object)
        df.columns = [str(c) for c in df.columns]
        for start in range(0, max(len(df), 1), chunksize):
            part = df.iloc[start : start + chunksize]
            if len(part) or start == 0:
                yield part
    elif fmt == "jsonl":
        enc = encoding or detect_encoding(p)
        yield from pd.read_json(p, lines=True, dtype=False, chunksize=chunksize, encoding=enc, encoding_errors="replace")
    elif fmt == "json":
        enc = encoding or detect_encoding(p)
        with open(p, encoding=enc, errors="replace") as f:
            df = pd.read_json(f, dtype=False)
        for start in range(0, max(len(df), 1), chunksize):
            yield df.iloc[start : start + chunksize]
    elif fmt == "parquet":
        try:
            import pyarrow.parquet as pq
        except ImportError as exc:  # pragma: no cover
            raise RuntimeError("reading Parquet needs pyarrow: pip install 'complaint_nlp[parquet]'") from exc
        pf = pq.ParquetFile(p)
        for batch in pf.iter_batches(batch_size=chunksize):
            yield batch.to_pandas()
    else:
        raise InputError(f"unsupported input format {p.suffix!r}; use one of {', '.join(SUPPORTED_INPUTS)}")
