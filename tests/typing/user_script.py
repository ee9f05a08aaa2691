"""A user's script, type-checked by tests/test_api.py::test_a_type_checker_follows_the_public_api.

assert_type fails the check if a public function loses its types (for example to Any)."""

from typing import assert_type

import complaint_nlp
from complaint_nlp import Analysis, Analyzer, ComplaintClassifier
from complaint_nlp.result import Signal
from complaint_nlp.threads import ThreadAnalysis

r = complaint_nlp.analyze("再不退款我就打12315投诉")
assert_type(r, Analysis)
assert_type(r.level, str | None)
assert_type(r.signals, tuple[Signal, ...])
an = Analyzer.load(model=False)
assert_type(an.analyze_many(["a", "b"]), list[Analysis])
assert_type(complaint_nlp.analyze_thread(["你好", "第三次了"]), ThreadAnalysis)
clf = ComplaintClassifier(C=1.0)
assert_type(clf.fit(["a", "b"], [0, 1]), ComplaintClassifier)
