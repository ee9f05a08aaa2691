"""Signals, traits and escalation beyond the case table (issue #3)."""

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from complaint_nlp.lexicon import Lexicon
from complaint_nlp.normalize import normalize
from complaint_nlp.signals import detect_signals, intensity_features
from complaint_nlp.traits import detect_traits

LEX = Lexicon.load()

_pieces = st.sampled_from(
    ["我要", "已经", "不会", "再不", "就", "打", "１２３１５", "12315", "投訴", "投诉", "曝光", "记者", "律師", "起诉", "报警",
     "第三次", "修了3次", "两个星期了", "骗子", "坑人", "！！！", "？？", "tmd", "WTF IS THIS", "啊啊啊啊", "自燃", "剎車失靈",
     "我们几个车主", "维权群", "我是律师", "十倍赔偿", "8万", "精神损失费", "只要现金", "私了", "给够了就删", "回家才发现",
     "@新京报", "#315曝光台#", "<br>", "&nbsp;", "😡", "　", " ", "，", "。", "客服说", "担心", "会不会", "八万五千", "￥80,000"]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_pieces, max_size=25).map("".join))
def test_spans_always_index_the_original(text):
    nt = normalize(text)
    for s in detect_signals(nt, LEX):
        assert text[s.start : s.end] == s.text and s.start < s.end
    for t in detect_traits(nt, LEX):
        assert text[t.start : t.end] == t.text and t.start < t.end


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=80))
def test_any_text_is_safe(text):
    nt = normalize(text)
    for s in detect_signals(nt, LEX):
        assert text[s.start : s.end] == s.text
    inten = intensity_features(nt.text, LEX)
    assert 0.0 <= inten.score <= 1.0


def test_adversarial_megabyte_inputs_do_not_hang():
    # Hang detector, not a speed assertion: catastrophic backtracking would never finish.
    # bench/bench_rules.py measures the time.
    code = (
        "from complaint_nlp.lexicon import Lexicon\n"
        "from complaint_nlp.normalize import normalize\n"
        "from complaint_nlp.signals import detect_signals\n"
        "from complaint_nlp.traits import detect_traits\n"
        "lex = Lexicon.load()\n"
        "for piece in ['@', '#', '<', '第', '1', '打了', '再不', '我是', '粉丝', '!', '啊', '《', '8万', '别拿', 'A ', '.', '。', '八']:\n"
        "    t = (piece * (100_000 // len(piece)))\n"
        "    nt = normalize(t)\n"
        "    detect_signals(nt, lex); detect_traits(nt, lex)\n"
        "print('done')\n"
    )
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "done"


def sig(rules, text):
    return {(s.code, s.modality) for s in rules.analyze(text).signals}


def test_repeated_contact_counts_and_seed_flags(rules):
    r = rules.analyze("同一个异响修了3次还没好，我打了五次电话催进度，车在店里两个星期了")
    rc = [s for s in r.signals if s.code == "repeated_contact"]
    details = {s.text: s.details for s in rc}
    assert details["修了3次"]["count"] == 3 and "repaired_3_plus" in details["修了3次"]["flags"]
    assert details["打了五次"]["count"] == 5 and "chased_more_than_3" in details["打了五次"]["flags"]
    assert "两个星期了" not in details  # a wait is a delay, not repeated contact (#13)
    assert r.level == "serious"
    long_repair = rules.analyze("车在店里修了两个星期了")
    assert long_repair.level == "serious" and any(x.rule == "major.repair_10_days" for x in long_repair.level_reasons)
    assert "repeated_contact" not in {s.code for s in rules.analyze("这是我第一次联系你们").signals}


def test_calm_long_letter_is_not_heated(rules):
    letter = (
        "您好，我是贵公司的老客户，今年三月在贵店购买了一台洗衣机。使用半年来总体满意，但最近脱水时噪音明显变大，"
        "我按说明书检查了底脚和排水管，没有发现问题。上周我通过官方渠道预约了上门检修，师傅很准时，态度也很好！"
        "不过他说需要更换轴承，配件要等一周左右。我想确认一下这个维修是否在保修范围内，费用大概多少。谢谢！"
    )
    r = rules.analyze(letter)
    assert "high_intensity" not in {s.code for s in r.signals}
    assert r.intensity < 0.35
    heated = rules.analyze("退钱！！！你们这群骗子？？？")
    assert heated.intensity > 0.7
    assert ("high_intensity", "done") in {(s.code, s.modality) for s in heated.signals}


