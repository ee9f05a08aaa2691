"""Torture suite for batch scoring (`complaint-nlp score`): crafted input files, one per case.

Every input is built in ``tmp_path`` at test time and scored in-process (``cli.main``, rules
only). Each case checks: output rows == input records (counted from how the file was built),
ids in order and unchanged, the documented exit code, and the stderr shape (success: first
non-warning line ``scored ...``, warnings one line each ``complaint-nlp: warning: ...``;
failure: exactly one line ``complaint-nlp: error: ...``). Outputs are read back with csv /
json / openpyxl / pyarrow, never with the package. No ``.NAME.partial-*`` file may remain.

Table cases (``test_case``; CSV output unless noted):
  csv_basic                      plain UTF-8 CSV, 5 rows; BOM on the output, column order kept
  csv_column_order               input columns in a non-alphabetical order, id not first
  csv_line_endings_mixed         LF, CRLF and bare CR in one file, no final newline
  csv_only_cr                    old-Mac file: every record ends with a bare CR
  csv_quoted_specials            quoted LF, CR, CRLF, comma, tab, doubled quotes, lone quote, trailing CR
  csv_quoted_header              quoted header names and a quoted id holding a comma ("1,5")
  csv_nul_bytes                  NUL bytes inside fields: kept, row scored
  csv_bom_start                  UTF-8 BOM at the start: header name is "id", not "\\ufeffid"
  csv_bom_middle                 a BOM before a data record mid-file (concatenated exports)
  csv_concat_exports             two BOM exports concatenated: the 2nd header is a data row "id"
  csv_ids_as_text                ids 007, 1001, -5, +8613800000000, 1e5, NA, null, nan, " 12 " kept as text
  csv_dup_columns                header id,text,text,text -> text, text.1, text.2; first one scored
  csv_unnamed_columns            empty header cells -> "Unnamed: 1", "Unnamed: 3"
  csv_too_few_fields             records shorter than the header: missing cells empty, scored
  csv_extra_field                a record with extra fields: error "line 3:", rest joined into last column
  csv_extra_field_three_cols     extra fields with a 3-column header: last column gets "x,y,z"
  csv_extra_field_line_number    "line N" counts physical lines after quoted multi-line fields and CR records
  csv_unbalanced_quote_then_50   `2,"abc` (never closed) then 50 good rows: 52 rows, literal `"abc`, warning
  csv_unbalanced_quote_error     `2,"abc,def` (literal split has 3 fields): error row "line 3:", rest normal
  csv_quote_then_chars           `2,"abc"def`: literal text `"abc"def`, scored, warning
  csv_unbalanced_then_quoted     stray quote followed by plain rows and then properly quoted rows
  csv_unbalanced_last_line       unclosed quote on the last line, no final newline
  tsv_quote_field_start          TSV (TSV output): `"好"的服务` and `"引号开头` read literally
  tsv_mixed_endings              TSV with CRLF / CR / LF and commas inside fields
  txt_is_comma                   .txt input read as comma-separated
  csv_unicode_passthrough        emoji (ZWJ), HTML, full-width digits, Traditional, ZW chars, RLO unchanged
  csv_whitespace_cells           leading/trailing spaces in ids and texts kept, all-space text
  csv_column_clash               input columns "level", "error", "signals": kept; ours get "_cnlp"
  csv_many_chunks                100 rows, --chunksize 3
  csv_chunk_borders              2000 rows, --chunksize 7, mixed endings, multi-line fields, extra-field rows
  csv_gb18030                    GB18030 with a 4-byte char (𠮷) and €; summary encoding gb18030
  csv_gbk_after_1mb_ascii        GBK file whose first 1.1 MB is ASCII: Chinese rows decoded right
  csv_utf8_after_1mb_ascii       UTF-8 file whose first 1.1 MB is ASCII: detected utf-8
  csv_big5_traditional           Big5 Traditional Chinese rows: exact text, encoding big5
  csv_utf16_le_bom               UTF-16 LE with BOM, CRLF, emoji (surrogate pairs)
  csv_utf16_be_bom               UTF-16 BE with BOM
  csv_utf8_bom_encoding          UTF-8 with BOM: summary encoding utf-8 / utf-8-sig
  csv_invalid_utf8_bytes         stray 0xFF 0xFE in a UTF-8 file: U+FFFD, row kept, other rows exact
  csv_invalid_gbk_bytes          stray 0xFF in a GBK file: U+FFFD, row kept, other rows exact
  csv_forced_gbk                 --encoding gbk: text right, summary encoding gbk
  csv_1mb_cell                   one 1 MB cell kept whole in CSV output
  jsonl_basic                    JSONL -> JSONL, int ids stay ints
  jsonl_blank_lines              blank / whitespace-only / CRLF-blank lines are not records
  jsonl_broken_line              invalid JSON line: error "line 3:" mentioning JSON, id 3 kept
  jsonl_broken_string_id         invalid JSON line (trailing comma) with "id": "A-7": id kept
  jsonl_non_object               [1,2], "x", 42, null lines: one error row each, "line N:"
  jsonl_union_keys               keys added in later records: union of columns, missing cells empty
  jsonl_crlf                     JSONL with CRLF line endings
  jsonl_bom                      JSONL starting with a UTF-8 BOM
  jsonl_u2028_nel                raw U+2028, U+2029, U+0085 inside strings do not split records
  ndjson_ext                     .ndjson in, .ndjson out
  jsonl_text_types               text values 12315, null, true, "正常": one row each
  jsonl_string_ids               string ids "007", "1e5", "-5" stay strings in JSONL output
  jsonl_empty_object             a `{}` record is one row with an empty id
  jsonl_many_chunks              50 records, --chunksize 3, a key first seen at record 40
  xlsx_title_merged_header       title row + merged group header above the header; int ids; "text" data cell
  xlsx_header_row_20             header on row 20 below notes and blank rows
  xlsx_dup_unnamed               Excel header with a duplicate and an empty cell
  xlsx_text_ids                  Excel text ids "007" and int ids side by side
  parquet_int64_null_id          parquet int64 id with a null -> CSV "1001", "", "1002"

Special tests:
  test_case_count                the table holds at least 45 cases
  test_empty_file                0-byte .csv/.tsv/.txt: exit 0, zero rows, exactly one warning
  test_jsonl_only_blank_lines    JSONL of blank lines only: exit 0, zero rows
  test_header_only               header only (plain, BOM, no EOL, CRLF, TSV): 0 rows, header = input + result
  test_1mb_cell_other_outputs    1 MB cell whole in JSONL and parquet; xlsx cut to 32,767 chars ending "…"
  test_jsonl_key_order_chunks    keys reordered/added across --chunksize 2 chunks -> CSV, xlsx, parquet
  test_jsonl_null_ids_keep_ints  ints with null / missing ids: 1001 stays int in JSONL, digits in CSV
  test_jsonl_id_above_2_64       id 123456789012345678901234567890 exact in JSONL and CSV output
  test_parquet_types_kept        parquet int64 (with null) / float64 / string types kept in parquet output
  test_parquet_all_null_first_chunk  column all-null in chunk 1 (and error column) -> parquet, --chunksize 2
  test_formula_guard             CSV/TSV output: =, +, -, @, tab, CR cells get "'", plain numbers do not
  test_formula_no_guard          --no-formula-guard writes cells raw
  test_formula_xlsx              xlsx output: formula-looking cells are plain text cells, exact value
  test_xlsx_control_chars        U+0000-U+001F (XML-illegal) -> U+FFFD in xlsx, \\t \\n kept
  test_failure                   missing text/id column, missing input, output == input (two spellings),
                                 .doc output, .docx input, input is a directory, output parent is a file,
                                 --encoding nosuch, --max-chars 0, --chunksize 0/-3, missing --text-col / -o,
                                 xlsx without header, JSONL without text key; each with and without an
                                 existing OUTPUT (left byte-for-byte untouched, never created)
  test_stale_partial_removed     `.out.csv.partial-999999` of a dead run removed, with a warning
  test_analyze_lines_stdin       analyze --lines: one JSON line per input line (blank included), U+2028 kept
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Callable

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from complaint_nlp.cli import main

csv.field_size_limit(sys.maxsize)

RESULT_COLUMNS = [
    "category", "category2", "category_scores", "category_evidence", "emotion", "emotion_scores",
    "intensity", "signals", "traits", "professional_complainant", "level", "response_minutes",
    "responder", "level_reasons", "truncated", "error", "demands", "customer_type", "customer_type_scores",
    "customer_type_evidence", "scenario", "playbook",
]  # fmt: skip
WARN = "complaint-nlp: warning:"
ERR = "complaint-nlp: error:"
BOM = codecs.BOM_UTF8


class _Any:
    def __repr__(self) -> str:
        return "ANY"


ANY = _Any()  # "don't check this cell"


# ======================================================================== helpers
def run_score(capsys, src, out, *extra, text_col="text", id_col="id"):
    """Run ``complaint-nlp score`` in-process; return ``(rc, stderr_lines)`` (non-empty lines)."""
    argv = ["score", str(src)]
    if out is not None:
        argv += ["-o", str(out)]
    if text_col is not None:
        argv += ["--text-col", text_col]
    if id_col is not None:
        argv += ["--id-col", id_col]
    argv += ["--no-model", "--no-progress", *map(str, extra)]
    try:
        rc = main(argv)
    except SystemExit as exc:  # argparse usage errors
        rc = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    err = capsys.readouterr().err
    lines = [ln for ln in err.replace("\r\n", "\n").split("\n") if ln.strip()]
    if out is not None and Path(out).parent.is_dir():
        left = sorted(p.name for p in Path(out).parent.glob(".*.partial-*"))
        assert not left, f"hidden partial files left behind: {left}"
    return rc, lines


def assert_ok(rc, lines):
    """Exit 0; first non-warning line is the summary; returns the warning lines."""
    assert rc == 0, lines
    assert not any(ln.startswith(("complaint-nlp: error", "Traceback")) for ln in lines), lines
    rest = [ln for ln in lines if not ln.startswith(WARN)]
    assert rest and rest[0].startswith("scored "), lines
    return [ln for ln in lines if ln.startswith(WARN)]


def assert_failed(rc, lines, expected):
    allowed = expected if isinstance(expected, tuple) else (expected,)
    assert rc in allowed, (rc, lines)
    assert len(lines) == 1, lines
    assert lines[0].startswith(ERR), lines


def read_output(path):
    """The output file as a list of dicts (column -> value), read with plain libraries."""
    path = Path(path)
    ext = path.suffix.lower()
    if ext in (".csv", ".tsv"):
        with open(path, encoding="utf-8-sig", newline="") as f:
            table = list(csv.reader(f, delimiter="\t" if ext == ".tsv" else ","))
        if not table:
            return []
        header = table[0]
        assert len(set(header)) == len(header), f"duplicate output column names: {header}"
        for i, r in enumerate(table[1:], 2):
            assert len(r) == len(header), f"output record {i} has {len(r)} fields, header {len(header)}"
        return [dict(zip(header, r)) for r in table[1:]]
    if ext in (".jsonl", ".ndjson"):
        text = path.read_text(encoding="utf-8")
        return [json.loads(ln) for ln in text.split("\n") if ln.strip()]
    if ext == ".xlsx":
        ws = openpyxl.load_workbook(path).worksheets[0]
        table = [list(r) for r in ws.iter_rows(values_only=True)]
        if not table:
            return []
        header = table[0]
        return [dict(zip(header, r)) for r in table[1:]]
    if ext == ".parquet":
        return pq.read_table(path).to_pylist()
    raise AssertionError(f"no reader for {path}")


def output_columns(path):
    path = Path(path)
    ext = path.suffix.lower()
    if ext in (".csv", ".tsv"):
        with open(path, encoding="utf-8-sig", newline="") as f:
            return next(csv.reader(f, delimiter="\t" if ext == ".tsv" else ","), [])
    if ext in (".jsonl", ".ndjson"):
        rows = read_output(path)
        return list(rows[0]) if rows else []
    if ext == ".xlsx":
        ws = openpyxl.load_workbook(path).worksheets[0]
        return [c for c in next(ws.iter_rows(values_only=True), ())]
    if ext == ".parquet":
        return pq.read_schema(path).names
    raise AssertionError(path)


def cell(v):
    """An output cell as text: None -> "", ints as digits (1001.0 stays "1001.0" and fails)."""
    return "" if v is None else str(v)


def result_names(input_cols):
    return [f"{c}_cnlp" if c in input_cols else c for c in RESULT_COLUMNS]


def short(s, n=80):
    r = repr(s)
    return r if len(r) <= n else f"{r[:n]}… (len {len(s)}, sha1 {hashlib.sha1(str(s).encode('utf-8', 'surrogatepass')).hexdigest()[:10]})"


def assert_cells(got, expected, what):
    """Element-wise compare without pytest's full diff (cells can be 1 MB)."""
    assert len(got) == len(expected), f"{what}: {len(got)} values, expected {len(expected)}"
    for i, (g, e) in enumerate(zip(got, expected)):
        if e is ANY:
            continue
        if g != e:
            pytest.fail(f"{what} row {i}: got {short(g)}, expected {short(e)}")


