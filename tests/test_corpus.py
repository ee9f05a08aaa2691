"""The labeled corpus and its checker (issue #4). CI fails when the corpus breaks its rules."""

import csv
from pathlib import Path

import pytest

from complaint_nlp.corpus import COLUMNS, check_corpus, near_duplicate_pairs, parse_signals

CORPUS = Path(__file__).resolve().parent.parent / "data" / "labeled" / "corpus.csv"


def test_shipped_corpus_passes_every_check():
    report = check_corpus(CORPUS)
    failed = [c for c in report["checks"] if not c["ok"]]
    assert not failed, failed
    st = report["stats"]
    assert st["rows"] >= 20000 and len(st["domain"]) >= 10
    assert set(st["channel"]) == {"weibo", "platform", "callcenter", "chat", "review", "everyday", "forum"}
    assert min(st["category"].values()) >= 150 and min(st["emotion"].values()) >= 150


def test_corpus_check_is_a_maintainer_script_that_runs_from_anywhere(tmp_path):
    """Issue #17: the corpus checker is not in the user CLI; the maintainer script finds the corpus
    from its own location, whatever the current directory."""
    import subprocess
    import sys

    from complaint_nlp.cli import build_parser

    assert "corpus" not in build_parser().format_help()
    script = CORPUS.parent / "tools" / "check_corpus.py"
    p = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, cwd=tmp_path, timeout=600)
    assert p.returncode == 0, p.stdout[-2000:] + p.stderr[-2000:]
    assert p.stdout.strip().endswith("OK")


def _rows():
    with open(CORPUS, encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _write(path, rows):
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=COLUMNS)
        w.writeheader()
        w.writerows(rows)


@pytest.mark.parametrize(
    "breakage, check",
    [
        (lambda rows: rows[0].update(category="refund"), "category"),
        (lambda rows: rows[1].update(emotion="happy"), "emotion"),
        (lambda rows: rows[2].update(signals="regulator:maybe"), "signals"),
        (lambda rows: rows[3].update(text=rows[4]["text"]), "no duplicate texts"),
        (lambda rows: rows[5].update(id=rows[6]["id"]), "unique ids"),
        (lambda rows: rows[7].update(text="太短"), "text length"),
        (lambda rows: rows[8].update(category2=rows[8]["category"]), "category2"),
        (lambda rows: rows[9].update(channel="fax"), "channel"),
        (lambda rows: rows[10].update(text="太" * 601), "text length"),
        (lambda rows: [r.update(group="g-same", split="train" if i % 2 else "test") for i, r in enumerate(rows[:4])], "groups within one split"),
    ],
)
def test_checker_catches_breakage(tmp_path, breakage, check):
    rows = _rows()
    breakage(rows)
    p = tmp_path / "corpus.csv"
    _write(p, rows)
    report = check_corpus(p)
    bad = {c["name"] for c in report["checks"] if not c["ok"]}
    assert check in bad and not report["ok"]


def test_checker_catches_coverage_and_near_duplicates(tmp_path):
    rows = [r for r in _rows() if r["category"] != "logistics"]
    base = rows[0]["text"]
    n_dups = len(rows) // 30  # above the 2% the checker allows
    rows += [dict(rows[0], id=f"dup-{i}", text=base + "！" * (i % 50 + 1) + "？" * (i // 50), group=f"dup-{i}") for i in range(n_dups)]
    p = tmp_path / "corpus.csv"
    _write(p, rows)
    bad = {c["name"] for c in check_corpus(p)["checks"] if not c["ok"]}
    assert {"category coverage", "near-duplicates"} <= bad


def test_helpers():
    assert parse_signals("regulator:threatened; media:done;") == [("regulator", "threatened"), ("media", "done")]
    pairs = near_duplicate_pairs(["我的车发动机异响了三次还没修好", "我的车发动机异响了三次还没修好啊", "完全不同的一句话内容"])
    assert [(i, j) for i, j, _ in pairs] == [(0, 1)]
    assert check_corpus("/nonexistent.csv")["ok"] is False
