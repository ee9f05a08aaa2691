"""Service-recovery playbook (服务补救): which scenario an analysis is, and the plan for it.

The scenarios, their conditions, steps, compensation bands, delay tiers and apology levels are
data (``complaint_nlp/data/playbook.toml``, built from ../shared/PLAYBOOK.md). Scenarios are tried
in file order: the first whose condition holds (a category, a threatened/done signal, a done
hazard, a level rule, a suspected professional complainant) is chosen; the last is the default.
The level a scenario is handled at is the analysis' level or the scenario's floor, whichever is
higher; the apology level and the response target (TAXONOMY §5) follow that level.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ._data import LazyDefault, data_file
from .errors import ConfigError
from .lexicon import read_toml
from .normalize import NormalizedText
from .numerals import _cn
from .result import CustomerType, LevelReason, Playbook, PlaybookStep, Signal
from .saferegex import compile_checked
from .schema import PlaybookSpec, Scenario, build
from .taxonomy import CATEGORIES, ESCALATING_MODALITIES, LEVELS, SCENARIOS, SIGNALS, level_rank

__all__ = ["PlaybookRules", "choose_playbook", "playbook_for", "stated_overrun"]

def _hours(tok: str, unit: str | None) -> float | None:
    if tok == "半":
        v: float | None = 0.5
    elif tok[0].isdigit():
        v = float(tok)
    else:
        v = _cn(tok)
    if v is None:
        return None
    return v / 60.0 if unit == "分钟" else v


class PlaybookRules:
    """The playbook of one file, checked and compiled. Read-only after construction."""

    def __init__(self, spec: PlaybookSpec, source: str) -> None:
        self.spec = spec
        self.source = source
        codes = [s.code for s in spec.scenarios]
        dup = sorted({c for c in codes if codes.count(c) > 1})
        if dup:
            raise ConfigError(f"{source}: [[scenarios]]: duplicate code(s) {dup}")
        if not spec.scenarios[-1].default:
            raise ConfigError(f"{source}: [[scenarios]]: the last scenario must have `default = true` (every analysis needs a plan)")
        for s in spec.scenarios:
            where = f"{source}: scenario {s.code!r}"
            if s.budget_max < s.budget_min:
                raise ConfigError(f"{where}: key 'budget_max': {s.budget_max:g} is below budget_min {s.budget_min:g}")
            for t in s.tiers:
                if t.max_hours <= t.min_hours:
                    raise ConfigError(f"{where}: [[scenarios.tiers]] {t.offer!r}: max_hours must be above min_hours")
        self.apology: dict[str, Any] = {}
        for a in spec.apologies:
            for lv in a.for_levels:
                if lv in self.apology:
                    raise ConfigError(f"{source}: [[apologies]]: level {lv!r} has two apologies")
                self.apology[lv] = a
        missing = [lv for lv in LEVELS if lv not in self.apology]
        if missing:
            raise ConfigError(f"{source}: [[apologies]]: no apology for level(s) {missing}")
        # built once: every plan of a scenario shares these (frozen) objects
        self.steps = {sc.code: tuple(PlaybookStep(st.step, st.actions) for st in sc.steps) for sc in spec.scenarios}
        self.tiers = {sc.code: tuple((t.min_hours, t.max_hours, t.offer) for t in sc.tiers) for sc in spec.scenarios}
        self.overrun: list[re.Pattern[str]] = []
        for p in spec.overrun.patterns:
            rx = compile_checked(p, f"{source}: [overrun] key 'patterns'")
            names = set(rx.groupindex)
            if not ({"promised", "actual"} <= names or "over" in names or {"clock_p", "clock_a"} <= names):
                raise ConfigError(f"{source}: [overrun] pattern {p!r} needs groups `promised` and `actual`, `over`, or `clock_p` and `clock_a`")
            self.overrun.append(rx)

    @classmethod
    def load(cls, path: str | Path | None = None) -> "PlaybookRules":
        """The shipped playbook (``None``) or a file of your own, read strictly."""
        p = Path(path) if path is not None else data_file("playbook.toml")
        return cls(build(PlaybookSpec, read_toml(p), str(p)), str(p))


_default = LazyDefault(PlaybookRules.load)


def default_playbook_rules() -> PlaybookRules:
    """The shipped playbook, built on first use."""
    return _default()  # type: ignore[no-any-return]


def stated_overrun(nt: NormalizedText, rules: PlaybookRules | None = None) -> tuple[float, int, int] | None:
    """The overrun of a promised time the text states, in hours, with its span in the original
    text: ``说好2小时, 结果等了4个小时`` → 2; ``超时3个小时`` → 3. The largest one stated wins."""
    rules = rules or default_playbook_rules()
    best: tuple[float, int, int] | None = None
    for rx in rules.overrun:
        for m in rx.finditer(nt.text):
            g = m.groupdict()
            if g.get("over"):
                h = _hours(g["over"], g.get("unit"))
                if h is not None and g.get("half"):  # 两个半小时
                    h += 0.5 if g.get("unit") != "分钟" else 0.0
            elif g.get("promised") and g.get("actual"):
                p = _hours(g["promised"], g.get("unit_p"))
                a = _hours(g["actual"], g.get("unit_a"))
                if p is not None and g.get("half_p"):
                    p += 0.5
                if a is not None and g.get("half_a"):
                    a += 0.5
                h = None if p is None or a is None or a <= p else a - p
            elif g.get("clock_p") and g.get("clock_a"):
                t1, t2 = _hours(g["clock_p"], None), _hours(g["clock_a"], None)
                if t1 is not None and g.get("pm_p") and t1 < 12:
                    t1 += 12
                if t2 is not None and (g.get("pm_a") or (g.get("pm_p") and t1 is not None and t2 + 12 > t1 and t2 < 12 and t2 < t1)) and t2 < 12:
                    t2 += 12
                h = None if t1 is None or t2 is None or not 0 < t2 - t1 <= 12 else t2 - t1
            else:
                h = None
            if h is None or h <= 0:
                continue
            if best is None or h > best[0]:
                s, e = nt.to_original(m.start(), m.end())
                best = (round(h, 2), s, e)
    return best


def _choose(rules: PlaybookRules, category: str | None, signals: tuple[Signal, ...], reasons: tuple[LevelReason, ...], pro: bool) -> tuple[Scenario, str, Signal | LevelReason | None]:
    for sc in rules.spec.scenarios:
        if sc.default:
            return sc, "其他情形", None
        for s in signals:
            if s.code in sc.done_signals and s.modality == "done":
                return sc, f"{SIGNALS[s.code]} (已发生)", s
        if category is not None and category in sc.categories:
            return sc, f"类别 {CATEGORIES[category]}", None
        for s in signals:
            if s.code in sc.signals and s.modality in ESCALATING_MODALITIES:
                return sc, f"{SIGNALS[s.code]} ({s.modality})", s
        for r in reasons:
            if any(r.rule.startswith(p) for p in sc.level_rules):
                return sc, r.explanation, r
        if sc.professional_complainant and pro:
            return sc, "疑似职业投诉人", None
    raise AssertionError("the last scenario is the default")  # pragma: no cover


def playbook_for(scenario: str, level: str | None = None, handling: tuple[str, ...] = (), rules: PlaybookRules | None = None) -> Playbook:
    """The plan of one scenario by its code (what ``complaint-nlp playbook SCENARIO`` prints),
    at ``level`` (default: the scenario's floor) with a customer type's ``handling``."""
    rules = rules or default_playbook_rules()
    sc = next((x for x in rules.spec.scenarios if x.code == scenario), None)
    if sc is None:
        raise KeyError(f"no scenario {scenario!r} in {rules.source}; scenarios: {', '.join(x.code for x in rules.spec.scenarios)}")
    return _plan(rules, sc, "按场景查询", None, level, None, handling)


def _plan(rules: PlaybookRules, sc: Scenario, reason: str, ev: Any, level: str | None, nt: NormalizedText | None, handling: tuple[str, ...]) -> Playbook:
    lv: str = level if level is not None and level in LEVELS else "minor"
    if level_rank(sc.min_level) > level_rank(lv):
        lv = sc.min_level
    apology = rules.apology[lv]
    target = LEVELS[lv]
    over = stated_overrun(nt, rules) if sc.tiers and nt is not None else None
    offer = over_text = None
    if over is not None and nt is not None:
        hours, s, e = over
        over_text = nt.original[s:e]
        offer = next((t.offer for t in sc.tiers if t.min_hours <= hours < t.max_hours), None)
    budget = (sc.budget_min, sc.budget_max) if sc.budget_max > 0 else (None, None)
    return Playbook(
        scenario=sc.code,
        name=SCENARIOS[sc.code],
        reason=reason,
        steps=rules.steps[sc.code],
        apology_level=apology.level,
        apology=apology.name,
        apology_example=apology.example,
        budget_min=budget[0],
        budget_max=budget[1],
        level=lv,
        response_minutes=target.minutes,
        responder=target.responder,
        owner=sc.owner,
        emotion=sc.emotion,
        root_need=sc.root_need,
        evidence=ev.text if isinstance(ev, Signal) else (ev.evidence if ev is not None else None),
        start=ev.start if ev is not None else None,
        end=ev.end if ev is not None else None,
        overrun_hours=over[0] if over is not None else None,
        overrun_text=over_text,
        overrun_offer=offer,
        customer_handling=handling,
        tiers=rules.tiers[sc.code],
    )


def choose_playbook(
    nt: NormalizedText,
    category: str | None,
    level: str | None,
    signals: tuple[Signal, ...],
    reasons: tuple[LevelReason, ...],
    professional_complainant: bool,
    customer_type: CustomerType | None = None,
    rules: PlaybookRules | None = None,
) -> Playbook:
    """The recovery plan for one analysed message (see the module docstring)."""
    rules = rules or default_playbook_rules()
    sc, reason, ev = _choose(rules, category, signals, reasons, professional_complainant)
    handling = customer_type.handling if customer_type is not None and customer_type.code != "unknown" else ()
    return _plan(rules, sc, reason, ev, level, nt, handling)
