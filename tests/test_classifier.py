"""Classifier, model artifact, train/evaluate commands (issue #5)."""

import csv
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from complaint_nlp.classifier import ComplaintClassifier, ComplaintModel, ModelError, default_model_path, load_model
from complaint_nlp.cli import main

CORPUS = Path(__file__).resolve().parent.parent / "data" / "labeled" / "corpus.csv"


@pytest.fixture(scope="module")
def corpus():
    with open(CORPUS, encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def small(corpus):
    rows = [r for r in corpus if r["split"] == "train"][::3]
    return [r["text"] for r in rows], [r["category"] for r in rows], [r["emotion"] for r in rows]


def test_sklearn_citizen(small):
    X, y, _ = small
    clf = ComplaintClassifier(C=5.0)
    assert clf.get_params()["C"] == 5.0
    clf.set_params(C=10.0)
    with pytest.raises(ValueError):
        clf.set_params(bogus=1)
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        clf.predict(["x"])
    clf.fit(X, y)
    assert sorted(clf.classes_) == sorted(set(y))
    P = clf.predict_proba(X[:20])
    assert P.shape == (20, len(clf.classes_))
    assert np.allclose(P.sum(axis=1), 1.0)
    assert clf.predict(X[:5]).shape == (5,)
    assert clf.score(X, y) > 0.8  # training accuracy: it learned something
    assert clf.predict_proba([]).shape == (0, len(clf.classes_))
    with pytest.raises(TypeError):
        clf.predict([None])


def test_a_real_scikit_learn_estimator(small):
    """Issue #17: clone, Pipeline, cross_val_score, GridSearchCV, is_classifier, check_is_fitted,
    scikit-learn's own checks (its suite skips string-input estimators but for the ones that
    apply), label types kept, a bare string refused."""
    from sklearn.base import clone, is_classifier
    from sklearn.exceptions import NotFittedError
    from sklearn.model_selection import GridSearchCV, cross_val_score
    from sklearn.pipeline import Pipeline
    from sklearn.utils.estimator_checks import check_estimator
    from sklearn.utils.validation import check_is_fitted

    X, y, _ = small
    X, y = X[:600], y[:600]
    clf = ComplaintClassifier(min_df=1)
    assert is_classifier(clf) and clone(clf).get_params() == clf.get_params()
    with pytest.raises(NotFittedError):
        check_is_fitted(clf)
    results = check_estimator(ComplaintClassifier(min_df=1), on_fail=None)
    assert results and not [r for r in results if r["status"] == "failed"]
    pipe = Pipeline([("clf", ComplaintClassifier(min_df=1))])
    scores = cross_val_score(pipe, X, y, cv=3)
    assert len(scores) == 3 and np.isfinite(scores).all() and scores.mean() > 0.3
    gs = GridSearchCV(pipe, {"clf__C": [1.0, 10.0]}, cv=3).fit(X, y)
    assert np.isfinite(gs.best_score_) and gs.best_params_["clf__C"] in (1.0, 10.0)
    assert 0.0 <= pipe.fit(X, y).score(X, y) <= 1.0 and pipe.predict(X[:3]).shape == (3,)
    check_is_fitted(pipe.named_steps["clf"])
    # integer labels come back as integers
    codes = {c: i for i, c in enumerate(sorted(set(y)))}
    yi = [codes[v] for v in y]
    fitted = ComplaintClassifier(min_df=1).fit(X, yi)
    pred = fitted.predict(X[:10])
    assert pred.dtype.kind == "i" and set(pred.tolist()) <= set(yi)
    # a bare string is not ten one-character texts
    with pytest.raises(TypeError, match="single string"):
        fitted.predict("这是一条投诉")


@pytest.mark.parametrize("estimator", ["logreg", "svc", "sgd", "cnb", "nblr", "logreg_nblr"])
def test_exported_arrays_match_sklearn(small, estimator):
    X, y, _ = small
    clf = ComplaintClassifier(estimator=estimator).fit(X, y)
    from complaint_nlp.normalize import normalize

    norm = [normalize(t).text for t in X[:300]]
    ours = clf.featurizer_.transform(norm)
    theirs = clf.featurizer_.sklearn_transform(norm)
    assert abs(ours - theirs).max() < 1e-9
    assert np.allclose(clf.head_.predict_proba(ours), clf.sklearn_estimator_.predict_proba(theirs), atol=1e-8)


def test_save_load_roundtrip_and_integrity(tmp_path, small):
    X, y, e = small
    from complaint_nlp.train import train_model

    model, report = train_model(X, {"category": y, "emotion": e}, estimator="logreg", name="t")
    d = model.save(tmp_path / "m")
    loaded = ComplaintModel.load(d)
    assert loaded.name == "t"
    from complaint_nlp.normalize import normalize

    norm = [normalize(t).text for t in X[:50]]
    a, b = model.score_dicts(norm), loaded.score_dicts(norm)
    for (c1, e1), (c2, e2) in zip(a, b):
        assert c1.keys() == c2.keys() and all(abs(c1[k] - c2[k]) < 1e-5 for k in c1)
        assert all(abs(e1[k] - e2[k]) < 1e-5 for k in e1)
    # tampering
    t = tmp_path / "tampered"
    shutil.copytree(d, t)
    with open(t / "weights.npz", "ab") as f:
        f.write(b"evil")
    with pytest.raises(ModelError, match="sha256"):
        ComplaintModel.load(t)
    # unknown format
    f2 = tmp_path / "future"
    shutil.copytree(d, f2)
    m = json.loads((f2 / "manifest.json").read_text())
    m["format_version"] = 99
    _write_manifest(f2, m)
    with pytest.raises(ModelError, match="format"):
        ComplaintModel.load(f2)
    # scikit-learn major version mismatch
    f3 = tmp_path / "oldsk"
    shutil.copytree(d, f3)
    m = json.loads((f3 / "manifest.json").read_text())
    m["sklearn_version"] = "0.24.2"
    _write_manifest(f3, m)
    with pytest.raises(ModelError, match="scikit-learn"):
        ComplaintModel.load(f3)
    with pytest.raises(ModelError, match="no model"):
        ComplaintModel.load(tmp_path / "nothing")


def _write_manifest(d, m):
    """Write an edited manifest with a matching manifest_sha256, as a careful forger would."""
    from complaint_nlp.classifier import manifest_digest

    m = dict(m)
    m["manifest_sha256"] = manifest_digest(m)
    (d / "manifest.json").write_text(json.dumps(m))


def test_pickled_arrays_are_refused(tmp_path, small):
    """A weights file carrying a pickled object is rejected, not executed."""
    X, y, _ = small
    from complaint_nlp.train import train_model

    model, _ = train_model(X[:200], {"category": y[:200]}, estimator="cnb")
    d = model.save(tmp_path / "m")
    arrays = dict(np.load(d / "weights.npz"))
    arrays["word_idf"] = np.array([object()] * len(arrays["word_idf"]), dtype=object)
    np.savez(d / "weights.npz", **arrays)
    import hashlib

    m = json.loads((d / "manifest.json").read_text())
    m["files"]["weights.npz"] = hashlib.sha256((d / "weights.npz").read_bytes()).hexdigest()
    _write_manifest(d, m)
    with pytest.raises(ModelError, match="dtype object"):
        ComplaintModel.load(d)


def test_shipped_default_model(analyzer):
    d = default_model_path()
    m = json.loads((d / "manifest.json").read_text(encoding="utf-8"))
    for key in ("format_version", "label_sets", "trained_on", "sklearn_version", "library_version", "metrics", "files", "command"):
        assert key in m, key
    assert len(m["trained_on"]["sha256"]) == 64
    assert set(m["label_sets"]["category"]) <= set(json.loads(json.dumps(list(__import__("complaint_nlp.taxonomy", fromlist=["x"]).CATEGORIES))))
    model = load_model()
    assert model.category_classes and model.emotion_classes
    r = analyzer.analyze("新车提回来第三天发动机就异响，4S店说正常，我要求换车")
    assert r.category in model.category_classes and r.emotion in model.emotion_classes
    assert abs(sum(r.category_scores.values()) - 1) < 1e-6 and abs(sum(r.emotion_scores.values()) - 1) < 1e-6
    assert r.model == model.name


def _write(path, rows, header):
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)


