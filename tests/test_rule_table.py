"""Table-driven rule tests: tests/data/rule_cases.jsonl (hand-written cases, see its notes)."""

import json
from pathlib import Path

import pytest

from complaint_nlp.taxonomy import MODALITIES, SIGNALS, TRAITS

CASES = [json.loads(line) for line in (Path(__file__).parent / "data" / "rule_cases.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]


def test_table_is_large_and_valid():
    assert len(CASES) >= 200
    assert len({c["id"] for c in CASES}) == len(CASES)
    for c in CASES:
        for e in c.get("expect", []):
            code, modality = e.split(":")
            assert code in SIGNALS and modality in MODALITIES, c["id"]
        for a in c.get("absent", []):
            assert a in SIGNALS, c["id"]
        for t in c.get("traits", []) + c.get("no_traits", []):
            assert t in TRAITS, c["id"]


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_case(case, rules):
    r = rules.analyze(case["text"])
    got = {(s.code, s.modality) for s in r.signals}
    got_codes = {s.code for s in r.signals}
    for e in case.get("expect", []):
        code, modality = e.split(":")
        assert (code, modality) in got, f"{case['id']}: expected {e}, got {sorted(got)} — {case.get('note', '')}"
    for a in case.get("absent", []):
        assert a not in got_codes, f"{case['id']}: {a} must be absent, got {sorted(got)} — {case.get('note', '')}"
    traits = {t.code for t in r.traits}
    for t in case.get("traits", []):
        assert t in traits, f"{case['id']}: expected trait {t}, got {sorted(traits)}"
    for t in case.get("no_traits", []):
        assert t not in traits, f"{case['id']}: trait {t} must be absent, got {sorted(traits)}"
    # evidence: every span indexes the original text
    for s in r.signals:
        assert case["text"][s.start : s.end] == s.text
    for t in r.traits:
        assert case["text"][t.start : t.end] == t.text
