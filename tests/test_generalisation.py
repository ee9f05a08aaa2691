"""Issue #11: typed placeholders, category evidence, the style-held-out set and its separation."""

import csv
import json
from pathlib import Path

import pytest

from complaint_nlp.analyzer import Analyzer
from complaint_nlp.corpus import COLUMNS, check_heldout
from complaint_nlp.placeholders import MARKERS, PlaceholderError, PlaceholderSpec, default_spec

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "data" / "labeled" / "corpus.csv"
HELDOUT = ROOT / "data" / "heldout" / "heldout.csv"


# ---------------------------------------------------------------- placeholders
@pytest.mark.parametrize(
    "name, kind",
    [
        ("北京12345", "regulator"),
        ("中国消费者协会", "regulator"),
        ("上海市场监管", "regulator"),
        ("工信部12381", "regulator"),
        ("平安北京", "police"),
        ("深圳交警", "police"),
        ("新京报", "media"),
        ("澎湃新闻", "media"),
        ("央视财经", "media"),
        ("成都发布", "government"),
        ("平安银行", "account"),  # a bank, not the police
        ("京东客服", "account"),
        ("小王今天不加班", "account"),
    ],
)
def test_account_types(name, kind):
    assert default_spec().account_type(name) == kind


def test_mask_replaces_names_links_and_numbers_and_maps_back():
    spec = default_spec()
    src = "@北京12345 @新京报 @中国移动10086 宽带断网3天，打了12315，订单号202312120033445，退我299元，车牌粤B12345 https://t.cn/abc 比亚迪 x@qq.com"
    m = spec.mask(src)
    assert "12315" in m.text  # service numbers that mean something stay
    for gone in ("北京12345", "新京报", "202312120033445", "299", "粤B12345", "https://t.cn/abc", "比亚迪", "x@qq.com"):
        assert gone not in m.text
    markers = [(i, c) for i, c in enumerate(m.text) if "\ue000" <= c <= "\uf8ff"]
    seen = {src[slice(*m.to_source(i, i + 1))] for i, _ in markers}
    assert {"@北京12345", "@新京报", "@中国移动10086", "3", "202312120033445", "299", "粤B12345", "https://t.cn/abc", "比亚迪", "x@qq.com"} <= seen
    assert MARKERS["long_id"] in m.text and MARKERS["url"] in m.text and MARKERS["plate"] in m.text
    # every unmasked character maps to itself, and spans across markers cover their sources
    for i, c in enumerate(m.text):
        if not "\ue000" <= c <= "\uf8ff":
            s, e = m.to_source(i, i + 1)
            assert src[s:e] == c
    s, e = m.to_source(0, len(m.text))
    assert (s, e) == (0, len(src))
    assert spec.mask_text(src) == m.text
    assert spec.mask("没有要换的东西").text == "没有要换的东西"
    # a brand's own account is typed by the brand's industry, not as a generic account
    assert spec.mask("@中国移动10086").text == spec.mask("中国移动").text


def test_spec_round_trips_through_its_dict_form():
    spec = default_spec()
    again = PlaceholderSpec.from_dict(json.loads(json.dumps(spec.to_dict())))
    assert again == spec
    text = "@澎湃新闻 @平安上海 淘宝买的华为手机坏了，退款1299元"
    assert again.mask_text(text) == spec.mask_text(text)


def _spec_dict():
    return json.loads(json.dumps(default_spec().to_dict()))