def test_train_refuses_bad_data(tmp_path, corpus, capsys):
    base = [(r["text"], r["category"], r["emotion"]) for r in corpus[:400]]
    p = tmp_path / "empty.csv"
    _write(p, base + [("", "delay", "anger")], ["text", "category", "emotion"])
    assert main(["train", str(p), "--category-col", "category", "-o", str(tmp_path / "m")]) == 1
    assert "empty or missing text" in capsys.readouterr().err
    p = tmp_path / "unknown.csv"
    _write(p, base + [("退款太慢", "refund_speed", "anger")] * 6, ["text", "category", "emotion"])
    assert main(["train", str(p), "--category-col", "category", "-o", str(tmp_path / "m")]) == 1
    assert "unknown category label" in capsys.readouterr().err
    p = tmp_path / "tiny.csv"
    _write(p, base + [("这是我自己的一类", "mine", "anger")] * 3, ["text", "category", "emotion"])
    assert main(["train", str(p), "--category-col", "category", "--allow-new-labels", "-o", str(tmp_path / "m")]) == 1
    assert "fewer than 5" in capsys.readouterr().err
    assert main(["train", str(p), "--category-col", "nope", "-o", str(tmp_path / "m")]) == 1
    assert "not in the file" in capsys.readouterr().err


def test_train_and_evaluate_commands(tmp_path, corpus, capsys):
    rows = [(r["text"], r["category"], r["emotion"], r["split"], r["group"]) for r in corpus[::4]]
    rows += [(f"自定义标签的例子第{i}条，积分兑换失败", "points", "anger", "train", f"g{i}") for i in range(8)]
    p = tmp_path / "mine.csv"
    _write(p, rows, ["text", "category", "emotion", "split", "group"])
    out = tmp_path / "models" / "mine"
    assert main(["train", str(p), "--category-col", "category", "--emotion-col", "emotion", "--split-col", "split", "--allow-new-labels", "--estimator", "logreg", "-o", str(out)]) == 0
    m = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert "points" in m["label_sets"]["category"] and m["command"].startswith("complaint-nlp train")
    capsys.readouterr()
    js = tmp_path / "report.json"
    assert main(["evaluate", str(p), "--model", str(out), "--split", "test", "--category-col", "category", "--emotion-col", "emotion", "--json", str(js), "--plot", "--plot-dir", str(tmp_path)]) == 0
    text = capsys.readouterr().out
    assert "macro-F1" in text and "confusion" in text
    rep = json.loads(js.read_text(encoding="utf-8"))
    assert 0 <= rep["heads"]["category"]["macro_f1"] <= 1 and "per_class" in rep["heads"]["emotion"]
    assert (tmp_path / "confusion_category.png").stat().st_size > 1000


