"""Apache Spark scoring (issue #15): on 5,000 rows with threads and customers, Spark output equals
the local ``score`` output row for row, under 1, 3 and 8 partitions.

Runs on ``local[2]``. Needs pyspark and a Java runtime; ``.ci/run`` installs both, so under CI
(``CI`` set) a missing one fails instead of skipping.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _available() -> str | None:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark is not installed"
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        return "no Java runtime"
    return None


_why = _available()
if _why and os.environ.get("CI"):
    raise RuntimeError(f"Spark tests cannot run under CI: {_why} (.ci/run should have installed it)")
pytestmark = pytest.mark.skipif(_why is not None, reason=_why or "")


@pytest.fixture(scope="module")
def spark():
    from pyspark.sql import SparkSession

    builder = (
        SparkSession.builder.master("local[2]")
        .appName("complaint_nlp tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.driver.memory", "2g")
    )
    from complaint_nlp.spark import _get_or_create

    # the workers run this interpreter even when the venv is not activated
    s = _get_or_create(builder, local=True)
    s.sparkContext.setLogLevel("ERROR")
    yield s
    s.stop()


@pytest.fixture(scope="module")
def export(tmp_path_factory, corpus_texts):
    """5,000 rows: texts from our corpus (some None, empty, a number), 600 tickets with blank ids
    among them, 900 customers with blank ones, a time column in file order."""
    rng = random.Random(15)
    rows = []
    for i in range(5000):
        r = rng.random()
        text = None if r < 0.01 else "" if r < 0.02 else "12315" if r < 0.025 else rng.choice(corpus_texts)
        ticket = "" if rng.random() < 0.05 else f"T{rng.randrange(600)}"
        cust = None if rng.random() < 0.05 else f"C{rng.randrange(900)}"
        rows.append({"id": f"m{i:05d}", "text": text, "ticket": ticket, "cust": cust, "ts": 1_700_000_000 + i * 7})
    path = tmp_path_factory.mktemp("spark") / "export.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path, rows


def _plain(v):
    """Spark Row values → plain Python (maps as dicts, structs as dicts)."""
    from pyspark.sql import Row

    if isinstance(v, Row):
        return {k: _plain(x) for k, x in v.asDict().items()}
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_plain(x) for x in v]
    return v


@pytest.fixture(scope="module")
def local_rows(export, tmp_path_factory):
    from complaint_nlp.batch import score_file

    path, _ = export
    out = tmp_path_factory.mktemp("spark_local") / "local.jsonl"
    score_file(path, out, text_col="text", id_col="id", thread_col="ticket", customer_col="cust", progress=False)
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


@pytest.mark.parametrize("partitions", [1, 3, 8])
def test_spark_equals_local_score_row_for_row(spark, export, local_rows, partitions):
    import pandas as pd

    from complaint_nlp.spark import score

    _, rows = export
    sdf = spark.createDataFrame(pd.DataFrame(rows).astype(object).where(pd.DataFrame(rows).notna(), None), schema="id string, text string, ticket string, cust string, ts long")
    sdf = sdf.coalesce(1) if partitions == 1 else sdf.repartition(partitions)
    assert sdf.rdd.getNumPartitions() == partitions
    out = score(sdf, text_col="text", id_col="id", thread_col="ticket", customer_col="cust", time_col="ts")
    got = {r["id"]: {k: _plain(v) for k, v in r.asDict().items()} for r in out.collect()}
    assert len(got) == len(local_rows) == 5000
    mismatches = []
    for want in local_rows:
        have = got[want["id"]]
        for key, value in want.items():
            if have.get(key) != value:
                mismatches.append((want["id"], key, value, have.get(key)))
    assert not mismatches, mismatches[:5]
    # the interesting parts really are there
    assert sum(1 for r in local_rows if r["thread_position"] > 1) > 3000
    assert any(r["customer_history"] for r in local_rows) and any(r["signals"] for r in local_rows)


def test_spark_positions_when_no_id_column(spark):
    """Without id_col, customer_history lists 1-based row positions in the DataFrame's order,
    as the local run does."""
    from complaint_nlp.batch import score_frame
    from complaint_nlp.spark import score

    import pandas as pd

    pdf = pd.DataFrame({"text": ["我要投诉", "退款", "第三次了", "好的", "再不处理就起诉"] * 4, "cust": ["A", "B", "A", "C", "A"] * 4})
    sdf = spark.createDataFrame(pdf).repartition(1)
    got = [_plain(r["customer_history"]) for r in score(sdf, text_col="text", customer_col="cust", no_model=True).collect()]
    from complaint_nlp.analyzer import Analyzer

    local = score_frame(pdf, "text", analyzer=Analyzer.load(model=False), customer_col="cust")
    want = [None if v is None else {"complaints": json.loads(v)["complaints"], "rows": [str(int(x) + 1) for x in json.loads(v)["rows"]]} for v in local["customer_history"]]
    assert got == want


def _score_cli(tmp_path: Path, csv_text: str, env: dict | None = None) -> tuple[subprocess.CompletedProcess, list[dict]]:
    """`complaint-nlp score --engine spark --master local[1]` on a CSV; the process and the Parquet rows."""
    src = tmp_path / "in.csv"
    src.write_text(csv_text, encoding="utf-8")
    out = tmp_path / "out.parquet"
    p = subprocess.run([sys.executable, "-m", "complaint_nlp", "score", str(src), "-o", str(out), "--text-col", "text", "--id-col", "id", "--engine", "spark", "--master", "local[1]", "--no-model"], capture_output=True, text=True, timeout=600, env=env)
    assert p.returncode == 0, p.stderr[-2000:]
    import pyarrow.parquet as pq

    return p, pq.read_table(out).to_pylist()


def test_cli_engine_spark(tmp_path):
    p, t = _score_cli(tmp_path, 'id,text\n1,"再不退款就打12315投诉，\n第二行"\n2,好的\n')
    assert [r["id"] for r in t] == ["1", "2"] and t[0]["level"] == "urgent" and t[0]["text"].endswith("第二行")
    assert "scored 2 rows" in p.stderr


def test_cli_engine_spark_local_workers_run_this_interpreter(tmp_path):
    # the venv's complaint-nlp started without activating the venv: PATH's python3 may lack
    # complaint_nlp and pyarrow, yet the local workers must run the interpreter that scores
    venv_bin = str(Path(sys.executable).parent)
    env = {k: v for k, v in os.environ.items() if k not in ("PYSPARK_PYTHON", "PYSPARK_DRIVER_PYTHON", "VIRTUAL_ENV")}
    env["PATH"] = os.pathsep.join(d for d in env.get("PATH", "").split(os.pathsep) if d and os.path.realpath(d) != os.path.realpath(venv_bin))
    _, t = _score_cli(tmp_path, "id,text\n1,已经向12315投诉了\n", env=env)
    assert [(r["id"], r["level"]) for r in t] == [("1", "urgent")]


def test_get_or_create_restores_the_environment(monkeypatch):
    from complaint_nlp.spark import _get_or_create

    seen = []

    class Builder:
        def getOrCreate(self):
            seen.append(os.environ.get("PYSPARK_PYTHON"))
            return "session"

    monkeypatch.delenv("PYSPARK_PYTHON", raising=False)
    assert _get_or_create(Builder(), local=True) == "session"
    assert seen == [sys.executable] and "PYSPARK_PYTHON" not in os.environ
    assert _get_or_create(Builder(), local=False) == "session" and seen[-1] is None
    monkeypatch.setenv("PYSPARK_PYTHON", "/opt/their/python")  # the user's choice wins
    _get_or_create(Builder(), local=True)
    assert seen[-1] == "/opt/their/python" and os.environ["PYSPARK_PYTHON"] == "/opt/their/python"
