"""The complaint-nlp command (issue #2): output, stdin, exit codes."""

import json
import subprocess
import sys

import pytest

from complaint_nlp.cli import main


def run(*args, stdin=None):
    return subprocess.run([sys.executable, "-m", "complaint_nlp", *args], input=stdin, capture_output=True, timeout=300)


def test_version_and_help(capsys):
    with pytest.raises(SystemExit) as e:
        main(["--version"])
    assert e.value.code == 0
    assert "complaint-nlp" in capsys.readouterr().out
    with pytest.raises(SystemExit) as e:
        main(["--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    assert "examples:" in out and "complaint-nlp analyze" in out


def test_analyze_argument_prints_json(capsys):
    assert main(["analyze", "--no-model", "再不退款我就打１２３１５投訴！"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["level"] == "urgent"
    assert d["signals"][0]["text"] == "１２３１５"


def test_analyze_stdin_gbk_bytes():
    p = run("analyze", "--no-model", "--compact", stdin="我已经报警了，你们等着吧".encode("gbk"))
    assert p.returncode == 0, p.stderr
    d = json.loads(p.stdout.decode("utf-8"))
    assert any(s["code"] == "legal" and s["modality"] == "done" for s in d["signals"])


def test_analyze_stdin_lines_one_result_per_input_line():
    # a blank line still gets its result, U+2028 does not split a line, CR and CRLF end one
    p = run("analyze", "--no-model", "--compact", "--lines", stdin="第一条\n\n我要投诉\u2028到消协\r最后一条\r\n".encode())
    assert p.returncode == 0
    lines = p.stdout.decode().split("\n")
    assert lines[-1] == "" and len(lines) == 5
    got = [json.loads(x) for x in lines[:-1]]
    assert got[1]["signals"] == [] and got[1]["text_length"] == 0
    assert got[2]["text_length"] == len("我要投诉\u2028到消协") and got[2]["signals"]


def test_max_chars_zero_is_a_usage_error():
    p = run("analyze", "--no-model", "--max-chars", "0", "好")
    assert p.returncode == 2 and b"--max-chars" in p.stderr


def test_usage_errors_exit_2():
    assert run().returncode == 2
    assert run("bogus").returncode == 2
    assert run("analyze", "--model", "x", "--no-model", "好").returncode == 2
    p = run("score", "in.csv")  # missing -o and --text-col
    assert p.returncode == 2


def test_runtime_errors_exit_1(tmp_path):
    p = run("analyze", "--model", str(tmp_path / "nope"), "好")
    assert p.returncode == 1
    assert b"no model" in p.stderr
    p = run("score", str(tmp_path / "missing.csv"), "-o", str(tmp_path / "o.csv"), "--text-col", "t", "--no-model")
    assert p.returncode == 1
    assert b"not found" in p.stderr


def test_logging_levels_from_v_and_q(tmp_path, capsys):
    """Issue #17: the library logs to the complaint_nlp logger (silent unless the application
    configures it); the CLI prints it as one line per message, -v adds info, -q leaves errors only."""
    import logging

    src = tmp_path / "in.csv"
    src.write_text('id,text\n1,"abc\n2,我要投诉\n', encoding="utf-8")  # a stray quote: one warning
    out = tmp_path / "o.csv"
    assert main(["score", str(src), "-o", str(out), "--text-col", "text", "--no-model", "--no-progress"]) == 0
    err = capsys.readouterr().err.splitlines()
    assert [x for x in err if x.startswith("scored 2 rows")] and [x for x in err if x.startswith("complaint-nlp: warning:") and "stray quote" in x]
    assert not [x for x in err if x.startswith("complaint-nlp: info:")]
    assert main(["-v", "score", str(src), "-o", str(out), "--text-col", "text", "--no-model", "--no-progress"]) == 0
    err = capsys.readouterr().err
    assert "complaint-nlp: info:" in err and "encoding utf-8" in err
    assert main(["-q", "score", str(src), "-o", str(out), "--text-col", "text", "--no-model", "--no-progress"]) == 0
    assert capsys.readouterr().err == ""
    assert main(["-q", "score", str(src), "-o", str(out), "--text-col", "nope", "--no-model"]) == 1
    assert capsys.readouterr().err.startswith("complaint-nlp: error:")
    lib = logging.getLogger("complaint_nlp")
    assert not [h for h in lib.handlers if not isinstance(h, logging.NullHandler)]  # main() cleans up


def test_score_reads_stdin_and_writes_stdout():
    """Issue #17: `-` for standard input and output; a failed run prints no rows."""
    import csv as _csv
    import io as _io

    data = "id,text\n1,再不退款我就打12315投诉\n2,好的\n".encode("gbk")
    p = run("score", "-", "-o", "-", "--text-col", "text", "--no-model", "--no-progress", stdin=data)
    assert p.returncode == 0, p.stderr
    rows = list(_csv.DictReader(_io.StringIO(p.stdout.decode("utf-8-sig"), newline="")))
    assert [r["id"] for r in rows] == ["1", "2"] and rows[0]["level"] == "urgent"
    assert "scored 2 rows → -" in p.stderr.decode()
    p = run("score", "-", "-o", "-", "--text-col", "text", "--no-model", "--output-format", "jsonl", "--no-progress", stdin=data)
    assert [json.loads(x)["id"] for x in p.stdout.decode().splitlines()] == ["1", "2"]
    p = run("score", "-", "-o", "-", "--text-col", "nope", "--no-model", stdin=data)
    assert p.returncode == 1 and p.stdout == b""
