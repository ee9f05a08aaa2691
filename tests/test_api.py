"""Public API, bad input and library hygiene (issue #2)."""

import json
import math
import os
import subprocess
import sys
import threading

import pytest

import complaint_nlp
from complaint_nlp import taxonomy
from complaint_nlp.analyzer import Analyzer
from complaint_nlp.result import SCHEMA_VERSION


def test_import_is_cheap_and_lazy():
    code = "import sys, time; t=time.perf_counter(); import complaint_nlp; dt=time.perf_counter()-t; heavy=[m for m in ('sklearn','jieba','rjieba','pandas','numpy','opencc','scipy') if m in sys.modules]; print(heavy)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_taxonomy_codes():
    assert list(taxonomy.CATEGORIES) == ["product_quality", "service_attitude", "after_sales", "delay", "price_billing", "false_advertising", "logistics", "safety", "property_loss", "other"]
    assert set(taxonomy.EMOTIONS) == {"anger", "disappointment", "anxiety", "fear", "sadness", "distrust", "neutral"}
    assert len(taxonomy.SIGNALS) == 10 and len(taxonomy.TRAITS) == 6
    assert taxonomy.LEVELS["urgent"].minutes == 30 and taxonomy.LEVELS["serious"].minutes == 120
    assert taxonomy.chinese_name("after_sales") == "售后推诿"


def test_analysis_contract(rules):
    r = rules.analyze("再不退款我就打12315投诉你们！")
    d = r.to_dict()
    for key in ("category", "category_scores", "emotion", "emotion_scores", "intensity", "signals", "traits", "professional_complainant", "level", "response", "schema_version", "model"):
        assert key in d
    assert d["schema_version"] == SCHEMA_VERSION
    assert d["model"] is None and d["category"] is None and d["category_scores"] == {}
    assert d["level"] == "urgent" and d["response"]["minutes"] == 30
    sig = d["signals"][0]
    assert {"code", "modality", "start", "end", "text", "score"} <= set(sig)
    json.loads(r.to_json())
    assert "投诉" in r.to_json() or "12315" in r.to_json()
    with pytest.raises(Exception):
        r.level = "minor"  # frozen


@pytest.mark.parametrize("bad", [None, float("nan"), 12315, 3.5, b"bytes", ["list"]])
def test_analyze_rejects_non_strings(rules, bad):
    with pytest.raises(TypeError, match="needs a str"):
        rules.analyze(bad)


def test_batch_turns_bad_items_into_row_errors(rules):
    items = [None, float("nan"), 12315, "", "   ", "好", "x" * 30]
    res = rules.analyze_many(items)
    assert len(res) == len(items)
    assert [r.error is not None for r in res] == [True, True, True, False, False, False, False]
    assert "None" in res[0].error and "NaN" in res[1].error
    for r in res[3:5]:
        assert r.level == "minor" and r.signals == () and r.intensity == 0


def test_long_text_is_windowed(rules):
    an = Analyzer(None, rules.lexicon, rules.escalation, max_chars=1000)
    text = "好" * 5000 + "我要打12315"
    r = an.analyze(text)
    assert r.truncated and r.window == (0, 1000) and r.text_length == 5008
    assert not any(s.code == "regulator" for s in r.signals)
    r2 = rules.analyze(text)
    assert not r2.truncated and any(s.code == "regulator" for s in r2.signals)


def test_one_megabyte_message(rules):
    text = ("我的车修了三次还没好！" * 100000)[:1_000_000]
    r = rules.analyze(text)
    assert r.truncated and r.text_length == 1_000_000


def test_spans_point_into_original(rules):
    text = "車子在高速上剎車失靈！我已經打了１２３１５，<b>再不處理</b>就找記者曝光😡"
    r = rules.analyze(text)
    codes = {(s.code, s.modality) for s in r.signals}
    assert ("regulator", "done") in codes and ("media", "threatened") in codes and ("safety_hazard", "done") in codes
    for s in r.signals:
        assert text[s.start : s.end] == s.text
    assert any(s.text == "１２３１５" for s in r.signals)


def test_analyze_many_equals_analyze(rules):
    texts = ["再不退款我就打12315投诉你们！", "请问几点开门", "我们几个车主已经起诉了", ""]
    assert [r.to_dict() for r in rules.analyze_many(texts)] == [rules.analyze(t).to_dict() for t in texts]


