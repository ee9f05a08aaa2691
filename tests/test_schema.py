"""Rules, settings and models as strict, typed data (issue #12): every broken file fails at load
with one error that names the file, the rule or section, and the key."""

from __future__ import annotations

import json
import re
import shutil
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from complaint_nlp import schema
from complaint_nlp.errors import ComplaintNLPError, ConfigError, ModelError
from complaint_nlp.escalation import EscalationRules
from complaint_nlp.lexicon import Lexicon, default_lexicon_path
from complaint_nlp.saferegex import MAX_WAYS, compile_checked, pattern_ways

SHIPPED_LEXICON = default_lexicon_path().read_text(encoding="utf-8")
SHIPPED_ESCALATION = (default_lexicon_path().parent / "escalation.toml").read_text(encoding="utf-8")

RULE = 'name = "x"\ncode = "media"\nkeywords = ["抖音"]\n'

# (id, text of a file passed with --extend-lexicon, what the one-line error must say)
EXTEND_CASES = [
    ("section typo", '[[signal]]\n' + RULE, "unknown section 'signal' (did you mean 'signals'?)"),
    ("rule key typo", '[[signals]]\nname = "x"\ncode = "media"\nkeyword = ["抖音"]\n', "rule 'x': unknown key 'keyword' (did you mean 'keywords'?)"),
    ("rule without name", '[[signals]]\ncode = "media"\nkeywords = ["抖音"]\n', "[[signals]] #1: missing required key 'name'"),
    ("rule without code", '[[signals]]\nname = "x"\nkeywords = ["抖音"]\n', "rule 'x': missing required key 'code'"),
    ("score a string", '[[signals]]\n' + RULE + 'score = "high"\n', "rule 'x': key 'score': expected a number"),
    ("score above 1", '[[signals]]\n' + RULE + "score = 1.5\n", "rule 'x': key 'score': 1.5 is out of range"),
    ("score a bool", '[[signals]]\n' + RULE + "score = true\n", "rule 'x': key 'score': expected a number"),
    ("keywords a string", '[[signals]]\nname = "x"\ncode = "media"\nkeywords = "抖音"\n', "rule 'x': key 'keywords': expected an array of strings"),
    ("keyword a number", '[[signals]]\nname = "x"\ncode = "media"\nkeywords = [12315]\n', "rule 'x': key 'keywords': item #1 must be a non-empty string"),
    ("empty keyword", '[[signals]]\nname = "x"\ncode = "media"\nkeywords = [""]\n', "rule 'x': key 'keywords': item #1 must be a non-empty string"),
    ("modality typo", '[[signals]]\n' + RULE + 'modality = "threatend"\n', "rule 'x': key 'modality': 'threatend' is not one of"),
    ("unknown extractor", '[[signals]]\n' + RULE + 'details = "count"\n', "rule 'x': key 'details': 'count' is not one of"),
    ("unknown code", '[[signals]]\nname = "x"\ncode = "press"\nkeywords = ["抖音"]\n', "rule 'x': key 'code': unknown signal code 'press'"),
    ("trait code as signal", '[[signals]]\nname = "x"\ncode = "legal_jargon"\nkeywords = ["抖音"]\n', "rule 'x': key 'code': unknown signal code"),
    ("extractor on a trait", '[[traits]]\nname = "x"\ncode = "legal_jargon"\nkeywords = ["民法典"]\ndetails = "repeat_count"\n', "rule 'x': key 'details': detail extractors apply to signals only"),
    ("name of a shipped rule", '[[signals]]\nname = "legal.action"\ncode = "legal"\nkeywords = ["打官司"]\n', "key 'signals': duplicate name(s) ['legal.action']"),
    ("keyword listed twice", '[[signals]]\nname = "x"\ncode = "media"\nkeywords = ["抖音", "快手", "抖音"]\n', "rule 'x': key 'keywords': '抖音' is listed twice"),
    ("cue listed twice", '[modality]\nthreat = ["要", "将", "要"]\n', "[modality]: key 'threat': '要' is listed twice"),
    ("nothing to match", '[[signals]]\nname = "x"\ncode = "media"\n', "rule 'x': needs 'keywords' or 'patterns'"),
    ("nested unbounded", '[[signals]]\nname = "x"\ncode = "media"\npatterns = ["(a+)+b"]\n', "rule 'x': key 'patterns': unsafe regular expression '(a+)+b': unbounded repeat"),
    ("nested bounded", '[[signals]]\nname = "x"\ncode = "media"\npatterns = ["(?:a{1,9}){1,9}b"]\n', "rule 'x': key 'patterns': unsafe regular expression '(?:a{1,9}){1,9}b': a repeat inside a repeat"),
    ("star", '[[signals]]\nname = "x"\ncode = "media"\npatterns = ["曝光.*了"]\n', "rule 'x': key 'patterns': unsafe regular expression '曝光.*了': unbounded repeat"),
    ("back-reference", '[[signals]]\nname = "x"\ncode = "media"\npatterns = [\'(曝)\\1光\']\n', "rule 'x': key 'patterns': unsafe regular expression"),
    ("too many ways", '[[signals]]\nname = "x"\ncode = "media"\npatterns = [".{0,200}.{0,200}曝光"]\n', "rule 'x': key 'patterns': regular expression '.{0,200}.{0,200}曝光' can try 40,401 matches from one position (limit 10,000)"),
    ("regex does not parse", '[[signals]]\nname = "x"\ncode = "media"\npatterns = ["[曝光"]\n', "rule 'x': key 'patterns': bad regular expression '[曝光'"),
    ("named group", '[[signals]]\nname = "x"\ncode = "media"\npatterns = ["(?P<m>曝光)"]\n', "rule 'x': key 'patterns': named groups are not allowed"),
    ("setting a string", '[settings]\ncontext_window = "12"\n', "[settings]: key 'context_window': expected an integer, got string '12'"),
    ("setting a float for an int", "[settings]\nveto_window = 2.5\n", "[settings]: key 'veto_window': expected an integer"),
    ("setting out of range", "[settings]\nintensity_threshold = 2\n", "[settings]: key 'intensity_threshold': 2.0 is out of range 0.0..1.0"),
    ("repeat count of one", "[settings]\nmin_repeat_count = 1\n", "[settings]: key 'min_repeat_count': 1 is out of range 2..1000"),
    ("repeat count out of range", "[settings]\nmin_repeat_count = 5000\n", "[settings]: key 'min_repeat_count': 5000 is out of range"),
    ("amount a bool", "[settings]\nexcessive_amount = true\n", "[settings]: key 'excessive_amount': expected a number"),
    ("setting typo", "[settings]\ncontxt_window = 5\n", "[settings]: unknown key 'contxt_window' (did you mean 'context_window'?)"),
    ("cue list typo", '[modality]\ntreat = ["要"]\n', "[modality]: unknown key 'treat' (did you mean 'threat'?)"),
    ("empty cue list", "[modality]\nthreat = []\n", "[modality]: key 'threat': needs at least 1 item"),
    ("unsafe cue", '[modality]\nthreat = ["(?:要)+"]\n', "[modality]: key 'threat': unsafe regular expression '(?:要)+'"),
    ("cue a string", '[modality]\nnegation = "不会"\n', "[modality]: key 'negation': expected an array of strings"),
    ("profanity a string", '[intensity]\nprofanity = "tmd"\n', "[intensity]: key 'profanity': expected an array of strings"),
    ("intensity typo", '[intensity]\nacronym = ["4S"]\n', "[intensity]: unknown key 'acronym' (did you mean 'acronyms'?)"),
    ("detail words a string", '[details]\nrepair_words = "返修"\n', "[details]: key 'repair_words': expected an array of strings"),
    ("detail words typo", '[details]\nrepair_word = ["返修"]\n', "[details]: unknown key 'repair_word' (did you mean 'repair_words'?)"),
    ("empty amount words", "[amounts]\ndemand_before = []\n", "[amounts]: key 'demand_before': needs at least 1 item"),
    ("unsafe amount words", '[amounts]\ndemand_after = ["(?:赔)*"]\n', "[amounts]: key 'demand_after': unsafe regular expression"),
    ("future version", 'version = "2"\n', "key 'version': '2' is not one of '1'"),
    ("version a number", "version = 1\n", "key 'version': expected a string"),
    ("section not a table", "settings = 3\n", "key 'settings': expected a table"),
]