def test_amounts_for_excessive_demand(rules):
    for text, amount in [("要求赔偿8万", 80000), ("必须赔我50万元", 500000), ("索赔￥80,000", 80000), ("精神损失费八万五千", 85000)]:
        traits = [t for t in rules.analyze(text).traits if t.code == "excessive_demand"]
        assert traits and traits[-1].details.get("amount") == amount, text
    assert not rules.analyze("这台车价格20万，我要求退款").traits
    assert not rules.analyze("订单号2012315887的包裹").traits


def test_professional_complainant_needs_three_traits_with_evidence(rules):
    r = rules.analyze("我要十倍赔偿和精神损失费，只要现金，不走保险")
    assert r.professional_complainant
    assert {t.code for t in r.traits} >= {"excessive_demand", "legal_jargon", "refuses_formal_channels"}
    assert all(t.text for t in r.traits)
    assert r.level in ("serious", "urgent")
    assert any(x.rule == "professional_complainant" for x in r.level_reasons)
    two = rules.analyze("我要十倍赔偿和精神损失费")
    assert not two.professional_complainant


@pytest.mark.parametrize(
    "text, level",
    [
        ("我已经报警了", "urgent"),
        ("再不处理我就找记者曝光", "urgent"),
        ("车子行驶中突然自燃", "urgent"),
        ("我不会去曝光的，只想解决问题", "minor"),
        ("这是第三次来电了", "serious"),
        ("新车提车才两个月，变速箱就坏了", "serious"),
        ("你们这群骗子", "normal"),
        ("请问营业时间是几点", "minor"),
    ],
)
def test_levels_rules_only(rules, text, level):
    r = rules.analyze(text)
    assert r.level == level, (text, r.level, [x.to_dict() for x in r.level_reasons])
    assert r.level_reasons and r.response.level == level


def test_only_threatened_or_done_escalate(rules):
    for text in ("客服说你打12315也没用", "我不会去法院起诉的", "看到新闻说可以找消协"):
        r = rules.analyze(text)
        assert r.level == "minor", (text, r.signals)


def test_one_pass_scan_equals_per_code_finditer_on_the_corpus(corpus_texts):
    raw = corpus_texts
    texts = [normalize(t).text for t in raw] + raw  # scan is also public on raw text
    texts += ["@" * 50 + "12315", "第第第三次" * 20, "我是我是律师" * 10, "第\u3000三次", "第\t3回", "第N次第n次"]
    # letters under IGNORECASE, including the odd ones re folds onto ASCII (Kelvin sign, long s)
    texts += ["CCTV曝光", "cctv曝光", "Cctv\u212atv", "央视\u017fos", "找ＣＣＴＶ", "\u0130\u0131", "我要打12315 ", "3 15晚会"]
    for t in texts:
        got = LEX.scan(t)
        for kind in ("signal", "trait"):
            want = sorted((r.name, s, e) for r, s, e in LEX.iter_matches(kind, t))
            assert sorted((r.name, s, e) for r, s, e in got[kind]) == want, t


def test_start_pairs_of_patterns():
    from complaint_nlp._firstchars import case_variants, start_pairs

    pairs, singles = start_pairs("投诉|起诉过?|12315")
    assert pairs == {"投诉", "起诉", "12"} and not singles
    pairs, singles = start_pairs("第\\s?(?:[0-9]{1,3}|N|n)次")
    assert {"第3", "第 ", "第\u3000", "第N", "第n"} <= pairs and not singles
    assert start_pairs("CCTV")[0] == {"CC", "Cc", "cC", "cc"}
    assert start_pairs("@[^@]{0,3}消协") == (frozenset(), frozenset({"@"}))  # any character may follow
    assert start_pairs("!") == (frozenset(), frozenset({"!"}))  # a one-character match
    assert start_pairs("k") == (frozenset(), frozenset({"k", "K", "\u212a"}))
    assert start_pairs(".x") is None and start_pairs("a*") is None and start_pairs("\\d+") is None
    assert case_variants("k") == {"k", "K", "\u212a"} and case_variants("投") == {"投"}


def test_first_char_prefilter_equals_finditer():
    import re

    from complaint_nlp._firstchars import CandidateScanner, first_char_class

    assert first_char_class("(?<![0-9])12315") == "[1]"
    assert first_char_class("a?b") == "[ab]"
    assert first_char_class(".x") is None and first_char_class("a*") is None
    for rx in (
        re.compile(r"(?:我们|咱们)?(?:[0-9]{1,3}|[两三])个?(?:车主|业主)|[!?]{2,}"),
        re.compile(r"Cc[Tt]v|[!?]{2,}|k"),  # case-sensitive: variants only widen the candidates
        re.compile(r"cctv|k", re.IGNORECASE),
        re.compile(r"cc tv  # a comment", re.VERBOSE),
        re.compile(r"(?:x?){3}y|(?:ab){2,}c|z{0,5}!"),  # repeats that may match empty or need 3+
    ):
        sc = CandidateScanner(rx)
        for t in ["我们三个车主!!", "两车主??咱们12个业主", "", "!?!?", "CCTV cctv CcTv Cctv \u212a", "cctv", "y xy xxxy ababc abc zz! !"]:
            assert [m.span() for m in sc.finditer(t)] == [m.span() for m in rx.finditer(t)], (rx.pattern, t)


