"""Fast paths equal their plain versions (issue #20): a speed-up never changes a result."""

from __future__ import annotations

import csv
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from complaint_nlp.lexicon import Lexicon
from complaint_nlp.modality import Stops, decide_modality
from complaint_nlp.normalize import normalize

ROOT = Path(__file__).parent.parent
LEX = Lexicon.load()
CODES = ["regulator", "media", "legal", "repeated_contact", "safety_hazard", "collective", "high_intensity", "excessive_demand"]


def test_shared_stops_equal_per_hit_windows_on_the_corpus():
    with open(ROOT / "data" / "labeled" / "corpus.csv", encoding="utf-8", newline="") as f:
        texts = [r["text"] for r in csv.DictReader(f)][::3]
    n = 0
    for t in texts:
        x = normalize(t).text
        stops = Stops(x)
        hits = LEX.scan(x)
        for kind in ("signal", "trait"):
            for rule, s, e in hits[kind]:
                n += 1
                assert decide_modality(x, s, e, rule.code, LEX) == decide_modality(x, s, e, rule.code, LEX, stops), (t, s, e)
    assert n > 2000


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="再不就投诉12315，。!?；;、,“”「」要已经不会客服说曝光起诉我\n ", min_size=1, max_size=60), st.data())
def test_shared_stops_equal_per_hit_windows_anywhere(text, data):
    stops = Stops(text)
    s = data.draw(st.integers(0, len(text) - 1))
    e = data.draw(st.integers(s + 1, len(text)))
    for code in CODES:
        assert decide_modality(text, s, e, code, LEX) == decide_modality(text, s, e, code, LEX, stops)


def test_major_criteria_scan_equals_search():
    from complaint_nlp.escalation import EscalationRules

    rules = EscalationRules.load()
    with open(ROOT / "data" / "labeled" / "corpus.csv", encoding="utf-8", newline="") as f:
        texts = [normalize(r["text"]).text for r in csv.DictReader(f)]
    texts += ["新车才一个月变速箱就坏了", "车在店里修了十五天", "系统崩溃", "新款上市三个月就召回", "NEW车KM"]
    found = 0
    for t in texts:
        for m in rules.major:
            a, b = m.search(t), m.regex.search(t)
            assert (a and a.span()) == (b and b.span()), t
            found += b is not None
    assert found > 50