@pytest.mark.parametrize("text,message", [c[1:] for c in EXTEND_CASES], ids=[c[0] for c in EXTEND_CASES])
def test_a_broken_extension_file_names_the_file_rule_and_key(tmp_path, text, message):
    p = tmp_path / "mine.toml"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        Lexicon.load(p, extend=True)
    msg = str(exc.value)
    assert msg.startswith(str(p)), msg
    assert message in msg, msg
    assert "\n" not in msg


def _without_key(text: str, section: str, key: str) -> str:
    """The shipped TOML with ``key = …`` (one line) removed from ``[section]``."""
    head, _, rest = text.partition(f"[{section}]\n")
    lines = rest.split("\n")
    i = next(i for i, line in enumerate(lines) if line.startswith(f"{key} ="))
    return head + f"[{section}]\n" + "\n".join(lines[:i] + lines[i + 1 :])


# (id, change to the shipped lexicon used as a full replacement, error)
FULL_LEXICON_CASES = [
    ("missing cue list", lambda t: _without_key(t, "modality", "threat"), "[modality]: missing required key 'threat'"),
    ("missing setting", lambda t: _without_key(t, "settings", "min_repeat_count"), "[settings]: missing required key 'min_repeat_count'"),
    ("missing section", lambda t: t.replace("[amounts]", "[amount]"), "unknown section 'amount' (did you mean 'amounts'?)"),
    ("missing detail words", lambda t: _without_key(t, "details", "repair_words"), "[details]: missing required key 'repair_words'"),
]