@pytest.mark.parametrize(
    "breakage, words",
    [
        (lambda d: d.update(brand={"x": ["y"]}), "unknown section"),
        (lambda d: d.pop("numbers"), "missing section"),
        (lambda d: d["accounts"].update(polise=["公安"]), "polise"),
        (lambda d: d["accounts"]["order"].append("press"), "press"),
        (lambda d: d["accounts"].update(media=[]), "media"),
        (lambda d: d["accounts"].update(media=["(unclosed"]), "bad regular expression"),
        (lambda d: d["brands"].update(auto="比亚迪"), "auto"),
        (lambda d: d["numbers"].update(long_id_digits="7"), "long_id_digits"),
        (lambda d: d["numbers"].update(long_id_digits=2), "long_id_digits"),
        (lambda d: d["numbers"].update(keep=["12315", "abc"]), "keep"),
        (lambda d: d["numbers"].update(kep=["1"]), "kep"),
    ],
)
def test_broken_specs_fail_with_the_key(breakage, words):
    d = _spec_dict()
    breakage(d)
    with pytest.raises(PlaceholderError, match=words):
        PlaceholderSpec.from_dict(d, source="my.toml")


def test_broken_spec_file_names_the_file(tmp_path):
    p = tmp_path / "ph.toml"
    p.write_text("[accounts]\norder = [\"media\"]\nmedia = [\"报\"]\n[brands]\nauto = [\"x\"]\n[numberz]\n", encoding="utf-8")
    with pytest.raises(PlaceholderError, match=str(p)):
        PlaceholderSpec.load(p)


def test_model_keeps_the_spec_it_was_trained_with(tmp_path):
    """A saved model carries its placeholder spec: predictions never change when the shipped
    file does, and a model without one reads the text as it is."""
    from complaint_nlp.classifier import ComplaintModel, load_model

    model = load_model()
    assert model.featurizer.placeholders is not None
    assert model.manifest["features"]["placeholders"] == model.featurizer.placeholders.to_dict()
    d = model.save(tmp_path / "m")
    again = ComplaintModel.load(d)
    text = "@新京报 @北京12345 宽带又断了三天，订单号1234567890"
    from complaint_nlp.normalize import normalize

    t = normalize(text).text
    assert again.score_one(t) == model.score_one(t)