def test_prefiltered_scanners_equal_finditer_on_the_corpus(corpus_texts):
    """Every CandidateScanner the library uses gives exactly its regex's finditer (issue #7)."""
    from complaint_nlp import signals, traits

    raw = corpus_texts
    texts = raw + [normalize(t).text for t in raw] + ["￥80,000元", "RMB 5万", "rmb5w", "人民币八万五千", "一二三四五六七八九十" * 5]
    scanners = [traits._AMOUNT_SCAN, signals._PUNCT_SCAN, signals._CAPS_SCAN, LEX.profanity_scan]
    for sc in scanners:
        for t in texts:
            assert [m.span() for m in sc.finditer(t)] == [m.span() for m in sc.regex.finditer(t)], (sc.regex.pattern[:40], t)


def test_scan_equals_finditer_for_user_rules_of_every_shape(tmp_path):
    """A user lexicon with wide patterns (too many prefixes, any first character) still scans
    exactly like per-code finditer: first-character dispatch, then plain finditer."""
    import tomllib

    from complaint_nlp.lexicon import Lexicon, default_lexicon_path, read_toml

    rules = tomllib.loads(
        '[[signals]]\nname = "wide.prefixes"\ncode = "collective"\nscore = 0.5\npatterns = ["[一-龥]{2}群众"]\n\n'
        '[[signals]]\nname = "any.start"\ncode = "accusation"\nscore = 0.5\npatterns = [".骗子"]\n\n'
        '[[signals]]\nname = "letters"\ncode = "media"\nscore = 0.5\nkeywords = ["CCTV", "抖音"]\n'
    )
    data = read_toml(default_lexicon_path())  # a full lexicon: the shipped settings and cue lists, these rules only
    data["signals"], data["traits"] = rules["signals"], []
    lex = Lexicon.from_dict(data, source="mine.toml")
    assert len(lex.rules) == 3 and lex._fallback  # ".骗子" can start anywhere
    for t in ["好多群众说你们是骗子", "cctv和Cctv都来了", "大骗子!!", "", "众群众群众"]:
        got = sorted((r.name, s, e) for r, s, e in lex.scan(t)["signal"])
        want = sorted((r.name, s, e) for r, s, e in lex.iter_matches("signal", t))
        assert got == want, t


def test_a_misspelt_section_is_an_error_not_an_empty_lexicon(tmp_path):
    from complaint_nlp.lexicon import Lexicon, LexiconError

    p = tmp_path / "typo.toml"
    p.write_text('[[signal]]\nname = "x"\ncode = "media"\nkeywords = ["抖音"]\n', encoding="utf-8")
    with pytest.raises(LexiconError, match="unknown section"):
        Lexicon.load(p)


def test_demand_amount_after_several_sentence_stops(rules):
    """The claim's left context starts after the LAST stop before the amount (two stops in the
    window used to push it past the amount and lose the demand)."""
    for text, want in (("不行。太差!要求赔偿8万元", "要求赔偿8万元"), ("好。好。赔我十万", "赔我十万")):
        traits = [t for t in rules.analyze(text).traits if t.code == "excessive_demand"]
        assert [t.text for t in traits] == [want], text


def _level_from(emotion_scores, category_scores, intensity=0.0):
    from complaint_nlp.escalation import EscalationRules

    return EscalationRules.load().evaluate(normalize("x"), (), (), False, category_scores, emotion_scores, intensity)


def test_a_felt_complaint_is_normal_and_a_sad_everyday_post_or_calm_inquiry_is_minor():
    # issue #13 item 7: P(negative) × P(complaint) + 0.2 × intensity ≥ 0.4 (escalation.toml [normal])
    angry = {"anger": 0.8, "neutral": 0.2}
    level, reasons = _level_from(angry, {"delay": 0.9, "other": 0.1})
    assert level == "normal" and reasons[0].rule == "emotion.anger" and "0.80" in reasons[0].explanation
    assert _level_from(angry, {"delay": 0.3, "other": 0.7})[0] == "minor"  # 0.8 × 0.3 = 0.24: an everyday post
    calm = {"anxiety": 0.35, "neutral": 0.65}
    assert _level_from(calm, {"price_billing": 0.9, "other": 0.1})[0] == "minor"  # 0.35 × 0.9 = 0.315: an inquiry
    assert _level_from(calm, {"price_billing": 0.9, "other": 0.1}, intensity=0.5)[0] == "normal"  # + 0.1 of heat
    assert _level_from(angry, {})[0] == "normal"  # without a category model every message may complain