@pytest.mark.parametrize("change,message", [c[1:] for c in FULL_LEXICON_CASES], ids=[c[0] for c in FULL_LEXICON_CASES])
def test_a_broken_full_lexicon_names_the_key(tmp_path, change, message):
    p = tmp_path / "full.toml"
    p.write_text(change(SHIPPED_LEXICON), encoding="utf-8")
    with pytest.raises(ConfigError, match=re.escape(message)):
        Lexicon.load(p)


ESCALATION_CASES = [
    ("level typo", lambda t: t.replace("[urgent]", "[urgnet]"), "unknown section 'urgnet' (did you mean 'urgent'?)"),
    ("signal code typo", lambda t: t.replace('signals = ["regulator", "media", "legal"]', 'signals = ["regulater", "media", "legal"]'), "[urgent]: key 'signals': 'regulater' is not one of"),
    ("probability out of range", lambda t: t.replace("min_category_probability = 0.5", "min_category_probability = 5"), "[urgent]: key 'min_category_probability': 5.0 is out of range"),
    ("bool as a string", lambda t: t.replace("professional_complainant = true", 'professional_complainant = "yes"'), "[serious]: key 'professional_complainant': expected true/false"),
    ("major without patterns", lambda t: t.replace("patterns = ['系统(?:故障", "pattern = ['系统(?:故障"), "rule 'system_failure': unknown key 'pattern' (did you mean 'patterns'?)"),
    ("unsafe major pattern", lambda t: t.replace("patterns = ['系统(?:故障", "patterns = ['(?:系统)+', '系统(?:故障"), "[[serious.major]] 'system_failure': key 'patterns': unsafe regular expression"),
    ("emotion typo", lambda t: t.replace('emotions = ["anger",', 'emotions = ["rage",'), "[normal]: key 'emotions': 'rage' is not one of"),
    ("missing level", lambda t: t.split("[normal]")[0], "missing required section 'normal'"),
    ("key typo", lambda t: t.replace("min_intensity = 0.35", "min_intesity = 0.35"), "[normal]: unknown key 'min_intesity' (did you mean 'min_intensity'?)"),
    ("missing trigger list", lambda t: _without_key(t, "urgent", "safety_signals"), "[urgent]: missing required key 'safety_signals'"),
]