def csv_bytes(header, rows, *, sep=",", eol="\n", encoding="utf-8", bom=False):
    """A CSV/TSV file; fields holding sep, quote, CR or LF are quoted."""

    def q(v):
        v = str(v)
        if any(c in v for c in (sep, '"', "\r", "\n")):
            return '"' + v.replace('"', '""') + '"'
        return v

    text = "".join(sep.join(q(v) for v in r) + eol for r in [header, *rows])
    data = text.encode(encoding)
    return BOM + data if bom else data


def jsonl_bytes(records, eol="\n"):
    return "".join(json.dumps(r, ensure_ascii=False) + eol for r in records).encode("utf-8")


def xlsx_bytes(rows, merges=()):
    """Workbook from a list of rows (None = empty cell, [] = empty row)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    for i, r in enumerate(rows, 1):
        for j, v in enumerate(r, 1):
            if v is not None:
                ws.cell(row=i, column=j, value=v)
    for m in merges:
        ws.merge_cells(m)
    bio = io.BytesIO()
    wb.save(bio)
    return bio.getvalue()


def parquet_bytes(table):
    bio = io.BytesIO()
    pq.write_table(table, bio)
    return bio.getvalue()


def load_summary(path):
    p = Path(path)
    return json.loads(p.read_text(encoding="utf-8")) if p.exists() else None


# ======================================================================== the table
@dataclass
class Expect:
    data: bytes
    ids: list[str]  # expected id cells as text, in order (one per input record)
    texts: list[Any] | None = None  # expected text cells (ANY = unchecked)
    errors: list[Any] | None = None  # None: scored, no error; "line N:": error prefix; ANY
    columns: list[str] | None = None  # input columns as they must appear in the output, in order
    checks: tuple[Callable[[SimpleNamespace], None], ...] = ()


@dataclass
class Case:
    name: str
    filename: str
    build: Callable[[], Expect]
    args: tuple = ()
    out: str = "out.csv"
    warn: bool | None = None  # True: a warning line is required; False: none allowed
    text_col: str = "text"


CASES: list[Case] = []


def case(filename, *, args=(), out="out.csv", warn=None, text_col="text"):
    def deco(fn):
        CASES.append(Case(fn.__name__.removeprefix("case_"), filename, fn, tuple(args), out, warn, text_col))
        return fn

    return deco


def col_is(name, values):
    def check(ctx):
        assert_cells([cell(r.get(name)) for r in ctx.rows], values, f"column {name!r}")

    return check


def encoding_is(*names):
    def check(ctx):
        s = ctx.summary
        assert s is not None, "no --summary JSON written"
        assert "encoding" in s and "encoding_confidence" in s, sorted(s)
        want = {codecs.lookup(n).name for n in names}
        assert codecs.lookup(s["encoding"]).name in want, s["encoding"]
        assert 0 <= float(s["encoding_confidence"]) <= 1
        assert s["encoding"] in "\n".join(ctx.lines), "stderr summary does not name the encoding"

    return check


def ids_n(n, start=1):
    return [str(i) for i in range(start, start + n)]


# ---------------------------------------------------------------- CSV / TSV structure
@case("in.csv")
def case_csv_basic():
    texts = ["我要投诉你们", "请问几点开门", "再不退款我就打12315投诉！", "修了3次还没好", "谢谢"]
    rows = [(i, t, ch) for i, t, ch in zip(ids_n(5), texts, ["app", "web", "tel", "app", "web"])]

    def raw(ctx):
        assert ctx.out.read_bytes().startswith(BOM), "CSV output must start with a UTF-8 BOM"
        assert ctx.rows[2]["level"] == "urgent"

    return Expect(csv_bytes(["id", "text", "channel"], rows), ids_n(5), texts, [None] * 5, ["id", "text", "channel"], (col_is("channel", ["app", "web", "tel", "app", "web"]), raw))


@case("in.csv")
def case_csv_column_order():
    rows = [("一", "z1", "3", "a1"), ("二", "z2", "1", "a2"), ("三", "z3", "2", "a3")]
    return Expect(csv_bytes(["text", "z", "id", "a"], rows), ["3", "1", "2"], ["一", "二", "三"], [None] * 3, ["text", "z", "id", "a"], (col_is("a", ["a1", "a2", "a3"]),))


@case("in.csv")
def case_csv_line_endings_mixed():
    data = "id,text\n1,一\r\n2,二\r3,三\n4,四\r\n5,五".encode()
    return Expect(data, ids_n(5), ["一", "二", "三", "四", "五"], [None] * 5, ["id", "text"])


@case("in.csv")
def case_csv_only_cr():
    data = "id,text\r1,一\r2,二\r3,三\r".encode()
    return Expect(data, ids_n(3), ["一", "二", "三"], [None] * 3, ["id", "text"])


@case("in.csv")
def case_csv_quoted_specials():
    texts = ["多行\n第二行", "回车\r分隔", "窗口\r\n换行", "逗号,在里面", "制表\t在里面", '他说"退款"了', '"', "结尾回车\r", "结尾换行\n", '"开头引号', "a\r\n\r\nb"]
    rows = [(str(i), t) for i, t in enumerate(texts, 1)]
    return Expect(csv_bytes(["id", "text"], rows, eol="\r\n"), ids_n(len(texts)), texts, [None] * len(texts))


@case("in.csv")
def case_csv_quoted_header():
    data = '"id","text"\n"1,5","好"\n"2","x"\n3,"三"\n'.encode()
    return Expect(data, ["1,5", "2", "3"], ["好", "x", "三"], [None] * 3, ["id", "text"])


@case("in.csv")
def case_csv_nul_bytes():
    data = "id,text,note\n1,ab\x00cd,n\x00\n2,\x00开头,\n3,正常,x\n".encode()
    return Expect(data, ids_n(3), ["ab\x00cd", "\x00开头", "正常"], [None] * 3, ["id", "text", "note"], (col_is("note", ["n\x00", "", "x"]),))


@case("in.csv")
def case_csv_bom_start():
    data = BOM + "id,text\n1,一\n2,二\n".encode()
    return Expect(data, ids_n(2), ["一", "二"], [None] * 2, ["id", "text"])


@case("in.csv")
def case_csv_bom_middle():
    data = BOM + "id,text\n1,一\n2,二\n".encode() + BOM + "3,三\r\n4,四\n".encode()
    return Expect(data, ids_n(4), ["一", "二", "三", "四"], [None] * 4, ["id", "text"])


@case("in.csv")
def case_csv_concat_exports():
    data = BOM + "id,text\n1,一\n2,二\n".encode() + BOM + "id,text\n3,三\n".encode()
    return Expect(data, ["1", "2", "id", "3"], ["一", "二", "text", "三"], [None, None, ANY, None], ["id", "text"])


@case("in.csv")
def case_csv_ids_as_text():
    ids = ["007", "1001", "-5", "+8613800000000", "1e5", "1.50", "NA", "null", "nan", "None", " 12 ", "0x1F", "TRUE", "00"]
    rows = [(i, f"内容{n}") for n, i in enumerate(ids)]
    return Expect(csv_bytes(["id", "text"], rows), ids, [f"内容{n}" for n in range(len(ids))], [None] * len(ids))


@case("in.csv")
def case_csv_dup_columns():
    rows = [("1", "甲", "乙", "丙"), ("2", "丁", "戊", "己")]
    return Expect(csv_bytes(["id", "text", "text", "text"], rows), ids_n(2), ["甲", "丁"], [None] * 2, ["id", "text", "text.1", "text.2"], (col_is("text.1", ["乙", "戊"]), col_is("text.2", ["丙", "己"])))


@case("in.csv")
def case_csv_unnamed_columns():
    data = "id,,text,\n1,a,一,b\n2,c,二,d\n".encode()
    return Expect(data, ids_n(2), ["一", "二"], [None] * 2, ["id", "Unnamed: 1", "text", "Unnamed: 3"], (col_is("Unnamed: 1", ["a", "c"]), col_is("Unnamed: 3", ["b", "d"])))


@case("in.csv")
def case_csv_too_few_fields():
    data = "id,text,extra\n1,一,x\n2,二\n3,三,\n4,四,y\n".encode()
    return Expect(data, ids_n(4), ["一", "二", "三", "四"], [None] * 4, ["id", "text", "extra"], (col_is("extra", ["x", "", "", "y"]),))


@case("in.csv")
def case_csv_extra_field():
    data = "id,text\n1,一\n2,a,b,c\n3,三\n".encode()
    return Expect(data, ids_n(3), ["一", "a,b,c", "三"], [None, "line 3:", None], ["id", "text"])


@case("in.csv")
def case_csv_extra_field_three_cols():
    data = "id,text,extra\n1,一,x\n2,t,x,y,z\n3,三,w\n".encode()
    return Expect(data, ids_n(3), ["一", "t", "三"], [None, "line 3:", None], ["id", "text", "extra"], (col_is("extra", ["x", "x,y,z", "w"]),))


@case("in.csv")
def case_csv_extra_field_line_number():
    # line 1 header; 2-3 quoted LF; 4 CR-terminated; 5 extra; 6-7 quoted CRLF; 8 extra
    data = 'id,text\n1,"多\n行"\r\n2,b\r3,x,y\n4,"a\r\nb"\n5,p,q,r\n'.encode()
    return Expect(data, ids_n(5), ["多\n行", "b", "x,y", "a\r\nb", "p,q,r"], [None, None, "line 5:", None, "line 8:"])


@case("in.csv", warn=True)
def case_csv_unbalanced_quote_then_50():
    data = ('id,text\n1,好\n2,"abc\n' + "".join(f"{i},第{i}条\n" for i in range(3, 53))).encode()
    return Expect(data, ids_n(52), ["好", '"abc'] + [f"第{i}条" for i in range(3, 53)], [None] * 52)


@case("in.csv")
def case_csv_unbalanced_quote_error():
    data = 'id,text\n1,好\n2,"abc,def\n3,三\n4,四\n'.encode()
    return Expect(data, ids_n(4), ["好", ANY, "三", "四"], [None, "line 3:", None, None])


@case("in.csv", warn=True)
def case_csv_quote_then_chars():
    data = 'id,text\n1,好\n2,"abc"def\n3,三\n'.encode()
    return Expect(data, ids_n(3), ["好", '"abc"def', "三"], [None] * 3)


@case("in.csv", warn=True)
def case_csv_unbalanced_then_quoted():
    body = 'id,text\n1,好\n2,"stray\n' + "".join(f"{i},第{i}条\n" for i in range(3, 21)) + '21,"引号,逗号"\n22,"多\n行"\n23,尾\n'
    texts = ["好", '"stray'] + [f"第{i}条" for i in range(3, 21)] + ["引号,逗号", "多\n行", "尾"]
    return Expect(body.encode(), ids_n(23), texts, [None] * 23)


@case("in.csv", warn=True)
def case_csv_unbalanced_last_line():
    return Expect('id,text\n1,好\n2,"abc'.encode(), ids_n(2), ["好", '"abc'], [None] * 2)


@case("in.tsv", out="out.tsv")
def case_tsv_quote_field_start():
    data = 'id\ttext\tx\n1\t"好"的服务\ta\n2\t"引号开头\tb\n3\t正常,逗号\tc\n'.encode()
    return Expect(data, ids_n(3), ['"好"的服务', '"引号开头', "正常,逗号"], [None] * 3, ["id", "text", "x"], (col_is("x", ["a", "b", "c"]),))


@case("in.tsv")
def case_tsv_mixed_endings():
    data = "id\ttext\r\n1\t一,二\r2\t三\n3\t四;五\r\n".encode()
    return Expect(data, ids_n(3), ["一,二", "三", "四;五"], [None] * 3, ["id", "text"])


@case("in.txt")
def case_txt_is_comma():
    data = "id,text\n1,一\n2,二\n".encode()
    return Expect(data, ids_n(2), ["一", "二"], [None] * 2, ["id", "text"])


@case("in.csv")
def case_csv_unicode_passthrough():
    texts = [
        "😡😡退款！👎",
        "<b>太坑了</b>&nbsp;<script>alert(1)</script>",
        "１２３１５投诉，ＡＢＣ",
        "車子剎車失靈，差點出事",
        "👨\u200d👩\u200d👧 家庭套餐",
        "e\u0301 combining",
        "\u200b零宽\u200d字符\ufeff中间",
        "\u202e反向文字",
        "𠮷野家",
    ]
    rows = [(str(i), t) for i, t in enumerate(texts, 1)]
    return Expect(csv_bytes(["id", "text"], rows), ids_n(len(texts)), texts, [None] * len(texts))


@case("in.csv")
def case_csv_whitespace_cells():
    rows = [("1", "  前后空格  "), (" 2", "   "), ("3 ", "中\t间")]
    return Expect(csv_bytes(["id", "text"], rows), ["1", " 2", "3 "], ["  前后空格  ", "   ", "中\t间"], [None, ANY, None])


@case("in.csv")
def case_csv_column_clash():
    data = "id,text,level,error,signals\n1,再不退款我就打12315投诉！,vip,none,x\n2,谢谢,normal,,y\n".encode()
    cols = ["id", "text", "level", "error", "signals"]

    def check(ctx):
        for c in ("level_cnlp", "error_cnlp", "signals_cnlp"):
            assert c in ctx.cols
        assert ctx.rows[0]["level_cnlp"] == "urgent"

    return Expect(data, ids_n(2), None, [None, None], cols, (col_is("level", ["vip", "normal"]), col_is("error", ["none", ""]), col_is("signals", ["x", "y"]), check))


@case("in.csv", args=("--chunksize", "3"))
def case_csv_many_chunks():
    rows = [(str(i), f"第{i}条投诉") for i in range(1, 101)]
    return Expect(csv_bytes(["id", "text"], rows), ids_n(100), [r[1] for r in rows], [None] * 100)


@case("in.csv", args=("--chunksize", "7"))
def case_csv_chunk_borders():
    eols = ["\n", "\r\n", "\r"]
    parts, texts, errors, extra = ["id,text,extra\n"], [], [], []
    line = 2
    for i in range(1, 2001):
        eol = eols[i % 3]
        breaks = 0
        if i % 97 == 0:  # one field too many: error row, rest in the last column
            rec, t, e, x = f"{i},文{i},x,y", f"文{i}", f"line {line}:", "x,y"
        elif i % 13 == 0:  # quoted multi-line field
            t = f"第{i}条\n续行" if i % 2 else f"第{i}条\r\n续行"
            rec, e, x, breaks = f'{i},"{t}",q', None, "q", 1
        elif i % 11 == 0:  # one field short
            rec, t, e, x = f"{i},第{i}条", f"第{i}条", None, ""
        else:
            rec, t, e, x = f"{i},第{i}条,", f"第{i}条", None, ""
        parts.append(rec + eol)
        texts.append(t)
        errors.append(e)
        extra.append(x)
        line += breaks + 1
    return Expect("".join(parts).encode(), ids_n(2000), texts, errors, ["id", "text", "extra"], (col_is("extra", extra),))


# ---------------------------------------------------------------- encodings
GB_TEXTS = ["我要投诉你们的服务", "𠮷野家的饭太难吃了", "退款一直没到账，再不处理就打12315", "价格€100还不给发票", "谢谢，问题解决了"]
GBK_TEXTS = ["我要投诉你们的服务", "退款一直没到账，再不处理就打12315", "修了三次还没好，我要找消协", "客服态度太差了", "谢谢，问题解决了"]
BIG5_TEXTS = ["車子剎車失靈，客服態度很差，我要投訴到消保官", "維修三次還沒修好，請給個說法", "退貨退款一直沒有處理，再拖我就找媒體曝光", "電話打不通，線上客服也不回覆", "謝謝你們的幫忙，問題已經解決了"]
UTF8_TEXTS = ["我要投诉你们的服务", "服务太差了，必须赔偿", "修了三次还没好", "客服电话一直打不通", "退款到现在还没有到账", "我要找消协", "说好的七天无理由退货", "谢谢", "快递丢件了", "再不处理就曝光"]


@case("in.csv")
def case_csv_gb18030():
    rows = [(str(i), t) for i, t in enumerate(GB_TEXTS, 1)]
    return Expect(csv_bytes(["id", "text"], rows, encoding="gb18030"), ids_n(5), GB_TEXTS, [None] * 5, ["id", "text"], (encoding_is("gb18030"),))


@case("in.csv")
def case_csv_gbk_after_1mb_ascii():
    ascii_text = ("hello world " * 100_000)[:1_100_000]
    rows = [("1", ascii_text)] + [(str(i), t) for i, t in enumerate(GBK_TEXTS, 2)]
    return Expect(csv_bytes(["id", "text"], rows, encoding="gbk"), ids_n(6), [ascii_text, *GBK_TEXTS], [None] * 6, ["id", "text"], (encoding_is("gb18030"),))


@case("in.csv")
def case_csv_utf8_after_1mb_ascii():
    ascii_text = ("hello world " * 100_000)[:1_100_000]
    rows = [("1", ascii_text)] + [(str(i), t) for i, t in enumerate(UTF8_TEXTS, 2)]
    return Expect(csv_bytes(["id", "text"], rows), ids_n(11), [ascii_text, *UTF8_TEXTS], [None] * 11, ["id", "text"], (encoding_is("utf-8", "utf-8-sig"),))


@case("in.csv")
def case_csv_big5_traditional():
    rows = [(str(i), t) for i, t in enumerate(BIG5_TEXTS * 2, 1)]
    return Expect(csv_bytes(["id", "text"], rows, encoding="big5"), ids_n(10), BIG5_TEXTS * 2, [None] * 10, ["id", "text"], (encoding_is("big5", "big5hkscs", "cp950"),))


@case("in.csv")
def case_csv_utf16_le_bom():
    texts = ["我要投诉😡", "退款！👎", "車子剎車失靈", "谢谢"]
    rows = [(str(i), t) for i, t in enumerate(texts, 1)]
    data = codecs.BOM_UTF16_LE + csv_bytes(["id", "text"], rows, eol="\r\n", encoding="utf-16-le")
    return Expect(data, ids_n(4), texts, [None] * 4, ["id", "text"], (encoding_is("utf-16", "utf-16-le"),))


@case("in.csv")
def case_csv_utf16_be_bom():
    texts = ["我要投诉", "服务太差", "谢谢"]
    rows = [(str(i), t) for i, t in enumerate(texts, 1)]
    data = codecs.BOM_UTF16_BE + csv_bytes(["id", "text"], rows, encoding="utf-16-be")
    return Expect(data, ids_n(3), texts, [None] * 3, ["id", "text"], (encoding_is("utf-16", "utf-16-be"),))


@case("in.csv")
def case_csv_utf8_bom_encoding():
    rows = [(str(i), t) for i, t in enumerate(UTF8_TEXTS, 1)]
    return Expect(csv_bytes(["id", "text"], rows, bom=True), ids_n(10), UTF8_TEXTS, [None] * 10, ["id", "text"], (encoding_is("utf-8", "utf-8-sig"),))


def _fffd_row(index, prefix, suffix):
    def check(ctx):
        t = ctx.rows[index]["text"]
        assert "\ufffd" in t and t.startswith(prefix) and t.endswith(suffix), short(t)

    return check


@case("in.csv")
def case_csv_invalid_utf8_bytes():
    head = csv_bytes(["id", "text"], [(str(i), t) for i, t in enumerate(UTF8_TEXTS, 1)])
    data = head + b"11," + "坏".encode() + b"\xff\xfe" + "字节".encode() + b"\n12," + "最后".encode() + b"\n"
    return Expect(data, ids_n(12), [*UTF8_TEXTS, ANY, "最后"], [None] * 12, ["id", "text"], (_fffd_row(10, "坏", "字节"), encoding_is("utf-8", "utf-8-sig")))


@case("in.csv")
def case_csv_invalid_gbk_bytes():
    head = csv_bytes(["id", "text"], [(str(i), t) for i, t in enumerate(GBK_TEXTS * 2, 1)], encoding="gbk")
    data = head + b"11," + "坏".encode("gbk") + b"\xff" + "字节".encode("gbk") + b"\n"
    return Expect(data, ids_n(11), [*GBK_TEXTS * 2, ANY], [None] * 11, ["id", "text"], (_fffd_row(10, "坏", "字节"),))


@case("in.csv", args=("--encoding", "gbk"))
def case_csv_forced_gbk():
    rows = [(str(i), t) for i, t in enumerate(GBK_TEXTS, 1)]
    return Expect(csv_bytes(["id", "text"], rows, encoding="gbk"), ids_n(5), GBK_TEXTS, [None] * 5, ["id", "text"], (encoding_is("gbk"),))


BIG_CELL = ("投诉内容ABC，" * 120_000)[:400_000]  # ~1.07 MB in UTF-8


@case("in.csv")
def case_csv_1mb_cell():
    rows = [("1", "前"), ("2", BIG_CELL), ("3", "后")]
    return Expect(csv_bytes(["id", "text"], rows), ids_n(3), ["前", BIG_CELL, "后"], [None] * 3, ["id", "text"])


# ---------------------------------------------------------------- JSON Lines
def _int_ids(ctx):
    for r in ctx.rows:
        assert type(r["id"]) is int, r["id"]


@case("in.jsonl", out="out.jsonl")
def case_jsonl_basic():
    recs = [{"id": i, "text": t} for i, t in enumerate(["我要投诉", "谢谢", "退款！"], 1)]
    return Expect(jsonl_bytes(recs), ids_n(3), ["我要投诉", "谢谢", "退款！"], [None] * 3, ["id", "text"], (_int_ids,))


@case("in.jsonl")
def case_jsonl_blank_lines():
    data = '\n{"id":1,"text":"一"}\n   \n\t\n{"id":2,"text":"二"}\r\n\r\n  \r\n{"id":3,"text":"三"}\n\n'.encode()
    return Expect(data, ids_n(3), ["一", "二", "三"], [None] * 3, ["id", "text"])


def _mentions_json(index):
    def check(ctx):
        assert "json" in ctx.rows[index]["error"].lower(), ctx.rows[index]["error"]

    return check


@case("in.jsonl")
def case_jsonl_broken_line():
    data = '{"id": 1, "text": "一"}\n\n{"id": 3, "text": "坏掉的\n{"id": 4, "text": "四"}\n'.encode()
    return Expect(data, ["1", "3", "4"], ["一", ANY, "四"], [None, "line 3:", None], None, (_mentions_json(1),))


@case("in.jsonl")
def case_jsonl_broken_string_id():
    data = '{"id": "A-6", "text": "一"}\n{"id": "A-7", "text": "x",}\n{"id": "A-8", "text": "三"}\n'.encode()
    return Expect(data, ["A-6", "A-7", "A-8"], ["一", ANY, "三"], [None, "line 2:", None], None, (_mentions_json(1),))


@case("in.jsonl")
def case_jsonl_non_object():
    data = '{"id": 1, "text": "一"}\n[1,2]\n"x"\n42\nnull\n{"id": 6, "text": "六"}\n'.encode()
    return Expect(data, ["1", "", "", "", "", "6"], ["一", ANY, ANY, ANY, ANY, "六"], [None, "line 2:", "line 3:", "line 4:", "line 5:", None], ["id", "text"])


@case("in.jsonl")
def case_jsonl_union_keys():
    recs = [{"id": 1, "text": "一"}, {"id": 2, "text": "二", "channel": "app"}, {"text": "三", "id": 3, "extra": "x"}]
    return Expect(jsonl_bytes(recs), ids_n(3), ["一", "二", "三"], [None] * 3, ["id", "text", "channel", "extra"], (col_is("channel", ["", "app", ""]), col_is("extra", ["", "", "x"])))


@case("in.jsonl")
def case_jsonl_crlf():
    recs = [{"id": i, "text": t} for i, t in enumerate(["一", "二", "三"], 1)]
    return Expect(jsonl_bytes(recs, eol="\r\n"), ids_n(3), ["一", "二", "三"], [None] * 3, ["id", "text"])


@case("in.jsonl")
def case_jsonl_bom():
    recs = [{"id": i, "text": t} for i, t in enumerate(["一", "二"], 1)]
    return Expect(BOM + jsonl_bytes(recs), ids_n(2), ["一", "二"], [None] * 2, ["id", "text"])


@case("in.jsonl")
def case_jsonl_u2028_nel():
    texts = ["一\u2028二", "三\u2029四", "五\x85六", "七\f八\v九", "十"]
    recs = [{"id": i, "text": t} for i, t in enumerate(texts, 1)]
    data = jsonl_bytes(recs)  # ensure_ascii=False: U+2028/2029/0085 raw, \f \v escaped
    assert "\u2028".encode() in data and "\x85".encode() in data
    return Expect(data, ids_n(5), texts, [None] * 5, ["id", "text"])


@case("in.ndjson", out="out.ndjson")
def case_ndjson_ext():
    recs = [{"id": i, "text": t} for i, t in enumerate(["一", "二"], 1)]
    return Expect(jsonl_bytes(recs), ids_n(2), ["一", "二"], [None] * 2, ["id", "text"])


@case("in.jsonl")
def case_jsonl_text_types():
    data = '{"id":1,"text":12315}\n{"id":2,"text":null}\n{"id":3,"text":true}\n{"id":4,"text":"正常"}\n'.encode()
    return Expect(data, ids_n(4), [ANY, ANY, ANY, "正常"], [ANY, ANY, ANY, None], ["id", "text"])


@case("in.jsonl", out="out.jsonl")
def case_jsonl_string_ids():
    ids = ["007", "1e5", "-5"]
    recs = [{"id": i, "text": "好"} for i in ids]

    def check(ctx):
        assert [r["id"] for r in ctx.rows] == ids  # str, not 7 / 100000.0 / -5

    return Expect(jsonl_bytes(recs), ids, None, [None] * 3, ["id", "text"], (check,))


@case("in.jsonl")
def case_jsonl_empty_object():
    data = '{"id":1,"text":"一"}\n{}\n{"id":3,"text":"三"}\n'.encode()
    return Expect(data, ["1", "", "3"], ["一", "", "三"], [None, ANY, None], ["id", "text"])


@case("in.jsonl", args=("--chunksize", "3"))
def case_jsonl_many_chunks():
    recs = [{"id": i, "text": f"第{i}条"} if i != 40 else {"text": "第40条", "late": "晚到", "id": 40} for i in range(1, 51)]
    late = ["晚到" if i == 40 else "" for i in range(1, 51)]
    return Expect(jsonl_bytes(recs), ids_n(50), [f"第{i}条" for i in range(1, 51)], [None] * 50, ["id", "text", "late"], (col_is("late", late),))


# ---------------------------------------------------------------- Excel
@case("in.xlsx")
def case_xlsx_title_merged_header():
    rows = [
        ["2024年投诉导出", None, None],
        ["基本信息", None, "投诉内容"],
        ["id", "客户", "text"],
        [1001, "张三", "我要投诉"],
        [1002, "李四", "谢谢"],
        ["X-9", "王五", "退款"],  # all-string row that looks like a header
        [1004, "赵六", "text"],  # a data cell equal to --text-col
        [1005, None, "最后一条"],
    ]
    return Expect(xlsx_bytes(rows, merges=("A1:C1", "A2:B2")), ["1001", "1002", "X-9", "1004", "1005"], ["我要投诉", "谢谢", "退款", "text", "最后一条"], [None] * 5, ["id", "客户", "text"])


@case("in.xlsx")
def case_xlsx_header_row_20():
    rows: list[list[Any]] = [["说明：text 列为投诉内容"], [], ["导出人", "系统"], []]
    rows += [[f"备注{i}"] if i % 2 else [] for i in range(15)]
    assert len(rows) == 19
    rows += [["id", "text"], [1, "一"], [2, "二"], [3, "三"]]
    return Expect(xlsx_bytes(rows), ids_n(3), ["一", "二", "三"], [None] * 3, ["id", "text"])


@case("in.xlsx")
def case_xlsx_dup_unnamed():
    rows = [["id", "text", "text", None, "备注"], [1, "一", "甲", "u", "n1"], [2, "二", "乙", "v", "n2"]]
    return Expect(xlsx_bytes(rows), ids_n(2), ["一", "二"], [None] * 2, ["id", "text", "text.1", "Unnamed: 3", "备注"], (col_is("text.1", ["甲", "乙"]), col_is("Unnamed: 3", ["u", "v"])))


@case("in.xlsx")
def case_xlsx_text_ids():
    rows = [["id", "text"], ["007", "一"], [1001, "二"], ["-5", "三"]]
    return Expect(xlsx_bytes(rows), ["007", "1001", "-5"], ["一", "二", "三"], [None] * 3, ["id", "text"])


# ---------------------------------------------------------------- Parquet
@case("in.parquet")
def case_parquet_int64_null_id():
    t = pa.table({"id": pa.array([1001, None, 1002], pa.int64()), "text": ["一", "二", "三"]})
    return Expect(parquet_bytes(t), ["1001", "", "1002"], ["一", "二", "三"], [None] * 3, ["id", "text"])


@pytest.mark.parametrize("c", CASES, ids=[c.name for c in CASES])
def test_case(c, tmp_path, capsys):
    exp = c.build()
    src = tmp_path / c.filename
    src.write_bytes(exp.data)
    out = tmp_path / c.out
    summary = tmp_path / "summary.json"
    rc, lines = run_score(capsys, src, out, "--summary", summary, *c.args, text_col=c.text_col)
    warnings = assert_ok(rc, lines)
    if c.warn is True:
        assert warnings, f"expected a warning line: {lines}"
    elif c.warn is False:
        assert not warnings, lines
    rows = read_output(out)
    assert len(rows) == len(exp.ids), f"{len(rows)} output rows for {len(exp.ids)} input records"
    assert_cells([cell(r.get("id")) for r in rows], exp.ids, "id")
    cols = output_columns(out)
    if exp.columns is not None:
        assert cols == exp.columns + result_names(exp.columns)
    else:
        assert cols[-len(RESULT_COLUMNS) :] == RESULT_COLUMNS
    if exp.texts is not None:
        assert_cells([cell(r.get(c.text_col)) for r in rows], exp.texts, "text")
    if exp.errors is not None:
        errc = "error_cnlp" if "error_cnlp" in cols else "error"
        levc = "level_cnlp" if "level_cnlp" in cols else "level"
        for i, (r, e) in enumerate(zip(rows, exp.errors)):
            got = cell(r.get(errc))
            if e is ANY:
                continue
            if e is None:
                assert got == "", f"row {i}: unexpected error {short(got)}"
                assert cell(r.get(levc)) != "", f"row {i}: not scored (no level)"
            else:
                assert got.startswith(e), f"row {i}: error {short(got)} should start with {e!r}"
                assert cell(r.get(levc)) == "", f"row {i}: an error row must not be scored"
    ctx = SimpleNamespace(rows=rows, cols=cols, lines=lines, out=out, summary=load_summary(summary), tmp=tmp_path)
    for check in exp.checks:
        check(ctx)


def test_case_count():
    assert len(CASES) >= 45


# ======================================================================== special tests
@pytest.mark.parametrize("name", ["in.csv", "in.tsv", "in.txt"])
def test_empty_file(name, tmp_path, capsys):
    src = tmp_path / name
    src.write_bytes(b"")
    out = tmp_path / "out.csv"
    rc, lines = run_score(capsys, src, out)
    warnings = assert_ok(rc, lines)
    assert len(warnings) == 1, lines
    assert read_output(out) == []


def test_jsonl_only_blank_lines(tmp_path, capsys):
    src = tmp_path / "in.jsonl"
    src.write_bytes(b"\n  \n\r\n\t\n")
    out = tmp_path / "out.jsonl"
    rc, lines = run_score(capsys, src, out)
    assert_ok(rc, lines)
    assert read_output(out) == []


@pytest.mark.parametrize(
    "name,data,cols",
    [
        ("in.csv", b"id,text\n", ["id", "text"]),
        ("in.csv", BOM + b"id,text\n", ["id", "text"]),
        ("in.csv", b"id,text", ["id", "text"]),
        ("in.csv", b"id,text,channel\r\n", ["id", "text", "channel"]),
        ("in.tsv", b"id\ttext\n", ["id", "text"]),
    ],
    ids=["plain", "bom", "no_eol", "crlf_3cols", "tsv"],
)
def test_header_only(name, data, cols, tmp_path, capsys):
    src = tmp_path / name
    src.write_bytes(data)
    out = tmp_path / "out.csv"
    rc, lines = run_score(capsys, src, out)
    assert_ok(rc, lines)
    assert read_output(out) == []
    assert output_columns(out) == cols + RESULT_COLUMNS


@pytest.mark.parametrize("ext", ["jsonl", "parquet", "xlsx"])
def test_1mb_cell_other_outputs(ext, tmp_path, capsys):
    src = tmp_path / "in.csv"
    src.write_bytes(csv_bytes(["id", "text"], [("1", "前"), ("2", BIG_CELL), ("3", "后")]))
    out = tmp_path / f"out.{ext}"
    rc, lines = run_score(capsys, src, out)
    assert_ok(rc, lines)
    rows = read_output(out)
    assert [cell(r["id"]) for r in rows] == ["1", "2", "3"]
    assert [rows[0]["text"], rows[2]["text"]] == ["前", "后"]
    big = rows[1]["text"]
    if ext == "xlsx":
        assert len(big) <= 32767 and big.endswith("…"), short(big)
        assert BIG_CELL.startswith(big[:-1]), "xlsx cell is not a prefix of the input"
    else:
        assert_cells([big], [BIG_CELL], "1 MB cell")


KEY_ORDER_RECS = [
    {"id": 1, "text": "一", "channel": "app"},
    {"text": "二", "id": 2},
    {"channel": "web", "id": 3, "text": "三"},
    {"id": 4, "extra": "x", "text": "四"},
    {"text": "五", "extra": "y", "channel": "tel", "id": 5},
    {"id": 6, "text": "六"},
]


@pytest.mark.parametrize("ext", ["csv", "xlsx", "parquet"])
def test_jsonl_key_order_chunks(ext, tmp_path, capsys):
    src = tmp_path / "in.jsonl"
    src.write_bytes(jsonl_bytes(KEY_ORDER_RECS))
    out = tmp_path / f"out.{ext}"
    rc, lines = run_score(capsys, src, out, "--chunksize", "2")
    assert_ok(rc, lines)
    rows = read_output(out)
    assert len(rows) == len(KEY_ORDER_RECS)
    assert output_columns(out) == ["id", "text", "channel", "extra"] + RESULT_COLUMNS
    for got, rec in zip(rows, KEY_ORDER_RECS):
        for k in ("id", "text", "channel", "extra"):
            assert cell(got[k]) == cell(rec.get(k)), (k, got[k], rec)


def test_jsonl_null_ids_keep_ints(tmp_path, capsys):
    src = tmp_path / "in.jsonl"
    src.write_bytes(b'{"id":1001,"text":"\xe4\xb8\x80"}\n{"id":null,"text":"x"}\n{"text":"y"}\n{"id":1002,"text":"z"}\n')
    out = tmp_path / "out.jsonl"
    rc, lines = run_score(capsys, src, out)
    assert_ok(rc, lines)
    rows = read_output(out)
    assert [r.get("id") for r in rows] == [1001, None, None, 1002]
    assert type(rows[0]["id"]) is int and type(rows[3]["id"]) is int
    assert "1001.0" not in out.read_text(encoding="utf-8")
    out2 = tmp_path / "out.csv"
    rc, lines = run_score(capsys, src, out2)
    assert_ok(rc, lines)
    assert [r["id"] for r in read_output(out2)] == ["1001", "", "", "1002"]


@pytest.mark.parametrize("ext", ["jsonl", "csv"])
def test_jsonl_id_above_2_64(ext, tmp_path, capsys):
    big = 123456789012345678901234567890
    src = tmp_path / "in.jsonl"
    src.write_bytes(f'{{"id":{big},"text":"一"}}\n{{"id":1,"text":"二"}}\n'.encode())
    out = tmp_path / f"out.{ext}"
    rc, lines = run_score(capsys, src, out)
    assert_ok(rc, lines)
    rows = read_output(out)
    assert [cell(r["id"]) for r in rows] == [str(big), "1"]
    if ext == "jsonl":
        assert type(rows[0]["id"]) is int
        assert str(big) in out.read_text(encoding="utf-8")


def test_parquet_types_kept(tmp_path, capsys):
    src = tmp_path / "in.parquet"
    t = pa.table(
        {
            "id": pa.array([1001, None, 1002], pa.int64()),
            "text": pa.array(["我要投诉", "谢谢", "退款"], pa.string()),
            "score": pa.array([1.5, None, 2.0], pa.float64()),
        }
    )
    src.write_bytes(parquet_bytes(t))
    out = tmp_path / "out.parquet"
    rc, lines = run_score(capsys, src, out)
    assert_ok(rc, lines)
    schema = pq.read_schema(out)
    assert schema.field("id").type == pa.int64()
    assert schema.field("score").type == pa.float64()
    assert pa.types.is_string(schema.field("text").type) or pa.types.is_large_string(schema.field("text").type)
    rows = read_output(out)
    assert [r["id"] for r in rows] == [1001, None, 1002]
    assert [r["score"] for r in rows] == [1.5, None, 2.0]
    assert schema.names == ["id", "text", "score"] + RESULT_COLUMNS


def test_parquet_all_null_first_chunk(tmp_path, capsys):
    src = tmp_path / "in.jsonl"
    src.write_bytes(
        '{"id":1,"text":"一"}\n{"id":2,"text":"二"}\n{"id":3,"text":"三","note":"备注"}\n{"id": 4, "text": 坏}\n{"id":5,"text":"五","note":null}\n'.encode()
    )
    out = tmp_path / "out.parquet"
    rc, lines = run_score(capsys, src, out, "--chunksize", "2")
    assert_ok(rc, lines)
    rows = read_output(out)
    assert [cell(r["id"]) for r in rows] == ids_n(5)
    assert [r["note"] for r in rows] == [None, None, "备注", None, None]
    errs = [r["error"] for r in rows]
    assert errs[:3] == [None, None, None] and errs[4] is None
    assert isinstance(errs[3], str) and errs[3].startswith("line 4:")


FORMULA_TEXTS = ['=HYPERLINK("http://x","点我")', "+SUM(A1:A2)", "-cmd|' /C calc'!A0", "@SUM(1)", "\t=1+1", "\r=1", "-5", "+8613800000000", "正常文本", " =1", "-1.5e3"]
FORMULA_GUARDED = ["'" + t for t in FORMULA_TEXTS[:6]] + FORMULA_TEXTS[6:]
PHONES = ["+8613800000000", "-5", "=1+2"] + [""] * (len(FORMULA_TEXTS) - 3)


def _formula_src(tmp_path):
    src = tmp_path / "in.csv"
    rows = [(str(i), t, p) for i, (t, p) in enumerate(zip(FORMULA_TEXTS, PHONES), 1)]
    src.write_bytes(csv_bytes(["id", "text", "phone"], rows))
    return src


@pytest.mark.parametrize("ext", ["csv", "tsv"])
def test_formula_guard(ext, tmp_path, capsys):
    out = tmp_path / f"out.{ext}"
    rc, lines = run_score(capsys, _formula_src(tmp_path), out)
    assert_ok(rc, lines)
    rows = read_output(out)
    assert [r["id"] for r in rows] == ids_n(len(FORMULA_TEXTS))
    assert_cells([r["text"] for r in rows], FORMULA_GUARDED, "guarded text")
    assert_cells([r["phone"] for r in rows], ["+8613800000000", "-5", "'=1+2"] + [""] * (len(FORMULA_TEXTS) - 3), "phone")


def test_formula_no_guard(tmp_path, capsys):
    out = tmp_path / "out.csv"
    rc, lines = run_score(capsys, _formula_src(tmp_path), out, "--no-formula-guard")
    assert_ok(rc, lines)
    rows = read_output(out)
    assert [r["id"] for r in rows] == ids_n(len(FORMULA_TEXTS))
    assert_cells([r["text"] for r in rows], FORMULA_TEXTS, "raw text")
    assert_cells([r["phone"] for r in rows], PHONES, "phone")


def test_formula_xlsx(tmp_path, capsys):
    out = tmp_path / "out.xlsx"
    rc, lines = run_score(capsys, _formula_src(tmp_path), out)
    assert_ok(rc, lines)
    ws = openpyxl.load_workbook(out).worksheets[0]
    header = [c.value for c in ws[1]]
    ti, pi, ii = header.index("text"), header.index("phone"), header.index("id")
    data = list(ws.iter_rows(min_row=2))
    assert len(data) == len(FORMULA_TEXTS)
    assert [cell(r[ii].value) for r in data] == ids_n(len(FORMULA_TEXTS))
    for r, want in zip(data, FORMULA_TEXTS):
        c = r[ti]
        if want.startswith(("=", "+", "-", "@", "\t", "\r")) and not want.lstrip("+-").replace(".", "").replace("e", "").isdigit():
            assert c.data_type == "s", (want, c.data_type, c.value)
        if "\r" not in want:  # XML turns a raw CR into LF on reading
            assert c.value == want, (want, c.value)
    assert data[2][pi].data_type == "s" and data[2][pi].value == "=1+2"


def test_xlsx_control_chars(tmp_path, capsys):
    texts = ["a\x00b", "\x01\x08", "\x0b\x0c", "\x0e\x1f", "制表\t换行\n", "正常"]
    want = ["a\ufffdb", "\ufffd\ufffd", "\ufffd\ufffd", "\ufffd\ufffd", "制表\t换行\n", "正常"]
    src = tmp_path / "in.jsonl"
    src.write_bytes(jsonl_bytes([{"id": i, "text": t} for i, t in enumerate(texts, 1)]))
    out = tmp_path / "out.xlsx"
    rc, lines = run_score(capsys, src, out)
    assert_ok(rc, lines)
    rows = read_output(out)
    assert [cell(r["id"]) for r in rows] == ids_n(len(texts))
    assert_cells([r["text"] for r in rows], want, "xlsx text")


# ---------------------------------------------------------------- failures
GOOD_CSV = "id,text\n1,我要投诉\n2,谢谢\n".encode()
SENTINEL = b"PRECIOUS \x00 output from an earlier run\r\n"


@dataclass
class Fail:
    name: str
    rc: int | tuple[int, ...]
    setup: Callable[[Path], dict]
    mention: str | None = None
    can_preexist: bool = True


def _good(tmp, name="in.csv", data=GOOD_CSV):
    p = tmp / name
    p.write_bytes(data)
    return p


def _parent_is_file(tmp):
    f = tmp / "afile"
    f.write_bytes(b"not a directory")
    return {"src": _good(tmp), "out": f / "out.csv"}


def _input_dir(tmp):
    d = tmp / "in.csv"
    d.mkdir()
    return {"src": d, "out": tmp / "out.csv"}


FAILS = [
    Fail("missing_text_column", 1, lambda t: {"src": _good(t), "out": t / "out.csv", "text_col": "content"}, "content"),
    Fail("missing_id_column", 1, lambda t: {"src": _good(t), "out": t / "out.csv", "id_col": "ticket"}, "ticket"),
    Fail("missing_input", 1, lambda t: {"src": t / "nope.csv", "out": t / "out.csv"}, "nope.csv"),
    Fail("input_is_directory", 1, _input_dir),
    Fail("output_is_input", 1, lambda t: {"src": _good(t), "out": t / "in.csv"}, can_preexist=False),
    Fail("output_is_input_other_spelling", 1, lambda t: ((t / "sub").mkdir(), {"src": _good(t), "out": t / "sub" / ".." / "in.csv"})[1], can_preexist=False),
    Fail("output_doc", (1, 2), lambda t: {"src": _good(t), "out": t / "out.doc"}),
    Fail("input_docx", (1, 2), lambda t: {"src": _good(t, "in.docx"), "out": t / "out.csv"}),
    Fail("output_parent_is_file", 1, _parent_is_file, can_preexist=False),
    Fail("encoding_nosuch", 2, lambda t: {"src": _good(t), "out": t / "out.csv", "args": ["--encoding", "nosuch"]}, "nosuch"),
    Fail("max_chars_0", 2, lambda t: {"src": _good(t), "out": t / "out.csv", "args": ["--max-chars", "0"]}, "max-chars"),
    Fail("chunksize_0", 2, lambda t: {"src": _good(t), "out": t / "out.csv", "args": ["--chunksize", "0"]}, "chunksize"),
    Fail("chunksize_negative", 2, lambda t: {"src": _good(t), "out": t / "out.csv", "args": ["--chunksize", "-3"]}, "chunksize"),
    Fail("missing_text_col_option", 2, lambda t: {"src": _good(t), "out": t / "out.csv", "text_col": None}, "text-col"),
    Fail("missing_output_option", 2, lambda t: {"src": _good(t), "out": None}, can_preexist=False),
    Fail("xlsx_no_header_row", 1, lambda t: {"src": _good(t, "in.xlsx", xlsx_bytes([["id", "内容"], [1, "一"]])), "out": t / "out.csv"}, "text"),
    Fail("jsonl_without_text_key", 1, lambda t: {"src": _good(t, "in.jsonl", b'{"id":1,"body":"x"}\n{"id":2,"body":"y"}\n'), "out": t / "out.csv"}, "text"),
]
FAIL_PARAMS = [pytest.param(f, False, id=f"{f.name}-no_output") for f in FAILS] + [pytest.param(f, True, id=f"{f.name}-existing_output") for f in FAILS if f.can_preexist]


@pytest.mark.parametrize("f,preexisting", FAIL_PARAMS)
def test_failure(f, preexisting, tmp_path, capsys):
    spec = f.setup(tmp_path)
    src, out = Path(spec["src"]), spec["out"]
    src_before = src.read_bytes() if src.is_file() else None
    if preexisting:
        Path(out).write_bytes(SENTINEL)
    files_before = sorted(p.name for p in tmp_path.iterdir())
    rc, lines = run_score(capsys, src, out, *spec.get("args", []), text_col=spec.get("text_col", "text"), id_col=spec.get("id_col", "id"))
    assert_failed(rc, lines, f.rc)
    if f.mention:
        assert f.mention in lines[0], lines
    if src_before is not None:
        assert src.read_bytes() == src_before, "input file changed"
    if out is not None and Path(out).resolve() != src.resolve():
        if preexisting:
            assert Path(out).read_bytes() == SENTINEL, "existing OUTPUT was touched"
        elif Path(out).parent.is_dir():
            assert not Path(out).exists(), "OUTPUT created by a failed run"
    assert sorted(p.name for p in tmp_path.iterdir()) == files_before, "files appeared or vanished"


# ---------------------------------------------------------------- the rest
def test_stale_partial_removed(tmp_path, capsys):
    src = _good(tmp_path)
    stale = tmp_path / ".out.csv.partial-999999"  # pid above pid_max: not running
    stale.write_bytes(b"id,text\n1,half-written")
    out = tmp_path / "out.csv"
    rc, lines = run_score(capsys, src, out)
    warnings = assert_ok(rc, lines)
    assert not stale.exists()
    assert warnings, "removing a stale partial file must be reported"
    assert [r["id"] for r in read_output(out)] == ["1", "2"]


def test_analyze_lines_stdin(monkeypatch, capsys):
    inputs = ["第一条", "", "我要投诉到消协", "含\u2028分隔", "   ", "最后一条"]
    data = "第一条\n\n我要投诉到消协\r\n含\u2028分隔\r   \n最后一条\n".encode()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    try:
        rc = main(["analyze", "--lines", "--no-model", "--compact"])
    except SystemExit as exc:
        rc = exc.code
    cap = capsys.readouterr()
    assert rc == 0, cap.err
    out = [json.loads(ln) for ln in cap.out.split("\n") if ln.strip()]
    assert len(out) == len(inputs), [d.get("text_length") for d in out]
    assert [d["text_length"] for d in out] == [len(t) for t in inputs]
    assert out[1]["signals"] == [] and out[4]["signals"] == []
    assert any(s["code"] == "regulator" for s in out[2]["signals"])