# ---------------------------------------------------------------- category evidence
@pytest.fixture(scope="module")
def corpus_rows():
    with open(CORPUS, encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_evidence_spans_index_the_original_text(analyzer, corpus_rows):
    texts = [r["text"] for r in corpus_rows[::40]]
    texts += ["<p>@中國移動10086 寬帶一到晚上就卡成PPT，打了５次客服</p>都說會處理&nbsp;到現在沒人管！", "  快递   丢件了  ", "🙃🙃🙃 退款！！！"]
    for text, r in zip(texts, analyzer.analyze_many(texts)):
        assert r.category is not None
        assert len(r.category_evidence) <= 3
        weights = [e.weight for e in r.category_evidence]
        assert weights == sorted(weights, reverse=True) and all(w > 0 for w in weights)
        for e in r.category_evidence:
            assert text[e.start : e.end] == e.text and e.text.strip() == e.text and e.text


def test_evidence_is_what_raised_the_category(analyzer):
    """Removing the strongest evidence span lowers the category's probability."""
    texts = ["快递显示已签收但我根本没收到，驿站说不知道", "4S店保养的时候把我车门刮了一道，还不承认", "买的时候说送全年保养，结果提车就不认了", "宽带一到晚上就断网，网速慢得像蜗牛"]
    for text in texts:
        r = analyzer.analyze(text)
        top = r.category_evidence[0]
        without = analyzer.analyze(text[: top.start] + text[top.end :])
        assert without.category_scores[r.category] < r.category_scores[r.category], (text, top)


def test_evidence_switches(corpus_rows):
    an = Analyzer.load(evidence_spans=0)
    assert an.analyze("快递丢件了").category_evidence == ()
    one = Analyzer.load(evidence_spans=1).analyze("快递丢件了，客服还骂人，退款也不给")
    assert len(one.category_evidence) == 1
    assert Analyzer.load(model=False).analyze("快递丢件了").category_evidence == ()
    with pytest.raises(ValueError):
        Analyzer(evidence_spans=-1)
    d = one.to_dict()
    assert d["category_evidence"][0]["text"] == one.category_evidence[0].text


def test_batch_rows_carry_category_evidence(analyzer):
    import pandas as pd

    from complaint_nlp.batch import score_frame

    df = pd.DataFrame({"text": ["快递丢件了，驿站不管", None, "", "刹车失灵差点撞了"]})
    out = score_frame(df, "text", analyzer=analyzer)
    assert len(out) == 4
    ev = [json.loads(v) for v in out["category_evidence"]]
    assert ev[1] == [] and ev[2] == []
    for text, spans in ((df["text"][0], ev[0]), (df["text"][3], ev[3])):
        assert spans and all(text[s["start"] : s["end"]] == s["text"] for s in spans)


# ---------------------------------------------------------------- the held-out set
def test_heldout_set_is_separate_from_the_corpus():
    report = check_heldout(HELDOUT, CORPUS)
    failed = [c for c in report["checks"] if not c["ok"]]
    assert not failed, failed
    assert report["stats"]["rows"] >= 2000


def test_heldout_check_catches_leakage(tmp_path, corpus_rows):
    with open(HELDOUT, encoding="utf-8") as f:
        held = list(csv.DictReader(f))
    held[0]["text"] = corpus_rows[10]["text"]  # a training text copied into the test set
    held[1]["text"] = corpus_rows[20]["text"] + "！！"  # a near-copy
    held[2]["split"] = "train"
    p = tmp_path / "heldout.csv"
    with open(p, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=COLUMNS)
        w.writeheader()
        w.writerows(held)
    bad = {c["name"] for c in check_heldout(p, CORPUS)["checks"] if not c["ok"]}
    assert {"no text shared with the corpus", "no near-duplicate of a corpus text", "split"} <= bad


# ---------------------------------------------------------------- command line and tools
def test_cli_evidence_spans_and_estimator_arguments(capsys):
    from complaint_nlp.cli import _estimator_arg, main

    assert main(["analyze", "--evidence-spans", "1", "快递丢件了，驿站也不管"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert len(out["category_evidence"]) == 1
    assert main(["analyze", "--evidence-spans", "0", "快递丢件了"]) == 0
    assert json.loads(capsys.readouterr().out)["category_evidence"] == []
    with pytest.raises(SystemExit):
        main(["analyze", "--evidence-spans", "-1", "快递丢件了"])
    assert _estimator_arg("auto") == "auto"
    assert _estimator_arg("category=svc,emotion=logreg") == {"category": "svc", "emotion": "logreg"}
    from complaint_nlp.cli import UsageError

    for bad in ("forest", "category=forest", "topic=svc"):
        with pytest.raises(UsageError):
            _estimator_arg(bad)


def test_train_without_placeholders_records_none(tmp_path, corpus_rows):
    from complaint_nlp.cli import main

    rows = [r for r in corpus_rows if r["split"] == "train"][::10]
    p = tmp_path / "small.csv"
    with open(p, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["text", "category", "emotion"])
        w.writerows((r["text"], r["category"], r["emotion"]) for r in rows)
    for flag, expect in ((["--no-placeholders"], None), ([], dict)):
        out = tmp_path / f"m{len(flag)}"
        assert main(["train", str(p), "--category-col", "category", "--emotion-col", "emotion", "--estimator", "category=logreg,emotion=sgd", "-o", str(out), *flag]) == 0
        m = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
        assert m["training"]["chosen"] == {"category": "logreg", "emotion": "sgd"}
        ph = m["features"]["placeholders"]
        assert ph is None if expect is None else isinstance(ph, dict)
        text = "@新京报 快递丢件了，驿站说不归他们管"
        r = Analyzer.load(out).analyze(text)
        assert r.category is not None and r.category_evidence
        assert all(text[e.start : e.end] == e.text for e in r.category_evidence)


def test_legacy_channels_and_calibration_helper():
    import importlib.util
    import sys

    spec = importlib.util.spec_from_file_location("merge_parts", ROOT / "data" / "labeled" / "tools" / "merge_parts.py")
    mp = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mp)
    assert mp.legacy_channel("cart", "某车变速箱异响", "product_quality", "normal") == "platform"
    assert mp.legacy_channel("tele", "客户来电称宽带断网三天", "product_quality", "normal") == "callcenter"
    assert mp.legacy_channel("tele", "@中国移动 宽带又断了", "product_quality", "normal") == "weibo"
    assert mp.legacy_channel("life", "今天下雨了，心情好差。", "other", "minor") == "everyday"
    assert mp.legacy_channel("ecom", "退款还没到", "delay", "normal") == "chat"
    assert mp.legacy_channel("ecom", "买的衣服起球了，客服说是正常现象，我不接受，要求退货退款。", "product_quality", "normal") == "forum"
    sys.path.insert(0, str(ROOT / "bench"))
    from eval_generalisation import ece

    assert ece([0.9] * 10, [True] * 9 + [False]) == pytest.approx(0.0)
    assert ece([1.0, 1.0], [False, False]) == pytest.approx(1.0)
    assert ece([], []) == 0.0


def test_format_1_models_still_load_and_score_the_raw_text(tmp_path, corpus_rows):
    """A model saved before placeholders existed (format 1) loads, with no placeholders."""
    from complaint_nlp.classifier import ComplaintModel
    from complaint_nlp.features import Featurizer
    from complaint_nlp.normalize import normalize
    from complaint_nlp.train import train_model

    rows = [r for r in corpus_rows if r["split"] == "train"][::12]
    model, _ = train_model([r["text"] for r in rows], {"category": [r["category"] for r in rows]}, estimator="logreg", featurizer=Featurizer())
    d = model.save(tmp_path / "old")
    t = normalize("@新京报 宽带断了三天，订单号1234567890").text
    before = ComplaintModel.load(d).score_one(t)  # float32 weights on disk: compare loaded with loaded
    m = json.loads((d / "manifest.json").read_text(encoding="utf-8"))
    assert m["format_version"] == 3
    m["format_version"] = 1  # a format-1 manifest: no placeholders, no manifest hash
    del m["features"]["placeholders"]
    del m["manifest_sha256"]
    (d / "manifest.json").write_text(json.dumps(m, ensure_ascii=False), encoding="utf-8")
    old = ComplaintModel.load(d)
    assert old.featurizer.placeholders is None
    assert old.score_one(t) == before


def test_a_text_alone_and_in_a_batch_gets_the_same_result(analyzer, corpus_rows):
    """analyze(t) equals t's row of analyze_many, category evidence included, on the whole test
    split, and in batches of every size the service's micro-batching forms: the single path's
    feature values are bit-identical to the batch path's, so the evidence ranking cannot differ."""
    texts = [r["text"] for r in corpus_rows if r["split"] == "test"]
    batch = [r.to_dict() for r in analyzer.analyze_many(texts)]
    assert [analyzer.analyze(t).to_dict() for t in texts] == batch
    for size in (2, 3, 7, 64):
        small = [r.to_dict() for i in range(0, 700, size) for r in analyzer.analyze_many(texts[i : i + size])]
        assert small == batch[: len(small)]


def test_evidence_fast_path_equals_the_general_one(corpus_rows):
    """The logistic-regression fast path of the evidence weights equals the general gather."""
    import numpy as np

    from complaint_nlp.classifier import load_model
    from complaint_nlp.explain import _leads, _leads_general

    model = load_model()
    n = model.featurizer.n_features
    rng = np.random.default_rng(0)
    col = rng.integers(0, n, 5000)
    cls = rng.integers(0, len(model.category_classes), 5000)
    assert np.allclose(_leads(model, col, cls), _leads_general(model, col, cls), atol=1e-5)