def test_fast_paths_equal_reference_on_the_whole_corpus(corpus):
    """Single-message path, batch path and the straightforward definition agree on every message."""
    from complaint_nlp.normalize import normalize

    model = load_model()
    texts = [normalize(r["text"]).text for r in corpus]
    f = model.featurizer
    assert abs(f.rows(texts).to_scipy() - f.transform_reference(texts)).max() < 1e-12
    batch = model.score_dicts(texts)
    for t, (c, e) in zip(texts, batch):
        (c1, e1), = model.score_dicts([t])
        assert max(abs(c1[k] - c[k]) for k in c) < 1e-9 and max(abs(e1[k] - e[k]) for k in e) < 1e-9


def test_single_row_is_bit_identical_to_its_batch_row(corpus):
    """The single-message featurizer gives exactly the batch path's columns and values (not just
    close ones): the category evidence ranks these values, and a 1-ulp difference reordered near
    ties, so a text's evidence depended on whether it came alone or in a batch."""
    from complaint_nlp.normalize import normalize

    f = load_model().featurizer
    texts = [f.prepare(normalize(r["text"]).text) for r in corpus] + ["", " ", "好", "！！", "a  b"]
    Xw, Xc = f.blocks(texts, prepared=True)
    n_word = Xw.n_cols
    for i, t in enumerate(texts):
        X = f.single(t, prepared=True)
        a, b, c, d = Xw.indptr[i], Xw.indptr[i + 1], Xc.indptr[i], Xc.indptr[i + 1]
        assert np.array_equal(X.col, np.concatenate([Xw.col[a:b], Xc.col[c:d] + n_word]))
        assert np.array_equal(X.val, np.concatenate([Xw.val[a:b], Xc.val[c:d]]))


