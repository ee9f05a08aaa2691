"""Batch scoring of exports, threads and customers (issue #6)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from complaint_nlp.batch import RESULT_COLUMNS, score_file, score_frame
from complaint_nlp.io import detect_encoding
from complaint_nlp.threads import analyze_thread

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "samples" / "messages_gbk.csv"
TEXTS = ["再不退款我就打12315投诉你们！", "请问几点开门", None, "", "   ", 12315, 3.5, "修了3次还没好", "<b>太坑了</b>&nbsp;骗子！！！", "車子剎車失靈"]


def frame():
    return pd.DataFrame({"id": [f"r{i}" for i in range(len(TEXTS))], "text": TEXTS, "extra": range(len(TEXTS))})


def test_score_frame_keeps_rows_order_and_columns(rules):
    df = frame()
    out = score_frame(df, "text", analyzer=rules)
    assert len(out) == len(df) and list(out["id"]) == list(df["id"])
    assert list(out.columns[:3]) == ["id", "text", "extra"]
    for c in RESULT_COLUMNS:
        assert c in out.columns
    assert out.loc[2, "error"] and "None" in out.loc[2, "error"]
    assert pd.isna(out.loc[0, "error"]) and out.loc[0, "level"] == "urgent"
    assert out.loc[5, "level"] is not None  # a number cell is read as its text
    sig = json.loads(out.loc[0, "signals"])
    assert sig[0]["text"] == "12315"
    assert out.loc[3, "level"] == "minor" and pd.isna(out.loc[3, "error"])


def test_column_clash_gets_suffix(rules):
    df = pd.DataFrame({"text": ["我要投诉"], "level": ["vip"]})
    out = score_frame(df, "text", analyzer=rules)
    assert out.loc[0, "level"] == "vip" and "level_cnlp" in out.columns


def test_missing_text_column(rules):
    with pytest.raises(KeyError, match="not found"):
        score_frame(frame(), "content", analyzer=rules)


def test_gbk_sample_file(tmp_path, rules):
    assert detect_encoding(SAMPLE) == "gb18030"
    out = tmp_path / "scored.csv"
    s = score_file(SAMPLE, out, analyzer=rules, text_col="内容", id_col="工单号", customer_col="客户ID", summary_path=tmp_path / "s.json", progress=False)
    src = pd.read_csv(SAMPLE, encoding="gb18030", dtype=str, keep_default_na=False)
    got = pd.read_csv(out, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert len(got) == len(src) == s["rows"]
    assert got["工单号"].tolist() == src["工单号"].tolist()
    assert got["内容"].tolist() == src["内容"].tolist()
    assert json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))["rows"] == len(src)
    # customer C1008 has three complaints in the file: complaint_history evidence
    c = got[got["客户ID"] == "C1008"]
    assert (c["customer_complaints"] == "3").all() and c["customer_history"].str.contains("complaints").all()
    assert (c["professional_complainant_with_history"] == "True").any()
    assert not list(tmp_path.glob(".*partial*"))


@pytest.mark.parametrize("ext", ["csv", "jsonl", "xlsx", "parquet", "tsv"])
def test_formats_roundtrip(tmp_path, rules, ext):
    df = frame()
    df["text"] = df["text"].map(lambda v: v if isinstance(v, str) or v is None else str(v))
    src = tmp_path / f"in.{ext}"
    if ext == "csv":
        df.to_csv(src, index=False, encoding="utf-8-sig")
    elif ext == "tsv":
        df.to_csv(src, index=False, sep="\t")
    elif ext == "jsonl":
        df.to_json(src, orient="records", lines=True, force_ascii=False)
    elif ext == "xlsx":
        df.to_excel(src, index=False)
    else:
        df.to_parquet(src, index=False)
    out = tmp_path / f"out.{ext}"
    s = score_file(src, out, analyzer=rules, text_col="text", id_col="id", chunksize=3, progress=False)
    assert s["rows"] == len(df)
    back = {"csv": lambda p: pd.read_csv(p, dtype=str), "tsv": lambda p: pd.read_csv(p, sep="\t", dtype=str), "jsonl": lambda p: pd.read_json(p, lines=True, dtype=False), "xlsx": lambda p: pd.read_excel(p, dtype=object), "parquet": pd.read_parquet}[ext](out)
    assert len(back) == len(df) and [str(x) for x in back["id"]] == list(df["id"])
    assert back["level"].iloc[0] == "urgent"


def test_excel_with_title_and_merged_header_rows(tmp_path, rules):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["2026年11月投诉导出"])
    ws.merge_cells("A1:C1")
    ws.append(["工单号", "客户", "内容"])
    ws.append(["A1", "张三", "修了三次还没修好，我要去12315投诉"])
    ws.append(["A2", "李四", 12315])
    ws.append(["A3", "王五", None])
    src = tmp_path / "export.xlsx"
    wb.save(src)
    out = tmp_path / "out.csv"
    score_file(src, out, analyzer=rules, text_col="内容", id_col="工单号", progress=False)
    got = pd.read_csv(out, dtype=str, encoding="utf-8-sig")
    assert got["工单号"].tolist() == ["A1", "A2", "A3"]
    assert got["level"].iloc[0] == "urgent" and isinstance(got["error"].iloc[2], str)


def test_bad_bytes_and_huge_cell(tmp_path, rules):
    src = tmp_path / "bad.csv"
    big = "我要投诉" * 250_000  # 1 MB of text
    src.write_bytes("id,text\n1,好的\n2,".encode() + b"\xff\xfe\x80broken" + f"\n3,{big}\n4,再不退款就起诉\n".encode())
    out = tmp_path / "out.jsonl"
    s = score_file(src, out, analyzer=rules, text_col="text", progress=False)
    rows = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 4 == s["rows"]
    assert "\ufffd" in rows[1]["text"]
    assert rows[2]["truncated"] is True and rows[3]["level"] == "urgent"


def test_interrupted_run_leaves_no_output(tmp_path, rules, monkeypatch):
    src = tmp_path / "in.csv"
    pd.DataFrame({"text": ["我要投诉"] * 50}).to_csv(src, index=False)
    out = tmp_path / "out.csv"
    calls = {"n": 0}
    real = rules.analyze_many

    def boom(texts, **kw):
        calls["n"] += 1
        if calls["n"] > 1:
            raise KeyboardInterrupt
        return real(texts, **kw)

    monkeypatch.setattr(rules, "analyze_many", boom)
    with pytest.raises(KeyboardInterrupt):
        score_file(src, out, analyzer=rules, text_col="text", chunksize=10, progress=False)
    assert not out.exists()
    assert os.listdir(tmp_path) == ["in.csv"]


def test_existing_output_survives_failed_run(tmp_path, rules):
    src = tmp_path / "in.csv"
    pd.DataFrame({"text": ["我要投诉"]}).to_csv(src, index=False)
    out = tmp_path / "out.csv"
    out.write_text("previous results", encoding="utf-8")
    with pytest.raises(KeyError):
        score_file(src, out, analyzer=rules, text_col="missing", progress=False)
    assert out.read_text(encoding="utf-8") == "previous results"


def test_jobs_gives_same_rows(tmp_path, rules):
    """--jobs N writes byte for byte what --jobs 1 writes, thread and customer columns included."""
    src = tmp_path / "in.csv"
    texts = [t for t in TEXTS if isinstance(t, str)] * 300
    pd.DataFrame({"id": range(len(texts)), "ticket": [f"T{i % 37}" if i % 11 else "" for i in range(len(texts))], "cust": [f"C{i % 13}" for i in range(len(texts))], "text": texts}).to_csv(src, index=False)
    for ext in ("csv", "jsonl"):
        a, b = tmp_path / f"a.{ext}", tmp_path / f"b.{ext}"
        score_file(src, a, analyzer=rules, text_col="text", thread_col="ticket", customer_col="cust", progress=False)
        score_file(src, b, analyzer=rules, text_col="text", thread_col="ticket", customer_col="cust", jobs=2, chunksize=100, progress=False)
        assert a.read_bytes() == b.read_bytes()
    import pyarrow.parquet as pq

    a, b = tmp_path / "a.parquet", tmp_path / "b.parquet"
    score_file(src, a, analyzer=rules, text_col="text", thread_col="ticket", progress=False)
    score_file(src, b, analyzer=rules, text_col="text", thread_col="ticket", jobs=2, progress=False)
    assert pq.read_table(a).equals(pq.read_table(b))


def test_threads(rules):
    msgs = ["你好，我的洗衣机不脱水了，麻烦安排维修", "上周说好来修，到现在没人来", "第三次打电话了！！再不来修我就去12315投诉！！！"]
    t = analyze_thread(msgs, analyzer=rules)
    assert len(t.messages) == 3 and t.trajectory == "rising"
    assert t.max_level == "urgent" and t.chases >= 2
    df = pd.DataFrame({"ticket": ["A", "B", "A", "A"], "text": [msgs[0], "请问几点开门", msgs[1], msgs[2]]})
    out = score_frame(df, "text", analyzer=rules, thread_col="ticket")
    assert out["thread_position"].tolist() == [1, 1, 2, 3]
    assert out["thread_max_level"].tolist()[-1] == "urgent"
    assert out["thread_level"].iloc[1] == "minor"


def test_cli_score(tmp_path):
    out = tmp_path / "scored.xlsx"
    p = subprocess.run([sys.executable, "-m", "complaint_nlp", "score", str(SAMPLE), "-o", str(out), "--text-col", "内容", "--id-col", "工单号", "--no-model"], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    assert "scored 30 rows" in p.stderr
    assert len(pd.read_excel(out)) == 30


def test_running_trajectory_equals_the_plain_one():
    """ThreadState keeps running sums instead of every heat; its trajectory equals _trajectory."""
    import random

    from complaint_nlp.threads import _trajectory, _trajectory_from_sums

    rng = random.Random(5)
    for _ in range(2000):
        heats = [rng.choice([0.0, 0.1, 0.5, 0.9, rng.random()]) for _ in range(rng.randint(0, 40))]
        sum_h = sum(heats)
        sum_ih = sum(i * h for i, h in enumerate(heats))
        assert _trajectory_from_sums(len(heats), sum_h, sum_ih) == _trajectory(heats), heats


def test_blank_thread_ids_are_threads_of_their_own(rules):
    """Rows without a ticket id are not one giant thread (issue #14, item 3)."""
    df = pd.DataFrame({"ticket": [None, "", "  ", float("nan"), "T1", "T1"], "text": ["再不退款我就打12315投诉你们！", "你好", "第三次催了", "谢谢", "在吗", "人呢"]})
    out = score_frame(df, "text", analyzer=rules, thread_col="ticket")
    assert out["thread_position"].tolist() == [1, 1, 1, 1, 1, 2]
    assert out["thread_max_level"].iloc[1] != "urgent"  # not inherited from the blank-id row before it


def test_a_bare_cr_inside_a_text_does_not_split_its_csv_row(tmp_path, rules):
    """A CR inside a message is quoted in CSV and TSV output: every reader gets one row per input row."""
    import csv

    from complaint_nlp.batch import score_file

    src = tmp_path / "in.csv"
    texts = ["第一行\r第二行", "普通消息", "回车\r\n换行", "只有\n换行"]
    with open(src, "w", encoding="utf-8", newline="") as f:  # a well-formed input: every field quoted
        w = csv.writer(f, quoting=csv.QUOTE_ALL)
        w.writerow(["id", "text"])
        w.writerows([[i, t] for i, t in enumerate(texts, 1)])
    for ext, sep in (("csv", ","), ("tsv", "\t")):
        out = tmp_path / f"out.{ext}"
        score_file(src, out, text_col="text", id_col="id", analyzer=rules, progress=False)
        with open(out, encoding="utf-8-sig", newline="") as f:
            rows = list(csv.reader(f, delimiter=sep))
        assert len(rows) == 1 + len(texts)
        assert [r[1] for r in rows[1:]] == texts
        back = pd.read_csv(out, sep=sep, encoding="utf-8-sig")
        assert back["text"].tolist() == texts and back["id"].tolist() == [1, 2, 3, 4]


# ------------------------------------------------------------------ issue #14: the reader and the run
def test_csv_record_reader_equals_the_csv_module_on_well_formed_files():
    """Our record reader (no process-wide field limit, lines handed back on a broken quote)
    reads every file the csv module writes exactly as the csv module reads it."""
    import csv
    import io as _io

    from hypothesis import given, settings
    from hypothesis import strategies as st

    from complaint_nlp.io import _CSVRecords

    cell = st.lists(st.sampled_from(list('ab中,"\t\r\n \x00\u2028') + ["\r\n"]), max_size=8).map("".join)

    @settings(max_examples=400, deadline=None)
    @given(st.lists(st.lists(cell, min_size=2, max_size=2), min_size=1, max_size=6), st.sampled_from([",", "\t"]))
    def check(rows, sep):
        buf = _io.StringIO(newline="")
        csv.writer(buf, delimiter=sep, lineterminator="\r\n").writerows(rows)
        text = buf.getvalue()
        expected = list(csv.reader(_io.StringIO(text, newline=""), delimiter=sep))
        got = [fields for _no, fields, _line in _CSVRecords(iter(_io.StringIO(text, newline="")), sep)]
        assert got == expected == rows

    check()


def test_unbalanced_quote_does_not_swallow_the_rest(tmp_path, rules):
    src = tmp_path / "in.csv"
    lines = ["id,text", '1,"未闭合的引号，后面的行都不能丢', '2,"abc"def', *[f"{i},第{i}条消息" for i in range(3, 53)], '53,"正常""引号"""']
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    s = score_file(src, out, analyzer=rules, text_col="text", id_col="id", progress=False)
    rows = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == [str(i) for i in range(1, 54)]
    assert rows[0]["text"] == '"未闭合的引号，后面的行都不能丢' and rows[0]["error"] is None  # read literally, scored
    assert rows[1]["text"] == '"abc"def' and rows[-1]["text"] == '正常"引号"'
    assert any("stray quote" in w and "line 2, 3" in w for w in s["warnings"])


def test_extra_field_is_an_error_row_that_keeps_its_data(tmp_path, rules):
    src = tmp_path / "in.csv"
    src.write_text("id,text,channel\n1,好的,微博\n2,投诉,a,b\n3,再不退款就起诉,电话\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    s = score_file(src, out, analyzer=rules, text_col="text", progress=False)
    got = pd.read_csv(out, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert got["id"].tolist() == ["1", "2", "3"] and s["read_errors"] == 1
    assert got["error"][1].startswith("line 3: 4 fields where the header has 3") and got["channel"][1] == "a,b"
    assert got["level"][1] == "" and got["level"][2] == "urgent"


def test_big5_and_gbk_after_a_long_ascii_prefix_are_detected(tmp_path):
    from complaint_nlp.io import detect_encoding, guess_encoding

    tw = "車子剎車失靈，客服態度很差，我要投訴到消保官。這個問題已經反映了三次。"
    p = tmp_path / "big5.csv"
    p.write_bytes(("id,text\n" + "".join(f"{i},{tw}\n" for i in range(20))).encode("big5"))
    assert detect_encoding(p) == "big5"
    q = tmp_path / "late.csv"
    q.write_bytes(b"id,text\n" + b"".join(b"%d,hello world\n" % i for i in range(80_000)) + "99,再不退款就投诉\n".encode("gbk"))
    assert q.stat().st_size > 1 << 20 and detect_encoding(q) == "gb18030"
    assert guess_encoding(["你好".encode("utf-8")]).encoding == "utf-8"


def test_rows_failing_inside_the_analyser_fail_the_run(tmp_path, rules, monkeypatch, capsys):
    """Item 12: a broken analyser is not a file of error rows with exit 0."""
    from complaint_nlp import cli

    src = tmp_path / "in.csv"
    pd.DataFrame({"id": range(30), "text": ["我要投诉"] * 30}).to_csv(src, index=False)
    out = tmp_path / "out.csv"
    out.write_text("previous", encoding="utf-8")

    def broken(*a, **k):
        raise RuntimeError("model weights unreadable")

    monkeypatch.setattr(type(rules), "_rules", broken)
    monkeypatch.setattr(cli, "_analyzer", lambda args: rules)
    rc = cli.main(["score", str(src), "-o", str(out), "--text-col", "text", "--no-progress"])
    err = [x for x in capsys.readouterr().err.splitlines() if x.strip()]
    assert rc == 1 and len(err) == 1 and "30 of 30 rows failed inside the analyser" in err[0]
    assert out.read_text(encoding="utf-8") == "previous" and not list(tmp_path.glob(".*partial*"))
    # a share above the threshold is allowed
    rc = cli.main(["score", str(src), "-o", str(out), "--text-col", "text", "--no-progress", "--max-failed-share", "1"])
    assert rc == 0


def test_an_unexpected_exception_is_one_line(tmp_path, rules, monkeypatch, capsys):
    from complaint_nlp import batch, cli

    src = tmp_path / "in.csv"
    src.write_text("text\n我要投诉\n", encoding="utf-8")

    def missing_dependency(*a, **k):
        raise ImportError("No module named 'pyarrow'")

    monkeypatch.setattr(batch, "encode_block", missing_dependency)
    monkeypatch.setattr(cli, "_analyzer", lambda args: rules)
    rc = cli.main(["score", str(src), "-o", str(tmp_path / "o.csv"), "--text-col", "text", "--no-progress"])
    err = [x for x in capsys.readouterr().err.splitlines() if x.strip()]
    assert rc == 1 and err == ["complaint-nlp: error: ImportError: No module named 'pyarrow'"]


def test_full_disk_is_one_line_and_no_partial_file(tmp_path):
    """The output file system refuses to grow (RLIMIT_FSIZE, as a full disk would): exit 1, one
    line, no partial file left, the previous OUTPUT untouched."""
    resource = pytest.importorskip("resource")
    import signal

    src = tmp_path / "in.csv"
    src.write_text("id,text\n" + "".join(f"{i},我要投诉，第{i}次了，再不处理就打12315\n" for i in range(3000)), encoding="utf-8")
    out = tmp_path / "out.xlsx"
    out.write_bytes(b"previous")

    def limit():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # the write fails with EFBIG instead of a kill
        resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, 200_000))

    for name in ("out.xlsx", "out.csv"):
        out = tmp_path / name
        out.write_bytes(b"previous")
        p = subprocess.run([sys.executable, "-m", "complaint_nlp", "score", str(src), "-o", str(out), "--text-col", "text", "--no-model", "--no-progress"], capture_output=True, text=True, timeout=300, preexec_fn=limit)
        lines = [x for x in p.stderr.splitlines() if x.strip()]
        assert p.returncode == 1 and len(lines) == 1 and lines[0].startswith("complaint-nlp: error:"), p.stderr
        assert out.read_bytes() == b"previous" and not list(tmp_path.glob(".*partial*"))


def test_output_is_fsynced_before_the_rename(tmp_path, rules, monkeypatch):
    calls = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(os, "fsync", lambda fd: (calls.append("fsync"), real_fsync(fd))[1])
    monkeypatch.setattr(os, "replace", lambda a, b: (calls.append("replace"), real_replace(a, b))[1])
    src = tmp_path / "in.csv"
    src.write_text("text\n我要投诉\n", encoding="utf-8")
    for ext in ("csv", "jsonl", "xlsx", "parquet"):
        calls.clear()
        score_file(src, tmp_path / f"o.{ext}", analyzer=rules, text_col="text", progress=False)
        assert calls[:2] == ["fsync", "replace"], (ext, calls)


def test_score_frame_names_a_repeated_column_instead_of_crashing(rules):
    df = pd.DataFrame([["1", "我要投诉", "x"]], columns=["id", "text", "text"])
    with pytest.raises(KeyError, match="appears 2 times"):
        score_frame(df, "text", analyzer=rules)
    df.columns = ["id", "text", "note"]
    assert score_frame(df, "text", analyzer=rules)["level"].iloc[0] is not None


def test_window_holds_after_nfkc_expansion(rules):
    """Item 11: ﷺ expands 15× under NFKC; the window bounds the normalised text too."""
    from complaint_nlp.analyzer import Analyzer

    a = Analyzer.load(model=False, max_chars=100)
    r = a.analyze("ﷺ" * 90 + "我要投诉12315")
    assert r.truncated and r.window[1] <= 100
    from complaint_nlp.normalize import normalize

    assert len(normalize(r.window and ("ﷺ" * 90)[: r.window[1]]).text) <= 100
    assert a.analyze_many(["ﷺ" * 90])[0].window == r.window


def test_jsonl_ids_keep_type_and_text_and_columns_never_shift(tmp_path, rules):
    src = tmp_path / "in.jsonl"
    recs = ['{"id": 1001, "text": "我要投诉"}', '{"text": "好的", "id": null}', "", '{"id": 123456789012345678901234567890, "text": "再不退款就起诉"}', '{"channel": "微博", "text": "坑爹", "id": 7}', '{"id": 8, "text": "断了']
    src.write_text("\n".join(recs) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    score_file(src, out, analyzer=rules, text_col="text", id_col="id", chunksize=2, progress=False)
    rows = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == [1001, None, 123456789012345678901234567890, 7, 8]
    assert list(rows[0])[:3] == ["id", "text", "channel"] and rows[3]["channel"] == "微博" and rows[0]["channel"] is None
    assert rows[4]["error"].startswith("line 6: invalid JSON")
    csv_out = tmp_path / "out.csv"
    score_file(src, csv_out, analyzer=rules, text_col="text", id_col="id", chunksize=2, progress=False)
    got = pd.read_csv(csv_out, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert got["id"].tolist() == ["1001", "", "123456789012345678901234567890", "7", "8"]
    assert got["channel"].tolist() == ["", "", "", "微博", ""]


# ------------------------------------------------------------------ issue #15: one typed row schema
def test_every_writer_follows_the_row_schema(tmp_path, analyzer):
    """Parquet has exactly the Arrow schema; every JSON Lines row validates against the JSON
    Schema; CSV and Excel cells hold the same values as JSON text."""
    import jsonschema
    import pyarrow.parquet as pq
    from openpyxl import load_workbook

    from complaint_nlp.schema import result_arrow_schema, result_json_schema

    src = tmp_path / "in.csv"
    rows = ["第三次打电话了！再不处理我就去12315投诉，要求赔偿5000元", "请问几点开门", "", "車子剎車失靈，差點出事", "我是律师，你们这是欺诈，退一赔三"]
    pd.DataFrame({"id": range(len(rows) * 3), "ticket": ["A", "B", "A"] * len(rows), "cust": ["C1", "C1", "C2"] * len(rows), "text": rows * 3}).to_csv(src, index=False)
    outs = {}
    for ext in ("parquet", "jsonl", "csv", "xlsx"):
        outs[ext] = tmp_path / f"o.{ext}"
        score_file(src, outs[ext], analyzer=analyzer, text_col="text", id_col="id", thread_col="ticket", customer_col="cust", progress=False)
    want = result_arrow_schema(thread=True, customer=True)
    got = pq.read_schema(outs["parquet"])
    assert got.names[:4] == ["id", "ticket", "cust", "text"]
    assert [(f.name, f.type) for f in got][4:] == [(f.name, f.type) for f in want]
    native = [json.loads(line) for line in outs["jsonl"].read_text(encoding="utf-8").splitlines()]
    schema = result_json_schema(thread=True, customer=True)
    for row in native:
        jsonschema.validate(row, schema)
    assert pq.read_table(outs["parquet"]).to_pylist()[0]["signals"] == native[0]["signals"] != []
    assert any(r["customer_history"] for r in native) and any(r["traits"] for r in native)
    nested = [n for n, t, _ in __import__("complaint_nlp.schema", fromlist=["x"]).result_fields(True, True) if not isinstance(t, str) or t == "scores"]

    def undetail(v):  # CSV/Excel keep details as an object inside the JSON text
        if isinstance(v, list):
            return [{k: (json.dumps(x, ensure_ascii=False, separators=(",", ":")) if k == "details" and x else (None if k == "details" else x)) for k, x in d.items()} if isinstance(d, dict) else d for d in v]
        return v

    csv_rows = pd.read_csv(outs["csv"], dtype=str, keep_default_na=False, encoding="utf-8-sig").to_dict("records")
    ws = load_workbook(outs["xlsx"]).worksheets[0]
    header = [c.value for c in ws[1]]
    xl_rows = [dict(zip(header, [c.value for c in r])) for r in ws.iter_rows(min_row=2)]
    for n_row, c_row, x_row in zip(native, csv_rows, xl_rows):
        for col in nested:
            for cell in (c_row[col], x_row[col]):
                parsed = json.loads(cell) if cell not in ("", None) else None
                assert undetail(parsed) == n_row[col], (col, cell, n_row[col])
        assert c_row["level"] == (n_row["level"] or "") and x_row["thread_position"] == n_row["thread_position"]


def test_csv_line_equals_the_csv_module():
    """The workers' CSV encoder quotes exactly as csv.writer with CRLF line ends."""
    import csv
    import io as _io

    from hypothesis import given, settings
    from hypothesis import strategies as st

    from complaint_nlp.output import csv_line

    cell = st.lists(st.sampled_from(list('ab中,"\t\r\n \x00') + ["\r\n", "'"]), max_size=6).map("".join)

    @settings(max_examples=500, deadline=None)
    @given(st.lists(cell, min_size=1, max_size=5), st.sampled_from([",", "\t"]))
    def check(cells, sep):
        buf = _io.StringIO(newline="")
        csv.writer(buf, delimiter=sep, lineterminator="\r\n").writerow(cells)
        assert csv_line(cells, sep) + "\r\n" == buf.getvalue()

    check()


def test_a_missing_column_says_which_one_was_meant(tmp_path, rules):
    """Issue #17: a near miss gets a "did you mean", with no stray quotes around the message."""
    src = tmp_path / "in.csv"
    src.write_text("工单号,内容,Customer ID\n1,我要投诉,C1\n", encoding="utf-8")
    with pytest.raises(KeyError) as e:
        score_file(src, tmp_path / "o.csv", analyzer=rules, text_col="内 容", progress=False)
    assert "did you mean '内容'?" in str(e.value) and not str(e.value).startswith("'")
    with pytest.raises(KeyError, match="did you mean 'Customer ID'"):
        score_file(src, tmp_path / "o.csv", analyzer=rules, text_col="内容", customer_col="customer_id", progress=False)
    with pytest.raises(KeyError) as e:
        score_file(src, tmp_path / "o.csv", analyzer=rules, text_col="text", progress=False)
    assert "did you mean" not in str(e.value)


def test_progress_bar_knows_the_total(tmp_path, rules, capsys):
    """Issue #17: the bar has a total, so a percentage and an ETA."""
    src = tmp_path / "in.csv"
    src.write_text("id,text\n" + "".join(f"{i},我要投诉\n" for i in range(50)), encoding="utf-8")
    score_file(src, tmp_path / "o.csv", analyzer=rules, text_col="text", progress=True, chunksize=10)
    err = capsys.readouterr().err
    assert "50/50" in err and "100%" in err


def test_every_core_dependency_is_used():
    """Issue #17: a package in `dependencies` is imported by the package (skops and joblib went:
    models are JSON + npz, and the worker pool is the standard library's, whose fork start keeps
    one loaded model for every worker; joblib still arrives with scikit-learn)."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    text = (root / "pyproject.toml").read_text(encoding="utf-8")
    deps = re.search(r"dependencies = \[(.*?)\]", text, re.S).group(1)
    names = [re.match(r'\s*"([A-Za-z0-9_.-]+)', d).group(1) for d in deps.split(",") if d.strip()]
    imports = {"scikit-learn": "sklearn", "charset-normalizer": "charset_normalizer", "tomli": "tomli"}
    source = "\n".join(p.read_text(encoding="utf-8") for p in (root / "complaint_nlp").rglob("*.py"))
    for n in names:
        mod = imports.get(n, n.replace("-", "_"))
        assert re.search(rf"^\s*(?:import|from) {re.escape(mod)}\b", source, re.M), f"{n} is a dependency but never imported"
    assert "skops" not in names and "joblib" not in names


def test_an_unwritable_output_is_named_not_its_partial_file(tmp_path, rules):
    """Issue #17: the error names OUTPUT, not the hidden temporary file beside it."""
    src = tmp_path / "in.csv"
    src.write_text("text\n我要投诉\n", encoding="utf-8")
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    out = blocker / "out.csv"  # a folder that is a file
    with pytest.raises(OSError) as e:
        score_file(src, out, analyzer=rules, text_col="text", progress=False)
    assert f"cannot write {out}" in str(e.value) and "partial" not in str(e.value)
    target = tmp_path / "dir.csv"
    target.mkdir()  # OUTPUT is a folder: the rename fails
    with pytest.raises(OSError) as e:
        score_file(src, target, analyzer=rules, text_col="text", progress=False)
    assert f"cannot write {target}" in str(e.value) and not list(tmp_path.glob(".*partial*"))
