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



def _same_float(a: float, b: float) -> bool:
    """Equal as results print them: the same repr, so -0.0 differs from 0.0 and NaN equals NaN."""
    return repr(a) == repr(b)


@settings(max_examples=3000, deadline=None)
@given(st.floats() | st.floats(min_value=0.0, max_value=1.0) | st.integers(min_value=0, max_value=10**9).map(lambda k: (k + 0.5) / 10000.0))
def test_rounded_scores_equal_pythons_round_on_any_float(v):
    from complaint_nlp.result import rounded_scores

    assert _same_float(rounded_scores({"x": v})["x"], round(v, 4))


def test_rounded_scores_equal_pythons_round_on_ties_and_edges():
    import math
    import random

    import numpy as np

    from complaint_nlp.result import rounded_scores

    rng = random.Random(11)
    values = [0.0, -0.0, 1.0, 0.5, 0.03125, 0.00005, 0.12345, 0.99995, 1e-12, 5e-5, 1e5, 1e5 - 0.00005, 123456.789, -0.12345, math.inf, -math.inf, math.nan]
    values += [(k + 0.5) / 10000 for k in range(0, 20000)]  # decimal halves: the near-tie path
    values += [math.nextafter(t, d) for t in values[17:2017] for d in (0.0, 1.0)]  # one ulp either side
    values += [rng.random() ** 3 for _ in range(20000)]
    values += [float(x) for x in np.random.default_rng(3).random(5000, dtype=np.float32)]  # float32 probabilities
    got = rounded_scores({str(i): v for i, v in enumerate(values)})
    assert all(_same_float(got[str(i)], round(v, 4)) for i, v in enumerate(values))
    assert list(rounded_scores({"b": np.float32(0.25), "a": 0.1}).items()) == [("b", 0.25), ("a", 0.1)]  # key order, numpy in, float out