def test_small_batches_gather_weight_rows_equal_to_scipys_product(corpus):
    """A small batch gathers the weight rows it needs instead of letting scipy cast the whole
    float32 matrix to float64 on every call; both give the same decision values, empty rows too."""
    from complaint_nlp.features import _GATHER_RATIO
    from complaint_nlp.normalize import normalize

    model = load_model()
    texts = ["", *[normalize(r["text"]).text for r in corpus[:40]], "", "   ", *[normalize(r["text"]).text for r in corpus[40:60]], ""]
    Xw, Xc = model.featurizer.blocks(texts)
    n_word = Xw.n_cols
    for X, W in ((Xw, model._WT[:n_word]), (Xc, model._WT[n_word:])):
        assert W.dtype == np.float32 and len(X.col) * _GATHER_RATIO < W.shape[0]  # dot() gathers
        want = np.asarray(X.to_scipy() @ W.astype(np.float64))
        got = X.dot(W)
        assert got.shape == want.shape == (len(texts), W.shape[1]) and got.dtype == np.float64
        assert np.abs(got - want).max() < 1e-12
        assert not got[0].any() and not got[-1].any()
    empty_w, _ = model.featurizer.blocks(["", " "])
    assert not empty_w.dot(model._WT[:n_word]).any()
    # a large batch goes through scipy, and gives the same values as gathering
    big_w, _ = model.featurizer.blocks([normalize(r["text"]).text for r in corpus[:2000]])
    assert len(big_w.col) * _GATHER_RATIO >= n_word
    assert np.abs(big_w.dot(model._WT[:n_word]) - big_w._gathered_dot(model._WT[:n_word])).max() < 1e-12


def test_shipped_model_reproduces_its_recorded_test_metrics():
    """Inference must featurize exactly as training did: the manifest's held-out figures are
    reproduced to the last digit (a tokenizer or normalisation drift would change them)."""
    from complaint_nlp.train import evaluate_file

    m = json.loads((default_model_path() / "manifest.json").read_text(encoding="utf-8"))
    rep = evaluate_file(CORPUS, split="test", category_col="category", emotion_col="emotion")
    for head in ("category", "emotion"):
        assert rep["heads"][head]["macro_f1"] == pytest.approx(m["metrics"]["test_split"][head]["macro_f1"], abs=1e-12)


def test_proba_one_equals_vectorised_probabilities_for_every_head_kind():
    """The plain-Python single-row probabilities (issue #7) equal the numpy ones, extremes included."""
    import numpy as np

    from complaint_nlp.classifier import LinearHead

    rng = np.random.default_rng(0)
    heads = [
        LinearHead(list("abcd"), "softmax", np.zeros((1, 4, 3)), np.zeros((1, 4))),
        LinearHead(list("ab"), "softmax", np.zeros((1, 1, 3)), np.zeros((1, 1))),
        LinearHead(list("abc"), "ovr", np.zeros((1, 3, 3)), np.zeros((1, 3))),
        LinearHead(list("ab"), "ovr", np.zeros((1, 1, 3)), np.zeros((1, 1))),
        LinearHead(list("abcd"), "sigmoid_ensemble", np.zeros((3, 4, 3)), np.zeros((3, 4)), rng.normal(-3, 1, (3, 4)), rng.normal(0, 1, (3, 4))),
        LinearHead(list("ab"), "sigmoid_ensemble", np.zeros((2, 1, 3)), np.zeros((2, 1)), rng.normal(-3, 1, (2, 1)), rng.normal(0, 1, (2, 1))),
    ]
    for h in heads:
        for scale in (0.1, 3.0, 800.0):
            z = rng.normal(0, scale, (20, h.n_outputs))
            want = h.proba_from_decision(z.copy())
            for row, w in zip(z, want):
                got = h.proba_one(row.tolist())
                assert np.allclose(got, w, rtol=0, atol=1e-12), (h.kind, scale)
                assert abs(sum(got) - 1) < 1e-9