def test_shared_analyzer_is_thread_safe(rules):
    texts = ["再不退款我就打12315投诉你们！", "修了三次还没好，打了五次电话", "我不会去曝光的"] * 10
    expected = [rules.analyze(t).to_dict() for t in texts]
    errors = []

    def work():
        got = [rules.analyze(t).to_dict() for t in texts]
        if got != expected:
            errors.append("mismatch")

    ts = [threading.Thread(target=work) for _ in range(6)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert not errors


def test_nothing_written_to_cwd(tmp_path, rules):
    before = set(os.listdir(tmp_path))
    code = "import complaint_nlp; from complaint_nlp.analyzer import Analyzer; a=Analyzer.load(model=False); a.analyze('我要投诉')"
    subprocess.run([sys.executable, "-c", code], cwd=tmp_path, check=True, timeout=120)
    assert set(os.listdir(tmp_path)) == before


def test_custom_lexicon_extends(tmp_path):
    lex = tmp_path / "extra.toml"
    lex.write_text('[[signals]]\nname = "regulator.local"\ncode = "regulator"\nscore = 0.9\nkeywords = ["96315热线"]\nexplanation = "本地投诉热线"\n', encoding="utf-8")
    an = Analyzer.load(model=False, lexicon=lex, extend_lexicon=True)
    r = an.analyze("再不处理我就打96315热线")
    assert any(s.rule == "regulator.local" and s.modality == "threatened" for s in r.signals)
    bad = tmp_path / "bad.toml"
    bad.write_text('[[signals]]\nname = "x"\ncode = "nope"\nkeywords = ["a"]\n', encoding="utf-8")
    from complaint_nlp.lexicon import LexiconError

    with pytest.raises(LexiconError, match="bad.toml: rule 'x': key 'code': unknown signal code"):
        Analyzer.load(model=False, lexicon=bad, extend_lexicon=True)
    with pytest.raises(LexiconError, match="missing required section 'settings'"):  # a full lexicon needs every section
        Analyzer.load(model=False, lexicon=bad)


def test_version():
    assert complaint_nlp.__version__.count(".") == 2
    assert not math.isnan(0.0)


def test_warm_up_builds_the_lazy_parts_in_a_fresh_process():
    code = (
        "from complaint_nlp.analyzer import Analyzer; import complaint_nlp.normalize as N\n"
        "a = Analyzer.load()\n"
        "tok = a.classifier.featurizer._tok\n"
        "before = (tok._engine is None, N._opencc is None, getattr(a.classifier.featurizer, '_packed', None) is None)\n"
        "assert a.warm_up() is a\n"
        "after = (tok._engine is None, N._opencc is None, getattr(a.classifier.featurizer, '_packed', None) is None)\n"
        "print(before, after)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "(True, True, True) (False, False, False)"


def test_chinese_label_names(analyzer, capsys):
    """Issue #17: a Chinese service team reads 售后推诿 and 紧急, not after_sales and urgent."""
    import json

    from complaint_nlp.cli import main

    r = analyzer.analyze("第三次打电话了！再不处理我就去12315投诉")
    n = r.names()
    assert n["level"] == "紧急" and n["emotion"] and n["category"] and not n["category"].isascii()
    assert {"code": "regulator", "name": "监管投诉", "modality": "扬言", "text": "12315"} in n["signals"]
    zh = r.to_dict_labels("zh")
    assert zh["level"] == "紧急" and all(not k.isascii() for k in zh["category_scores"]) and {s["code"] for s in zh["signals"]} >= {"监管投诉"}
    assert r.to_dict_labels("both")["names"] == n and r.to_dict_labels("code") == r.to_dict()
    assert main(["analyze", "--no-model", "--compact", "--labels", "zh", "再不处理我就去12315投诉"]) == 0
    assert json.loads(capsys.readouterr().out)["level"] == "紧急"


def test_score_with_chinese_labels(tmp_path, rules):
    import pandas as pd

    from complaint_nlp.batch import score_file

    src = tmp_path / "in.csv"
    src.write_text("id,ticket,text\n1,A,再不处理我就去12315投诉\n2,A,好的\n", encoding="utf-8")
    for ext in ("csv", "jsonl", "parquet", "xlsx"):
        out = tmp_path / f"o.{ext}"
        score_file(src, out, analyzer=rules, text_col="text", thread_col="ticket", labels="zh", progress=False)
        df = pd.read_json(out, lines=True) if ext == "jsonl" else pd.read_parquet(out) if ext == "parquet" else pd.read_excel(out) if ext == "xlsx" else pd.read_csv(out, encoding="utf-8-sig")
        assert df["level"].tolist()[0] == "紧急" and df["thread_level"].tolist() == ["紧急", "紧急"], ext


def test_a_type_checker_follows_the_public_api(tmp_path):
    """Issue #17: mypy checks a user's script against the package's types (py.typed); assert_type
    in the script fails if a public function's type decays (e.g. to Any)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    pytest.importorskip("mypy")
    root = Path(__file__).resolve().parent.parent
    env = dict(os.environ, MYPYPATH=str(root))
    p = subprocess.run(
        [sys.executable, "-m", "mypy", "--follow-imports=silent", "--cache-dir", str(tmp_path / "cache"), str(root / "tests" / "typing" / "user_script.py")],
        capture_output=True, text=True, cwd=tmp_path, env=env, timeout=600,
    )  # fmt: skip
    assert p.returncode == 0, p.stdout + p.stderr
    assert "Success" in p.stdout
    bad = tmp_path / "bad.py"
    bad.write_text("from typing import assert_type\nimport complaint_nlp\nassert_type(complaint_nlp.analyze('x').level, int)\n", encoding="utf-8")
    p = subprocess.run([sys.executable, "-m", "mypy", "--follow-imports=silent", "--cache-dir", str(tmp_path / "cache"), str(bad)], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=600)
    assert p.returncode == 1 and "[assert-type]" in p.stdout  # the check has teeth