@pytest.mark.parametrize("change,message", [c[1:] for c in ESCALATION_CASES], ids=[c[0] for c in ESCALATION_CASES])
def test_a_broken_escalation_file_names_the_key(tmp_path, change, message):
    p = tmp_path / "esc.toml"
    p.write_text(change(SHIPPED_ESCALATION), encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        EscalationRules.load(p)
    assert str(exc.value).startswith(str(p)) and message in str(exc.value), str(exc.value)


def test_at_least_thirty_broken_configs():
    assert len(EXTEND_CASES) + len(FULL_LEXICON_CASES) + len(ESCALATION_CASES) >= 30


def test_the_shipped_files_load_unchanged():
    lex = Lexicon.load()
    assert len(lex.rules) > 20 and lex.settings.min_repeat_count == 3
    assert EscalationRules.load().major
    # and an extension that only adds a rule changes nothing else
    assert Lexicon.from_dict(schema_dict(SHIPPED_LEXICON)).settings == lex.settings


def schema_dict(text: str) -> dict:
    import tomllib

    return tomllib.loads(text)


def test_errors_share_one_base_and_keep_their_builtin_types():
    assert issubclass(ConfigError, ComplaintNLPError) and issubclass(ConfigError, ValueError)
    assert issubclass(ModelError, ComplaintNLPError) and issubclass(ModelError, RuntimeError)
    from complaint_nlp.errors import ColumnError, InputTypeError
    from complaint_nlp.lexicon import LexiconError
    from complaint_nlp.placeholders import PlaceholderError

    assert issubclass(LexiconError, ConfigError) and issubclass(PlaceholderError, ConfigError)
    assert issubclass(InputTypeError, TypeError) and issubclass(ColumnError, KeyError)


def test_every_setting_is_used():
    """Each [settings] key is read by the code (none is decoration)."""
    root = Path(schema.__file__).parent
    code = "".join(p.read_text(encoding="utf-8") for p in root.glob("*.py") if p.name != "schema.py")
    for f in schema.fields(schema.Settings):
        assert f"settings.{f.name}" in code, f.name


def test_min_repeat_count_is_read(tmp_path):
    p = tmp_path / "repeat.toml"
    p.write_text("[settings]\nmin_repeat_count = 5\n", encoding="utf-8")
    from complaint_nlp.normalize import normalize
    from complaint_nlp.signals import detect_signals

    text = "我打了四次电话了"
    assert any(s.code == "repeated_contact" for s in detect_signals(normalize(text), Lexicon.load()))
    assert not any(s.code == "repeated_contact" for s in detect_signals(normalize(text), Lexicon.load(p, extend=True)))
    # a plain wait is a delay, not repeated contact; 第二次 always is
    assert not any(s.code == "repeated_contact" for s in detect_signals(normalize("等了一个月了还没发货"), Lexicon.load()))
    assert any(s.code == "repeated_contact" for s in detect_signals(normalize("第二次申请退款"), Lexicon.load(p, extend=True)))


def test_detail_extractors_match_the_schema():
    from complaint_nlp.signals import EXTRACTORS

    assert set(EXTRACTORS) == set(schema.DETAIL_EXTRACTORS)
    code = (Path(schema.__file__).parent / "signals.py").read_text(encoding="utf-8")
    assert "rule.name ==" not in code and "rule.name in" not in code  # no branching on rule names


def test_lexicon_is_built_in_one_step():
    spec = Lexicon.load().spec
    lex = Lexicon(spec)
    hits = lex.scan("再不退款我就打12315")
    assert [r.code for r, _, _ in hits["signal"]] == ["regulator"]
    with pytest.raises(Exception):
        spec.settings.context_window = 3  # type: ignore[misc]  # frozen


# ---------------------------------------------------------------- modality table


def test_modality_docstring_is_rendered_from_the_table():
    from complaint_nlp.modality import SCOPES, STEPS, decide_modality, render_table

    assert render_table().split("\n")[2] in (decide_modality.__doc__ or "")
    order = [s.cue for s in STEPS if SCOPES[s.scope]("regulator")]
    # the contract: reported speech → condition → negation → done → intention → default
    idx = [order.index(c) for c in ("reported", "conditional", "negation", "done_before", "threat", "-")]
    assert idx == sorted(idx)
    assert STEPS[-1].cue == "-"  # the table ends with a step that always applies


# ---------------------------------------------------------------- regexes


CATASTROPHIC = ["(a+)+b", "(a*)*b", "(a|a)*b", "(a|aa)+b", "(?:a{1,9}){1,9}b", "(.*a){12}", "(\\w+\\s?)+$", "(a|b|ab)*c", "^(a+)+$", "(x+x+)+y", "(?:a{0,50}){0,50}", "a{0,300}a{0,300}a{0,300}b"]


@pytest.mark.parametrize("pattern", CATASTROPHIC)
def test_catastrophic_patterns_are_refused(pattern):
    with pytest.raises(ConfigError):
        compile_checked(pattern, "mine.toml: rule 'x': key 'patterns'")


def test_bounded_patterns_are_accepted_and_the_shipped_ones_pass():
    assert pattern_ways("(?:再不|如果).{0,10}(?:就|便)") <= MAX_WAYS
    assert pattern_ways("第\\s?(?:[0-9]{1,3}|[二三四五]{1,3})\\s?次") <= MAX_WAYS
    Lexicon.load()  # every shipped pattern passes the (shipped) budget


# ---------------------------------------------------------------- linear time


def _calls(fn) -> int:
    """Python-level call events while ``fn`` runs: a deterministic stand-in for time."""
    n = 0

    def prof(frame, event, arg):
        nonlocal n
        if event in ("call", "c_call"):
            n += 1

    sys.setprofile(prof)
    try:
        fn()
    finally:
        sys.setprofile(None)
    return n


TRIGGERS = ["我是记者，", "我是律师，我要起诉，", "打了12315，", "第三次返修，", "要求赔偿10万，", "再不处理就曝光！", "我们100个车主集体投诉，", "等了20天，", "骗子！！！"]


@pytest.mark.parametrize("phrase", TRIGGERS)
def test_rules_are_linear_in_the_text_length(phrase):
    """200,000 characters of one repeated trigger phrase cost about 10x what 20,000 do (a
    quadratic step would cost 100x). Counted in calls, not seconds."""
    from complaint_nlp.normalize import normalize
    from complaint_nlp.signals import detect_signals, intensity_features
    from complaint_nlp.traits import detect_traits

    lex = Lexicon.load()

    def run(n: int):
        nt = normalize((phrase * (n // len(phrase) + 1))[:n])
        return lambda: (detect_signals(nt, lex, intensity_features(nt.text, lex)), detect_traits(nt, lex))

    small, big = _calls(run(20_000)), _calls(run(200_000))
    assert big <= 14 * small, (phrase, small, big)


# ---------------------------------------------------------------- models


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    from complaint_nlp.train import train_model

    texts = ["屏幕坏了", "客服态度差", "退款不给退", "快递丢了", "车子自燃了", "价格乱收费"] * 10
    labels = ["product_quality", "service_attitude", "after_sales", "logistics", "safety", "price_billing"] * 10
    model, _ = train_model(texts, {"category": labels, "emotion": ["anger", "neutral"] * 30}, estimator="cnb")
    return model.save(tmp_path_factory.mktemp("m") / "model")


def _copy(src: Path, tmp_path: Path, name: str) -> Path:
    d = tmp_path / name
    shutil.copytree(src, d)
    return d


def _edit(d: Path, change, *, rehash: bool) -> None:
    from complaint_nlp.classifier import manifest_digest

    m = json.loads((d / "manifest.json").read_text(encoding="utf-8"))
    m = change(m)
    if rehash and isinstance(m, dict):
        m["manifest_sha256"] = manifest_digest(m)
    (d / "manifest.json").write_text(json.dumps(m, ensure_ascii=False), encoding="utf-8")


def _reversed(m):
    m["heads"]["category"]["classes"] = m["heads"]["category"]["classes"][::-1]
    return m


def _truncated(m):
    m["heads"]["category"]["classes"] = m["heads"]["category"]["classes"][:-1]
    m.get("label_sets", {})["category"] = m["heads"]["category"]["classes"]
    return m


MODEL_CASES = [
    ("reversed classes, edited", _reversed, False, "manifest_sha256"),
    ("reversed classes, rehashed", _reversed, True, "must be sorted and unique"),
    ("truncated classes, rehashed", _truncated, True, "has shape"),
    ("head kind", lambda m: (m["heads"]["category"].update(kind="magic"), m)[1], True, "'magic' is not one of"),
    ("n_features a string", lambda m: dict(m, n_features="many"), True, "key 'n_features'"),
    ("n_features off by one", lambda m: dict(m, n_features=m["n_features"] + 1), True, "vocabulary has"),
    ("secondary threshold", lambda m: dict(m, secondary_threshold=7), True, "key 'secondary_threshold'"),
    ("files missing", lambda m: {k: v for k, v in m.items() if k != "files"}, True, "key 'files'"),
    ("not an object", lambda m: [m], False, "must be a JSON object"),
    ("no heads", lambda m: dict(m, heads={}), True, "key 'heads'"),
]


@pytest.mark.parametrize("change,rehash,message", [c[1:] for c in MODEL_CASES], ids=[c[0] for c in MODEL_CASES])
def test_a_broken_manifest_is_one_model_error(tiny_model, tmp_path, change, rehash, message):
    from complaint_nlp.classifier import ComplaintModel

    d = _copy(tiny_model, tmp_path, "m")
    _edit(d, change, rehash=rehash)
    with pytest.raises(ModelError, match=re.escape(message)):
        ComplaintModel.load(d)


def test_deeply_nested_and_huge_manifests_are_refused(tiny_model, tmp_path):
    from complaint_nlp.classifier import MAX_MANIFEST_BYTES, ComplaintModel

    d = _copy(tiny_model, tmp_path, "nested")
    (d / "manifest.json").write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(ModelError, match="nested too deeply|must be a JSON object"):
        ComplaintModel.load(d)
    d2 = _copy(tiny_model, tmp_path, "huge")
    with open(d2 / "manifest.json", "ab") as f:
        f.write(b" " * (MAX_MANIFEST_BYTES + 1))
    with pytest.raises(ModelError, match="more than the"):
        ComplaintModel.load(d2)


def test_a_weights_file_that_claims_terabytes_is_refused_before_reading(tiny_model, tmp_path):
    from complaint_nlp.classifier import ComplaintModel

    d = _copy(tiny_model, tmp_path, "tb")
    arrays = dict(np.load(d / "weights.npz"))
    with zipfile.ZipFile(d / "weights.npz", "w") as z:  # word_idf's header claims 10**12 floats
        for k, v in arrays.items():
            z.writestr(k + ".npy", _npy_bytes(v, claim=(10**12,) if k == "word_idf" else None))
    _rehash_files(d)
    with pytest.raises(ModelError, match="word_idf' has shape"):
        ComplaintModel.load(d)


def _npy_bytes(a: np.ndarray, claim: tuple | None = None) -> bytes:
    import io

    buf = io.BytesIO()
    np.lib.format.write_array(buf, a, allow_pickle=False)
    data = buf.getvalue()
    if claim is not None:
        header = {"descr": np.lib.format.dtype_to_descr(a.dtype), "fortran_order": False, "shape": claim}
        hb = io.BytesIO()
        np.lib.format.write_array_header_1_0(hb, header)
        body = data[len(data) - a.nbytes :]
        return hb.getvalue() + body
    return data


def _rehash_files(d: Path) -> None:
    import hashlib

    from complaint_nlp.classifier import manifest_digest

    m = json.loads((d / "manifest.json").read_text(encoding="utf-8"))
    m["files"]["weights.npz"] = hashlib.sha256((d / "weights.npz").read_bytes()).hexdigest()
    m["manifest_sha256"] = manifest_digest(m)
    (d / "manifest.json").write_text(json.dumps(m, ensure_ascii=False), encoding="utf-8")


def test_a_zip_bomb_is_refused_before_it_decompresses(tiny_model, tmp_path):
    """A member whose declared size is far beyond what its header's shape needs is refused
    before any of it is inflated (a bomb: 1 GB of zeros compresses to about 1 MB)."""
    from complaint_nlp.classifier import ComplaintModel

    d = _copy(tiny_model, tmp_path, "bomb")
    arrays = dict(np.load(d / "weights.npz"))
    with zipfile.ZipFile(d / "weights.npz", "w", compression=zipfile.ZIP_DEFLATED) as z:
        for k, v in arrays.items():
            data = _npy_bytes(v)
            if k == "char_idf":
                data += b"\0" * (64 * 1024 * 1024)  # 64 MB of padding after the array
            z.writestr(k + ".npy", data)
    _rehash_files(d)
    with pytest.raises(ModelError, match="declares"):
        ComplaintModel.load(d)


def test_a_saved_model_round_trips_with_its_hash(tiny_model):
    from complaint_nlp.classifier import FORMAT_VERSION, ComplaintModel, manifest_digest

    m = json.loads((tiny_model / "manifest.json").read_text(encoding="utf-8"))
    assert m["format_version"] == FORMAT_VERSION == 3 and m["manifest_sha256"] == manifest_digest(m)
    assert ComplaintModel.load(tiny_model).heads["category"].classes == sorted(set(m["heads"]["category"]["classes"]))


def test_readme_shows_the_schema_and_the_modality_table():
    from complaint_nlp.modality import render_table

    readme = (Path(schema.__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    block = readme.split("<!-- schema:begin -->\n")[1].split("\n<!-- schema:end -->")[0]
    assert block == schema.describe_all()
    table = readme.split("<!-- modality-table:begin -->\n")[1].split("\n<!-- modality-table:end -->")[0]
    assert table == render_table()


def test_the_cli_prints_one_line_for_a_broken_file(tmp_path, capsys):
    from complaint_nlp.cli import main

    p = tmp_path / "mine.toml"
    p.write_text('[[signals]]\nname = "x"\ncode = "media"\nkeyword = ["抖音"]\n', encoding="utf-8")
    assert main(["analyze", "--no-model", "--extend-lexicon", str(p), "再不退款就曝光"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("complaint-nlp: error: ") and "unknown key 'keyword'" in err