def test_loaded_model_keeps_one_copy_of_its_weights():
    """Head weights are views into the combined scoring matrix (RSS target of issue #7)."""
    import numpy as np

    model = load_model()
    for h in model.heads.values():
        assert np.shares_memory(h.W, model._WT) and np.shares_memory(h.WT, model._WT)


def test_hash_table_finds_every_key_and_nothing_else():
    import numpy as np

    from complaint_nlp.features import _build_hash, _hash_lookup

    rng = np.random.default_rng(1)
    for n in (1, 7, 1000, 20000):
        keys = np.unique(rng.integers(0, 2**63 - 1, n, dtype=np.int64).astype(np.uint64))
        vals = rng.permutation(len(keys)).astype(np.int32)
        tk, tv, bits = _build_hash(keys, vals)
        assert (tk != np.uint64(2**64 - 1)).sum() == len(keys) and len(tk) >= 2 * len(keys)
        assert (_hash_lookup(keys, tk, tv, bits) == vals).all()
        absent = rng.integers(0, 2**63 - 1, 5000, dtype=np.int64).astype(np.uint64)
        absent = absent[~np.isin(absent, keys)]
        assert (_hash_lookup(absent, tk, tv, bits) == -1).all()
    # structured keys (multiples of 2**40) still resolve, whatever chains they make
    crowd = np.arange(64, dtype=np.uint64) * np.uint64(2**40)
    tk, tv, bits = _build_hash(crowd, np.arange(64, dtype=np.int32))
    assert (_hash_lookup(crowd, tk, tv, bits) == np.arange(64)).all()


def test_train_with_the_jieba_backend_records_and_uses_it(tmp_path, corpus):
    from complaint_nlp.analyzer import Analyzer

    rows = [(r["text"], r["category"], r["emotion"], r["group"]) for r in corpus[::12]]
    p = tmp_path / "small.csv"
    _write(p, rows, ["text", "category", "emotion", "group"])
    out = tmp_path / "jieba_model"
    assert main(["train", str(p), "--category-col", "category", "--estimator", "logreg", "--tokenizer", "jieba", "-o", str(out)]) == 0
    m = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert m["features"]["tokenizer"] == "jieba"
    an = Analyzer.load(out)
    assert an.classifier.featurizer._tok.backend == "jieba"
    assert an.analyze("刹车失灵差点出事故").category in m["label_sets"]["category"]


