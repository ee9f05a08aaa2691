"""Tokenizer isolation (issue #2) and backend equivalence (issue #7)."""

import subprocess
import sys
import threading

import pytest

from complaint_nlp.tokenize import Tokenizer, load_userdict


@pytest.mark.parametrize("backend", ["rjieba", "jieba"])
def test_domain_dictionary_words_are_single_tokens(backend):
    toks = Tokenizer(backend).cut("我要打12315投诉4S店，还要精神损失费，退一赔三，上315晚会曝光，找消协和市场监管局")
    for w in ("12315", "4S店", "精神损失费", "退一赔三", "315晚会", "消协", "市场监管局"):
        assert w in toks, (backend, w, toks)


def test_global_jieba_state_untouched():
    code = (
        "import jieba, complaint_nlp\n"
        "from complaint_nlp.tokenize import Tokenizer\n"
        "Tokenizer('jieba').cut('精神损失费退一赔三')\n"
        "Tokenizer('rjieba').cut('精神损失费退一赔三')\n"
        "complaint_nlp.analyze_many  # noqa\n"
        "assert not jieba.dt.initialized, 'global jieba was initialised'\n"
        "assert '退一赔三' not in jieba.dt.FREQ\n"
        "import logging; assert logging.getLogger('jieba').level in (logging.NOTSET, logging.DEBUG)\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"
    assert "Building prefix dict" not in out.stderr


def test_caller_words_do_not_leak_into_our_tokenizer():
    import jieba

    saved = jieba.dt.FREQ.get("投诉你们", None) if jieba.dt.initialized else None
    tk = jieba.Tokenizer()
    tk.add_word("投诉你们", 999999)  # a caller's private instance: must not affect us
    ours = Tokenizer("jieba").cut("我要投诉你们")
    assert "投诉你们" not in ours
    if jieba.dt.initialized:
        assert jieba.dt.FREQ.get("投诉你们", None) == saved


def test_user_dictionary(tmp_path):
    d = tmp_path / "mine.txt"
    d.write_text("# my words\n蔚来ES8 1000 nz\n换电站\n", encoding="utf-8")
    assert load_userdict(d)[0] == ("蔚来ES8", 1000, "nz")
    toks = Tokenizer("rjieba", userdict=d).cut("蔚来ES8在换电站排队")
    assert "换电站" in toks
    bad = tmp_path / "bad.txt"
    bad.write_text("词 0\n", encoding="utf-8")
    with pytest.raises(ValueError, match="positive"):
        load_userdict(bad)


def test_unknown_backend():
    with pytest.raises(ValueError, match="backend"):
        Tokenizer("thulac")


def test_thread_safe_shared_tokenizer():
    tk = Tokenizer("rjieba")
    expected = tk.cut("再不退款我就打12315投诉你们")
    errors = []

    def work():
        for _ in range(200):
            if tk.cut("再不退款我就打12315投诉你们") != expected:
                errors.append(1)

    ts = [threading.Thread(target=work) for _ in range(8)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert not errors


def test_whitespace_tokens_dropped_and_empty():
    assert Tokenizer().cut("") == []
    assert all(not t.isspace() for t in Tokenizer().cut("退款  太慢 了"))


def test_rjieba_and_jieba_give_identical_tokens_on_the_corpus(corpus_texts):
    from complaint_nlp.normalize import normalize

    texts = [normalize(t).text.lower() for t in corpus_texts]
    fast, ref = Tokenizer("rjieba"), Tokenizer("jieba")
    diff = [(fast.cut(t), ref.cut(t)) for t in texts if fast.cut(t) != ref.cut(t)]
    # Known and accepted: (1) jieba-rs's HMM splits an onomatopoeic run of one repeated character
    # differently ("咚" "咚咚" "震得" vs "咚咚" "咚震得"); (2) next to a character outside the Basic
    # Multilingual Plane (Cantonese 𠮶), which jieba's Han-block regex leaves out, the blocks around
    # it are cut differently; (3) two routes through the dictionary with exactly the same
    # probability ("手牵着" "手" vs "手" "牵着手": both words have frequency 3), a tie the two break
    # differently. Any other difference is a regression.
    import math
    import re

    eng = ref._get_engine()

    def log_prob(tokens: list[str]) -> float | None:
        if not all(eng.FREQ.get(t) for t in tokens):
            return None
        return sum(math.log(eng.FREQ[t]) for t in tokens) - len(tokens) * math.log(eng.total)

    def common_ends(a: list[str], b: list[str]) -> tuple[int, int]:
        """How many tokens ``a`` and ``b`` share at the start and, after that, at the end."""
        i = 0
        while i < min(len(a), len(b)) and a[i] == b[i]:
            i += 1
        j = 0
        while j < min(len(a), len(b)) - i and a[-1 - j] == b[-1 - j]:
            j += 1
        return i, j

    def tie(a: list[str], b: list[str]) -> bool:
        i, j = common_ends(a, b)
        da, db = a[i : len(a) - j], b[i : len(b) - j]
        pa, pb = log_prob(da), log_prob(db)
        return "".join(da) == "".join(db) and pa is not None and pb is not None and abs(pa - pb) < 1e-9

    def differing_part(a: list[str], b: list[str]) -> str:
        """The differing tokens of ``a``, with one token of context on each side."""
        i, j = common_ends(a, b)
        return "".join(a[max(i - 1, 0) : len(a) - j + 1])

    def known(a: list[str], b: list[str]) -> bool:
        part = differing_part(a, b)
        return bool(re.search(r"(.)\1\1", part)) or any(ord(c) > 0xFFFF for c in part) or tie(a, b)

    other = [d for d in diff if not known(*d)]
    assert not other, f"{len(other)} of {len(texts)} texts segment differently, e.g. {other[:3]}"
    assert len(diff) <= max(2, len(texts) // 2000), f"{len(diff)} texts of the known kinds segment differently"


def test_canonical_ascii_fast_path_equals_token_loop(corpus_texts):
    """The regex-over-joined-tokens path (issue #7) must equal the token-by-token definition."""
    from complaint_nlp.normalize import normalize
    from complaint_nlp.tokenize import Tokenizer, _canonical_ascii, _canonical_ascii_loop

    raw = corpus_texts
    texts = raw + [normalize(t).text.lower() for t in raw]
    texts += ["订单号A12-345.6x 2.0T Wi-Fi", "abc", "1", "版本v2.0.1升级", "\x00abc\x00", "abc\ndef 12", "iPhone15Pro 256G"]
    eng = Tokenizer()._get_engine()
    for t in texts:
        toks = [x for x in eng.cut(t, True) if not x.isspace()]
        assert _canonical_ascii(toks) == _canonical_ascii_loop(toks), t