def test_the_felt_complaint_threshold_is_data(tmp_path):
    from complaint_nlp.escalation import EscalationRules
    from complaint_nlp.lexicon import read_toml

    data = read_toml(Path(__file__).parents[1] / "complaint_nlp" / "data" / "escalation.toml")
    data["normal"]["min_complaint_emotion"] = 0.9
    rules = EscalationRules(data)
    level, _ = rules.evaluate(normalize("x"), (), (), False, {"delay": 0.9, "other": 0.1}, {"anger": 0.8, "neutral": 0.2}, 0.0)
    assert level == "minor"


def test_levels_with_the_shipped_model(analyzer):
    assert analyzer.analyze("又落榜了，第三年，真的好难过").level == "minor"  # sad, but complains about no business
    assert analyzer.analyze("请问你们周末几点营业？").level == "minor"
    assert analyzer.analyze("快递寄丢了客服还爱答不理，气死我了，你们到底管不管").level == "normal"


@pytest.mark.parametrize(
    "text, modality",
    [
        ("孩子吃完全身起红疹，医生说是过敏", "done"),  # a finding, not hearsay
        ("孩子吃完全身起红疹，医生说不是过敏", "negated"),  # a negated finding stays negated
        ("客服说不会过敏", "mentioned"),  # the agent's words
    ],
)
def test_a_medical_finding_is_a_hazard_that_happened(rules, text, modality):
    hits = [s for s in rules.analyze(text).signals if s.code == "safety_hazard" and s.text == "过敏"]
    assert hits and hits[0].modality == modality, [(s.text, s.modality, s.cue) for s in rules.analyze(text).signals]


@pytest.mark.parametrize(
    "text, modality",
    [
        ("我之前说要去12315投诉是气话，问题已经解决了", "negated"),
        ("上个月跟银行说了要去12315投诉，到现在也没退钱", "threatened"),
        ("上个月已经去12315投诉了", "done"),
        ("沟通了一个月，只能找12315了", "threatened"),
        ("你们是不是觉得我不会去12315？", "threatened"),  # rhetorical
        ("我不会去12315的", "negated"),
        ("我妈说别折腾了，找12345也没用", "mentioned"),  # another person's words, across the clause
        ("听说12345很管用，我昨天就打了12345", "mentioned"),  # the first hit only: the writer speaks again for the second
        ("投诉到12315有什么用？我上周投的，结果还是让我自己谈", "done"),  # the next sentence says it was done
        ("材料正在整理，下周就去12315", "threatened"),
        ("周日：我放弃了，打了12315。", "done"),  # a dated diary entry
        ("周日：我放弃了，找12315。", "done"),
        ("上个月我跟邻居的漏水纠纷找了12345调解", "mentioned"),  # a dispute with someone other than the business
    ],
)
def test_modality_of_real_sentences(rules, text, modality):
    hits = [s for s in rules.analyze(text).signals if s.code == "regulator"]
    assert hits and hits[0].modality == modality, [(s.text, s.modality, s.cue) for s in hits]


@pytest.mark.parametrize(
    "text, code, modality",
    [
        ("好啊，我今天真去派出所了，民警说让双方调解", "legal", "done"),  # went already: 民警 is no threat
        ("拖了三个月，我准备去12315", "regulator", "threatened"),
        ("我们楼三十多户业主准备集体起诉开发商", "collective", "threatened"),
        ("我们小区三十多户业主都去投诉了", "collective", "done"),
        ("电梯急停，轿厢里五个人摔成一团", "collective", None),  # people in a lift are not a complaining group
        ("车主群里十几个人都是同样的毛病", "collective", "done"),
        ("我们公司十几个人中午订了你们的团餐", "collective", "done"),
        ("整栋楼的人半夜下楼疏散", "collective", None),
    ],
)
def test_intentions_carried_out_and_groups(rules, text, code, modality):
    got = {s.modality for s in rules.analyze(text).signals if s.code == code and s.modality in ("threatened", "done")}
    assert got == ({modality} if modality else set()), [(s.code, s.modality, s.text, s.cue) for s in rules.analyze(text).signals]