def test_model_card_is_written_from_the_manifest_and_a_changelog_exists():
    """Issue #17: models/default/MODEL_CARD.md says what the manifest says (bench/model_card.py
    writes it after every training run), and CHANGELOG.md follows Keep a Changelog."""
    import importlib.util
    import json
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    spec = importlib.util.spec_from_file_location("model_card", root / "bench" / "model_card.py")
    mc = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mc)  # type: ignore[union-attr]
    manifest = json.loads((root / "models" / "default" / "manifest.json").read_text(encoding="utf-8"))
    card = (root / "models" / "default" / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert card == mc.render(manifest)
    assert "## Known weaknesses" in card and "## Intended use" in card
    changelog = (root / "CHANGELOG.md").read_text(encoding="utf-8")
    assert changelog.startswith("# Changelog") and "## [Unreleased]" in changelog
    assert load_model(default_model_path()).name == manifest["name"]  # the card beside the model does not disturb loading


def test_sample_weights_count_like_repeated_texts_and_bad_ones_are_refused(small):
    """A weight of 2 fits the same heads as the text written twice (the vocabulary shared); a
    weight of 0 as the text left out; every bad weight is one ValueError."""
    X, _, y = small
    X, y = X[:600], y[:600]
    w = np.ones(len(X))
    w[:100], w[100:150] = 2.0, 0.0
    weighted = ComplaintClassifier(min_df=1).fit(X, y, w)
    feat = weighted.featurizer_
    repeated = ComplaintClassifier(min_df=1).fit(X[:100] + X[:100] + X[150:], y[:100] + y[:100] + y[150:], featurizer=feat)
    plain = ComplaintClassifier(min_df=1).fit(X, y, featurizer=feat)
    probe = X[100:160]
    assert np.abs(weighted.predict_proba(probe) - repeated.predict_proba(probe)).max() < 1e-6
    assert np.abs(weighted.predict_proba(probe) - plain.predict_proba(probe)).max() > 1e-3  # the weights did something
    ones = ComplaintClassifier(min_df=1).fit(X, y, np.ones(len(X)), featurizer=feat)
    assert np.array_equal(ones.predict_proba(probe), plain.predict_proba(probe))
    for bad, says in (([1.0] * 5, "one weight per text"), (-w, "must be finite and >= 0"), (np.where(w > 1, np.nan, w), "finite"),
                      (np.zeros(len(X)), "zero for every text"), (np.ones((len(X), 1)), "one weight per text")):
        with pytest.raises(ValueError, match=says):
            ComplaintClassifier(min_df=1).fit(X, y, bad, featurizer=feat)


def test_share_weights_give_each_value_count_to_the_power():
    from complaint_nlp.train import share_weights

    values = ["everyday"] * 90 + ["chat"] * 10
    for power in (0.0, 0.5, 1.0):
        w = share_weights(values, power)
        assert w.shape == (100,) and abs(w.mean() - 1.0) < 1e-12
        big, small_ = w[:90].sum(), w[90:].sum()
        assert abs(big / small_ - 9.0 ** power) < 1e-9
        assert len(set(np.round(w[:90], 12))) == 1  # rows of one value weigh the same
    assert np.array_equal(share_weights(values, 1.0), np.ones(100))
    assert share_weights([], 0.5).shape == (0,)
    for bad in (-0.1, 1.5, float("nan")):
        with pytest.raises(ValueError, match="power"):
            share_weights(values, bad)


def test_train_weight_by_records_the_weights_and_refuses_bad_columns(tmp_path, corpus, capsys):
    rows = [(r["text"], r["category"], r["emotion"], r["split"], r["group"], r["channel"]) for r in corpus[::12]]
    p = tmp_path / "mine.csv"
    _write(p, rows, ["text", "category", "emotion", "split", "group", "channel"])
    out = tmp_path / "weighted"
    args = ["train", str(p), "--category-col", "category", "--emotion-col", "emotion", "--split-col", "split", "--estimator", "logreg"]
    assert main([*args, "--weight-by", "channel", "--weight-power", "0", "-o", str(out)]) == 0
    m = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert m["training"]["sample_weights"] == {"column": "channel", "power": 0.0}
    assert "--weight-by channel" in m["command"]
    plain = tmp_path / "plain"
    assert main([*args, "-o", str(plain)]) == 0
    assert "sample_weights" not in json.loads((plain / "manifest.json").read_text(encoding="utf-8"))["training"]
    a, b = load_model(out), load_model(plain)
    texts = [r[0] for r in rows[:200]]
    assert not np.allclose(a.predict_proba(texts, "emotion"), b.predict_proba(texts, "emotion"))
    capsys.readouterr()
    assert main([*args, "--weight-by", "nope", "-o", str(tmp_path / "x")]) == 1
    assert "weight-by column 'nope' not in the file" in capsys.readouterr().err
    holes = [r[:5] + ("" if i % 50 == 0 else r[5],) for i, r in enumerate(rows)]
    _write(p, holes, ["text", "category", "emotion", "split", "group", "channel"])
    assert main([*args, "--weight-by", "channel", "-o", str(tmp_path / "x")]) == 1
    assert "training rows have no value" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main([*args, "--weight-by", "channel", "--weight-power", "2", "-o", str(tmp_path / "x")])
    assert "expected a number in 0..1" in capsys.readouterr().err


def test_complaint_classifier_and_train_accept_nblr(small):
    from sklearn.base import clone

    from complaint_nlp.train import train_model

    X, y, e = small
    clf = ComplaintClassifier(estimator="nblr", min_df=1).fit(X[:600], y[:600])
    assert clone(clf).get_params()["estimator"] == "nblr"
    assert clf.head_.kind == "ovr" and clf.predict_proba(X[:5]).shape == (5, len(clf.classes_))
    model, _ = train_model(X[:600], {"category": y[:600], "emotion": e[:600]}, estimator={"category": "logreg", "emotion": "nblr"})
    assert model.heads["emotion"].kind == "ovr" and model.heads["category"].kind == "softmax"
