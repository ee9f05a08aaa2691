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
    src = tmp_path / "in.csv"
    texts = [t for t in TEXTS if isinstance(t, str)] * 30
    pd.DataFrame({"id": range(len(texts)), "text": texts}).to_csv(src, index=False)
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    score_file(src, a, analyzer=rules, text_col="text", progress=False)
    score_file(src, b, analyzer=rules, text_col="text", jobs=2, chunksize=100, progress=False)
    assert pd.read_csv(a).equals(pd.read_csv(b))


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
