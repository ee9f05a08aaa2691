"""Typed, frozen schemas of the data files the library reads, and one strict reader for them.

Every file of rules and settings (``lexicon.toml``, ``escalation.toml``, and user files passed
with ``--lexicon``/``--extend-lexicon``/``--escalation``) is read into the frozen dataclasses
below by :func:`build`, which refuses, with one :class:`~complaint_nlp.errors.ConfigError` line
naming the file, the section or rule and the key:

* an unknown section or key (with the closest known name as a hint),
* a missing required key (every cue list, every setting, every escalation trigger list),
* a value of the wrong type, or out of its range, or not one of its allowed codes.

A field without a default is required. ``doc``, ``lo``/``hi`` and ``choices`` in a field's
metadata are the schema; :func:`describe` renders them as the README's tables, and a test checks
that README shows exactly that.
"""

from __future__ import annotations

import difflib
import typing
from dataclasses import MISSING, dataclass, field, fields, is_dataclass
from typing import Any, Mapping, Sequence, TypeVar

from .errors import ConfigError
from .taxonomy import CATEGORIES, CUSTOMER_TYPES, DEMAND_KINDS, EMOTIONS, LEVELS, MODALITIES, SCENARIOS, SIGNALS

__all__ = [
    "RESULT_FIELDS",
    "THREAD_FIELDS",
    "CUSTOMER_FIELDS",
    "result_fields",
    "result_arrow_schema",
    "result_json_schema",
    "SCHEMA_VERSION",
    "Rule",
    "Settings",
    "ModalityCues",
    "IntensityWords",
    "DetailWords",
    "AmountWords",
    "LexiconSpec",
    "MajorCriterion",
    "UrgentTriggers",
    "SeriousTriggers",
    "NormalTriggers",
    "EscalationSpec",
    "DemandRule",
    "DemandSettings",
    "DemandCues",
    "DemandAmountWords",
    "DemandSpec",
    "TypeCue",
    "TypeFeature",
    "TypeProfile",
    "TypeSettings",
    "CustomerTypeSpec",
    "Apology",
    "RecoveryStep",
    "OverrunTier",
    "Scenario",
    "OverrunPatterns",
    "PlaybookSpec",
    "DETAIL_EXTRACTORS",
    "TYPE_FEATURES",
    "build",
    "check_partial",
    "describe",
    "describe_advice",
]

#: the ``version`` a rule file may declare; another value is refused
SCHEMA_VERSION = "1"

#: detail extractors a rule may name with ``details = "..."`` (see complaint_nlp/signals.py)
DETAIL_EXTRACTORS = ("repeat_count", "repeat_adverb")

T = TypeVar("T")


def _f(doc: str, default: Any = MISSING, **meta: Any) -> Any:
    """A schema field: ``doc`` for README, optional ``lo``/``hi``/``choices``/``min_items``."""
    md = {"doc": doc, **meta}
    if default is MISSING:
        return field(metadata=md)
    if isinstance(default, (list, dict, set)):
        raise TypeError("mutable default")
    return field(default=default, metadata=md)


_WORDS = "list of words"
_REGEXES = "list of regular expressions"

# ---------------------------------------------------------------- lexicon.toml


@dataclass(frozen=True)
class Rule:
    """One recognizer (``[[signals]]`` or ``[[traits]]``): what to match and what it means."""

    name: str = _f("unique rule name, reported with every hit")
    code: str = _f("TAXONOMY code the rule emits: §3 signal codes in [[signals]], §4 trait codes in [[traits]]")
    keywords: tuple[str, ...] = _f("literal words, matched case-insensitively, longest first (`keywords` or `patterns` is required)", ())
    patterns: tuple[str, ...] = _f("regular expressions for what keywords cannot say; bounded repeats only (see *Safe patterns*)", ())
    score: float = _f("base confidence", 0.8, lo=0.0, hi=1.0)
    context: tuple[str, ...] = _f("words that raise the score by `context_boost` within `context_window` characters", ())
    veto: tuple[str, ...] = _f("words that cancel the hit when they overlap it (within `veto_window`), e.g. 报警灯", ())
    veto_context: tuple[str, ...] = _f("words that cancel the hit anywhere within `context_window` characters", ())
    modality: str = _f("`auto` (decided by the modality table) or a fixed modality", "auto", choices=("auto",) + tuple(MODALITIES))
    details: str = _f("named detail extractor for the hit's `details` (counts, days, flags); empty for none", "", choices=("",) + DETAIL_EXTRACTORS)
    explanation: str = _f("short human-readable reason", "")
    kind: str = field(default="signal", metadata={"internal": True})  # set from the section, not a key

    def regex_source(self) -> str:
        """This rule as one regex alternative: keywords (escaped, longest first) then patterns."""
        from .saferegex import alternation_source

        return alternation_source(self.keywords, self.patterns)


@dataclass(frozen=True)
class Settings:
    """``[settings]``: numbers the rules use. All required in a full lexicon."""

    context_window: int = _f("characters on each side of a hit searched for `context` and `veto_context` words", lo=0, hi=200)
    context_boost: float = _f("score added when a `context` word is found", lo=0.0, hi=1.0)
    veto_window: int = _f("characters on each side of a hit within which a `veto` word must overlap it", lo=0, hi=50)
    intensity_threshold: float = _f("`high_intensity` is emitted when the intensity score reaches this (profanity always is)", lo=0.0, hi=1.0)
    excessive_amount: float = _f("a demanded amount (yuan) at or above this is `excessive_demand`", lo=1.0, hi=1e12)
    min_repeat_count: int = _f("smallest count of contacts or repairs that is `repeated_contact` (第N次 with N ≥ 2 always is)", lo=2, hi=1000)


@dataclass(frozen=True)
class ModalityCues:
    """``[modality]``: cue lists (regular expressions) the modality table reads
    (complaint_nlp/modality.py). All required."""

    conditional: tuple[str, ...] = _f("conditional threat earlier in the sentence: 再不…就, 否则, 如果", min_items=1)
    negation: tuple[str, ...] = _f("negation close before the hit in the same clause: 不会, 没打算", min_items=1)
    negation_breakers: tuple[str, ...] = _f("words between a negation and the hit that make it a condition: 就, 才", min_items=1)
    reported: tuple[str, ...] = _f("someone else's words in the clause: 客服说, 听说, 广告", min_items=1)
    done_before: tuple[str, ...] = _f("completed action in the clause before the hit: 已经, 昨天", min_items=1)
    done_after: tuple[str, ...] = _f("completed action right after the hit (anchored with ^): 了, 过, 受理", min_items=1)
    done_just_before: tuple[str, ...] = _f("a verb + 了/过 right before the hit (anchored with $)", min_items=1)
    done_in_hit: tuple[str, ...] = _f("completion inside the hit itself: 报了警, 发到了小红书", min_items=1)
    threat: tuple[str, ...] = _f("intention in the sentence before the hit: 要, 将, 准备", min_items=1)
    threat_after: tuple[str, ...] = _f("a terse threat right after the hit (anchored with ^): 法院见, 律师会跟你们联系", min_items=1)
    question_after: tuple[str, ...] = _f("a question about the channel after the hit: 吗, 多少, ?", min_items=1)
    against_customer: tuple[str, ...] = _f("right after the hit, the customer as its object: 起诉我, 报警抓我 (anchored with ^)", min_items=1)
    hearsay: tuple[str, ...] = _f("hearsay or another person's words earlier in the sentence, across clauses: 听说, 我妈说", min_items=1)
    writer_again: tuple[str, ...] = _f("the writer speaking again after a `hearsay` cue (it then no longer covers the hit): 我", min_items=1)
    third_party: tuple[str, ...] = _f("a dispute with someone other than the business earlier in the sentence: 跟房东的押金纠纷", min_items=1)
    diary: tuple[str, ...] = _f("a dated diary header earlier in the sentence (周日：, 9号：): what follows happened", min_items=1)
    intention: tuple[str, ...] = _f("an intention after a done cue in the clause keeps the hit a threat: 上个月说了要去…投诉", min_items=1)
    completed: tuple[str, ...] = _f("after an intention cue, what shows it was carried out: 我今天去派出所了", min_items=1)
    resigned: tuple[str, ...] = _f("a resigned or planned intention in the clause before the hit, which a 了 or 立案 after it does not make done: 只能, 下周就去", min_items=1)
    done_next: tuple[str, ...] = _f("the next sentence says the action was done (anchored with ^): 我上周投的", min_items=1)
    threat_next: tuple[str, ...] = _f("the next sentence takes the action up (anchored with ^): 行，奉陪到底", min_items=1)
    retracted_after: tuple[str, ...] = _f("right after the hit, the customer takes the threat back (anchored with ^): …是气话", min_items=1)
    rhetorical_after: tuple[str, ...] = _f("after a 不是 negation, a rhetorical question keeps the hit (这不是坑人吗)", min_items=1)
    rhetorical_before: tuple[str, ...] = _f("before any negation, with `rhetorical_after` on the right, a rhetorical question keeps the hit (以为我不会去法院？)", min_items=1)
    diagnosis: tuple[str, ...] = _f("a medical finding in the clause before a safety hazard makes it done, not hearsay: 医生说是", min_items=1)
    hypothetical: tuple[str, ...] = _f("worry or hypothesis that makes a safety hazard `mentioned`: 担心, 万一", min_items=1)


@dataclass(frozen=True)
class IntensityWords:
    """``[intensity]``: what feeds the emotion-intensity score."""

    profanity: tuple[str, ...] = _f("insults and profanity (regular expressions)", min_items=1)
    acronyms: tuple[str, ...] = _f("Latin words in capitals that are not shouting: 4S, SUV", ())
    laughter: tuple[str, ...] = _f("characters whose repetition is laughter, not anger: 哈, 呵", ())


@dataclass(frozen=True)
class DetailWords:
    """``[details]``: words the detail extractors read (repeated contact and repairs)."""

    repair_context: tuple[str, ...] = _f("words near a count that make it a repair count: 修, 4S店", min_items=1)
    contact_words: tuple[str, ...] = _f("words in a hit that make it a contact count: 催, 电话", min_items=1)
    repair_words: tuple[str, ...] = _f("words in an adverb hit that mean repaired 3+ times: 返修, 屡修", min_items=1)


@dataclass(frozen=True)
class AmountWords:
    """``[amounts]``: how a demanded amount is told apart from a price (trait excessive_demand)."""

    demand_before: tuple[str, ...] = _f("a claim verb shortly before the amount: 赔偿, 索赔 (regular expressions)", min_items=1)
    not_demand: tuple[str, ...] = _f("words that make the amount a price or refund, not a claim: 车价, 退款", min_items=1)
    demand_after: tuple[str, ...] = _f("a claim word right after the amount: 5万精神损失费 (regular expressions)", min_items=1)


@dataclass(frozen=True)
class LexiconSpec:
    """A whole lexicon file."""

    settings: Settings = _f("numbers the rules use")
    modality: ModalityCues = _f("modality cue lists")
    intensity: IntensityWords = _f("emotion-intensity words")
    details: DetailWords = _f("detail-extractor words")
    amounts: AmountWords = _f("demanded-amount words")
    signals: tuple[Rule, ...] = _f("signal rules (TAXONOMY §3)", ())
    traits: tuple[Rule, ...] = _f("trait rules (TAXONOMY §4)", ())
    version: str = _f("schema version of the file", SCHEMA_VERSION, choices=(SCHEMA_VERSION,))


# ---------------------------------------------------------------- escalation.toml


@dataclass(frozen=True)
class MajorCriterion:
    """``[[serious.major]]``: a major-complaint criterion (重大投诉) that forces at least serious."""

    name: str = _f("unique criterion name, reported as `major.<name>`")
    patterns: tuple[str, ...] = _f(_REGEXES + " on normalised text", min_items=1)
    explanation: str = _f("reason shown with the level", "")


@dataclass(frozen=True)
class UrgentTriggers:
    """``[urgent]``."""

    signals: tuple[str, ...] = _f("threatened/done signals of these codes force urgent", choices=tuple(SIGNALS))
    safety_signals: tuple[str, ...] = _f("these signals force urgent when `done` (a hazard that happened)", choices=tuple(SIGNALS))
    categories: tuple[str, ...] = _f("the classifier's category, at `min_category_probability` or more, forces urgent", choices=tuple(CATEGORIES))
    min_category_probability: float = _f("probability a category in `categories` needs", lo=0.0, hi=1.0)


@dataclass(frozen=True)
class SeriousTriggers:
    """``[serious]``."""

    signals: tuple[str, ...] = _f("threatened/done signals of these codes make at least serious", choices=tuple(SIGNALS))
    professional_complainant: bool = _f("a suspected professional complainant makes at least serious")
    major: tuple[MajorCriterion, ...] = _f("major-complaint criteria", ())


@dataclass(frozen=True)
class NormalTriggers:
    """``[normal]``."""

    signals: tuple[str, ...] = _f("threatened/done signals of these codes make at least normal", choices=tuple(SIGNALS))
    emotions: tuple[str, ...] = _f("negative emotions: P(negative) is their summed probability", choices=tuple(EMOTIONS))
    non_complaint_categories: tuple[str, ...] = _f("categories that are not a complaint: P(complaint) is 1 minus their summed probability", choices=tuple(CATEGORIES))
    min_complaint_emotion: float = _f("P(negative) × P(complaint) + `intensity_weight` × intensity at or above this makes normal", lo=0.0, hi=2.0)
    intensity_weight: float = _f("weight of the intensity score (0–1) in that sum", lo=0.0, hi=1.0)
    min_intensity: float = _f("without an emotion model: the intensity that makes normal", lo=0.0, hi=1.0)


@dataclass(frozen=True)
class EscalationSpec:
    """A whole escalation file (TAXONOMY §5)."""

    urgent: UrgentTriggers = _f("urgent triggers")
    serious: SeriousTriggers = _f("serious triggers")
    normal: NormalTriggers = _f("normal triggers")
    version: str = _f("schema version of the file", SCHEMA_VERSION, choices=(SCHEMA_VERSION,))


# ---------------------------------------------------------------- demands.toml


@dataclass(frozen=True)
class DemandRule:
    """``[[demands]]``: words that carry one kind of demand (诉求)."""

    name: str = _f("unique rule name, reported with every demand")
    kind: str = _f("the demand kind the rule emits", choices=tuple(DEMAND_KINDS))
    keywords: tuple[str, ...] = _f("literal words, longest first (`keywords` or `patterns` is required)", ())
    patterns: tuple[str, ...] = _f(_REGEXES + " for what keywords cannot say; bounded repeats only", ())
    cue_required: bool = _f("the hit counts only with a `[modality] demand` cue earlier in its clause (for words such as 维修 that also tell a story)", False)
    amount: bool = _f("read the amount asked for next to the hit (`[amounts]`)", False)
    multiple: bool = _f("read a multiple from the hit: 退一赔三 → 3, 十倍 → 10", False)
    veto: tuple[str, ...] = _f("words that cancel the hit when they overlap it: 退款流程", ())
    veto_after: tuple[str, ...] = _f("words after the hit, up to 6 characters past its amount, that cancel it, because another kind says it better: 退我500元差价 is a price difference", ())
    score: float = _f("confidence", 0.8, lo=0.0, hi=1.0)
    explanation: str = _f("short human-readable reason", "")


@dataclass(frozen=True)
class DemandSettings:
    """``[settings]`` of the demands file."""

    amount_after: int = _f("characters after the hit, in its clause, searched for the amount", lo=0, hi=40)
    amount_before: int = _f("characters before the hit searched for an amount that names it (5000元的赔偿)", lo=0, hi=20)
    clause_reach: int = _f("characters before the hit searched for modality cues (back to the clause start)", lo=1, hi=40)


@dataclass(frozen=True)
class DemandCues:
    """``[modality]`` of the demands file: cue lists (regular expressions) that decide whether a
    demand is made, threatened, refused, offered by someone else or already granted."""

    demand: tuple[str, ...] = _f("an ask before the hit in its clause: 要求, 必须, 请, 希望", min_items=1)
    condition_before: tuple[str, ...] = _f("a negated condition right before the hit: 不, 再不, 如果不 (anchored with $)", min_items=1)
    condition_after: tuple[str, ...] = _f("after the hit, what turns `不…` into a threat: 就, 否则 (anchored with ^)", min_items=1)
    negation: tuple[str, ...] = _f("the customer refuses it, before the hit: 不要, 不需要, 不为 (anchored with $)", min_items=1)
    negation_after: tuple[str, ...] = _f("the customer refuses it, after the hit: 就不用了, 我也不要了 (anchored with ^)", min_items=1)
    offered: tuple[str, ...] = _f("someone else offers or reports it, in the clause before the hit: 客服说, 只同意, 答应", min_items=1)
    reclaim: tuple[str, ...] = _f("in the clause of an `offered` cue, words that make it the customer's ask: 要求, 希望", min_items=1)
    done_in_hit: tuple[str, ...] = _f("already granted, inside the hit itself: 退了, 已经退", min_items=1)
    done_before: tuple[str, ...] = _f("already granted, right before the hit: 已经, 已 (anchored with $)", min_items=1)
    done_after: tuple[str, ...] = _f("already granted, right after the hit: 了, 到账了 (anchored with ^)", min_items=1)


@dataclass(frozen=True)
class DemandAmountWords:
    """``[amounts]`` of the demands file: how ranges, per-day sums and non-demand amounts read."""

    range_joiners: tuple[str, ...] = _f("words between the two ends of a range: 到, 至, -", min_items=1)
    per_day: tuple[str, ...] = _f("words that make an amount a daily sum, right before or after it: 每天, /天 (regular expressions)", min_items=1)
    not_demand: tuple[str, ...] = _f("words between the hit and an amount that make it a price, not the ask: 花了, 买的", min_items=1)


@dataclass(frozen=True)
class DemandSpec:
    """A whole demands file."""

    settings: DemandSettings = _f("numbers the demand reader uses")
    modality: DemandCues = _f("demand modality cue lists")
    amounts: DemandAmountWords = _f("amount words")
    demands: tuple[DemandRule, ...] = _f("demand rules", min_items=1)
    version: str = _f("schema version of the file", SCHEMA_VERSION, choices=(SCHEMA_VERSION,))


# ---------------------------------------------------------------- customer_types.toml

#: measured features a customer-type profile may weigh (complaint_nlp/customer_type.py)
TYPE_FEATURES = ("precise_numbers", "numbered_points", "emoji")


@dataclass(frozen=True)
class TypeCue:
    """``[[cues]]``: words that show a customer type."""

    name: str = _f("unique cue name, reported with its evidence")
    type: str = _f("the customer type it shows", choices=tuple(c for c in CUSTOMER_TYPES if c != "unknown"))
    weight: float = _f("score added per hit", lo=0.0, hi=10.0)
    keywords: tuple[str, ...] = _f("literal words (`keywords` or `patterns` is required)", ())
    patterns: tuple[str, ...] = _f(_REGEXES + "; bounded repeats only", ())
    max_hits: int = _f("hits of this cue that count", 2, lo=1, hi=20)


@dataclass(frozen=True)
class TypeFeature:
    """``[[features]]``: a measured feature that shows a customer type."""

    name: str = _f("unique feature name")
    type: str = _f("the customer type it shows", choices=tuple(c for c in CUSTOMER_TYPES if c != "unknown"))
    feature: str = _f("what is measured", choices=TYPE_FEATURES)
    min: float = _f("the count from which it counts", lo=0.0, hi=1e6)
    weight: float = _f("score added per unit above `min`, and at `min`", lo=0.0, hi=10.0)
    cap: float = _f("the most this feature adds", lo=0.0, hi=20.0)
    per: float = _f("the count that makes one unit", 1.0, lo=0.001, hi=1e6)


@dataclass(frozen=True)
class TypeProfile:
    """``[[types]]``: a customer type's signs and how to handle it (PLAYBOOK.md)."""

    code: str = _f("customer type code", choices=tuple(CUSTOMER_TYPES))
    signs: str = _f("how the type shows in a complaint")
    handling: tuple[str, ...] = _f("coping guidance, in order", min_items=1)


@dataclass(frozen=True)
class TypeSettings:
    """``[settings]`` of the customer-type file."""

    min_score: float = _f("the top type needs at least this score, else `unknown`", lo=0.0, hi=100.0)
    min_margin: float = _f("and must lead the second type by this much, else `unknown`", lo=0.0, hi=100.0)
    max_evidence: int = _f("evidence spans reported per type", lo=1, hi=50)


@dataclass(frozen=True)
class CustomerTypeSpec:
    """A whole customer-type file."""

    settings: TypeSettings = _f("thresholds")
    cues: tuple[TypeCue, ...] = _f("word cues", min_items=1)
    types: tuple[TypeProfile, ...] = _f("signs and handling of each type (all five codes)", min_items=1)
    features: tuple[TypeFeature, ...] = _f("measured features", ())
    version: str = _f("schema version of the file", SCHEMA_VERSION, choices=(SCHEMA_VERSION,))


# ---------------------------------------------------------------- playbook.toml


@dataclass(frozen=True)
class Apology:
    """``[[apologies]]``: an apology level and the escalation levels it fits."""

    level: int = _f("apology level of the material (1 perfunctory … 4 taking responsibility)", lo=1, hi=4)
    name: str = _f("its name: 常规道歉")
    example: str = _f("what it sounds like")
    for_levels: tuple[str, ...] = _f("escalation levels it is used for", (), choices=tuple(LEVELS))


@dataclass(frozen=True)
class RecoveryStep:
    """``[[scenarios.steps]]``: one step of the recovery plan."""

    step: str = _f("the five-step method's step: 立即响应, 真诚道歉, 深度倾听, 超额补救, 持续跟进")
    actions: tuple[str, ...] = _f("what to do, in order", min_items=1)


@dataclass(frozen=True)
class OverrunTier:
    """``[[scenarios.tiers]]``: compensation by hours of overrun (delay scenario)."""

    min_hours: float = _f("overrun from (inclusive)", lo=0.0, hi=1e4)
    max_hours: float = _f("overrun up to (exclusive)", lo=0.0, hi=1e6)
    offer: str = _f("what to offer")


@dataclass(frozen=True)
class Scenario:
    """``[[scenarios]]``: a service-recovery scenario, when it applies and its plan. The first
    scenario whose condition holds is chosen; the last must have `default = true`."""

    code: str = _f("scenario code", choices=tuple(SCENARIOS))
    signs: str = _f("how the scenario shows")
    emotion: str = _f("the customer's usual emotion in it")
    root_need: str = _f("the deeper need to listen for")
    owner: str = _f("who acts")
    steps: tuple[RecoveryStep, ...] = _f("the recovery plan", min_items=1)
    categories: tuple[str, ...] = _f("applies when the predicted category is one of these", (), choices=tuple(CATEGORIES))
    signals: tuple[str, ...] = _f("applies when one of these signals is threatened or done", (), choices=tuple(SIGNALS))
    done_signals: tuple[str, ...] = _f("applies when one of these signals is done (a hazard that happened)", (), choices=tuple(SIGNALS))
    level_rules: tuple[str, ...] = _f("applies when a level reason's rule starts with one of these: `major.`", ())
    professional_complainant: bool = _f("applies to a suspected professional complainant", False)
    default: bool = _f("applies to everything (the last scenario)", False)
    min_level: str = _f("the escalation level this scenario is handled at, at least", "minor", choices=tuple(LEVELS))
    budget_min: float = _f("compensation budget of the material, low end (CNY); 0 with `budget_max` 0 for none", 0.0, lo=0.0, hi=1e7)
    budget_max: float = _f("compensation budget, high end (CNY)", 0.0, lo=0.0, hi=1e7)
    tiers: tuple[OverrunTier, ...] = _f("compensation by stated overrun", ())


@dataclass(frozen=True)
class OverrunPatterns:
    """``[overrun]``: how a stated overrun reads. Patterns name their numbers with groups
    ``promised`` and ``actual`` (hours promised, hours taken) or ``over`` (the overrun), and
    ``unit`` when it may be minutes."""

    patterns: tuple[str, ...] = _f(_REGEXES + " with named groups", min_items=1)


@dataclass(frozen=True)
class PlaybookSpec:
    """A whole playbook file."""

    apologies: tuple[Apology, ...] = _f("apology levels", min_items=1)
    scenarios: tuple[Scenario, ...] = _f("scenarios, first match wins", min_items=1)
    overrun: OverrunPatterns = _f("stated overrun")
    version: str = _f("schema version of the file", SCHEMA_VERSION, choices=(SCHEMA_VERSION,))


# ---------------------------------------------------------------- the reader

_SECTION_NAMES = {
    Settings: "[settings]",
    ModalityCues: "[modality]",
    IntensityWords: "[intensity]",
    DetailWords: "[details]",
    AmountWords: "[amounts]",
    UrgentTriggers: "[urgent]",
    SeriousTriggers: "[serious]",
    NormalTriggers: "[normal]",
    DemandSettings: "[settings]",
    DemandCues: "[modality]",
    DemandAmountWords: "[amounts]",
    TypeSettings: "[settings]",
    OverrunPatterns: "[overrun]",
}


_FILES = (LexiconSpec, EscalationSpec, DemandSpec, CustomerTypeSpec, PlaybookSpec)


def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _public(cls: type) -> list[Any]:
    return [f for f in fields(cls) if not f.metadata.get("internal")]


def _tname(tp: Any) -> str:
    origin = typing.get_origin(tp)
    if tp is str:
        return "string"
    if tp is bool:
        return "true/false"
    if tp is int:
        return "integer"
    if tp is float:
        return "number"
    if origin is tuple:
        inner = typing.get_args(tp)[0]
        return f"array of {'tables' if is_dataclass(inner) else _tname(inner) + 's'}"
    if is_dataclass(tp):
        return "table"
    return str(tp)


def _type_word(v: Any) -> str:
    return {bool: "true/false", int: "integer", float: "number", str: "string", list: "array", dict: "table"}.get(type(v), type(v).__name__)


def _unknown(raw: Mapping[str, Any], allowed: Sequence[str], where: str, what: str) -> None:
    for k in raw:
        if k not in allowed:
            near = difflib.get_close_matches(str(k), list(allowed), n=1, cutoff=0.6)
            hint = f" (did you mean {near[0]!r}?)" if near else ""
            raise ConfigError(f"{where}: unknown {what} {k!r}{hint}; allowed: {', '.join(allowed)}")


def _scalar(tp: Any, v: Any, where: str, key: str, meta: Mapping[str, Any]) -> Any:
    if tp is bool:
        if not isinstance(v, bool):
            raise ConfigError(f"{where}: key {key!r}: expected true/false, got {_type_word(v)} {v!r}")
        return v
    if tp is int:
        if isinstance(v, bool) or not isinstance(v, int):
            raise ConfigError(f"{where}: key {key!r}: expected an integer, got {_type_word(v)} {v!r}")
    elif tp is float:
        if isinstance(v, bool) or not isinstance(v, (int, float)) or v != v:
            raise ConfigError(f"{where}: key {key!r}: expected a number, got {_type_word(v)} {v!r}")
        v = float(v)
    elif tp is str:
        if not isinstance(v, str):
            raise ConfigError(f"{where}: key {key!r}: expected a string, got {_type_word(v)} {v!r}")
    lo, hi = meta.get("lo"), meta.get("hi")
    if (lo is not None and v < lo) or (hi is not None and v > hi):
        raise ConfigError(f"{where}: key {key!r}: {v!r} is out of range {lo}..{hi}")
    choices = meta.get("choices")
    if choices is not None and v not in choices:
        raise ConfigError(f"{where}: key {key!r}: {v!r} is not one of {', '.join(map(repr, choices))}")
    return v


def _value(tp: Any, v: Any, where: str, key: str, meta: Mapping[str, Any]) -> Any:
    origin = typing.get_origin(tp)
    if is_dataclass(tp):
        if not isinstance(v, dict):
            raise ConfigError(f"{where}: key {key!r}: expected a table, got {_type_word(v)}")
        return build(tp, v, _sub_where(where, tp, key))  # type: ignore[arg-type]
    if origin is tuple:
        inner = typing.get_args(tp)[0]
        if isinstance(v, str) and inner is str:
            raise ConfigError(f"{where}: key {key!r}: expected an array of strings, got the string {v!r}; write [{v!r}]")
        if not isinstance(v, list):
            raise ConfigError(f"{where}: key {key!r}: expected an array, got {_type_word(v)}")
        if len(v) < meta.get("min_items", 0):
            raise ConfigError(f"{where}: key {key!r}: needs at least {meta['min_items']} item(s)")
        if is_dataclass(inner):
            out = []
            for i, item in enumerate(v):
                if not isinstance(item, dict):
                    raise ConfigError(f"{where}: key {key!r}: item #{i + 1} must be a table")
                out.append(build(inner, item, _item_where(where, key, i, item)))  # type: ignore[arg-type]
            names = [getattr(x, "name", None) for x in out]
            dup = sorted({n for n in names if n is not None and names.count(n) > 1})
            if dup:
                raise ConfigError(f"{where}: key {key!r}: duplicate name(s) {dup}")
            return tuple(out)
        items = []
        for i, item in enumerate(v):
            if inner is str and (not isinstance(item, str) or not item):
                raise ConfigError(f"{where}: key {key!r}: item #{i + 1} must be a non-empty string, got {_type_word(item)} {item!r}")
            items.append(_scalar(inner, item, where, key, meta))
        if inner is str:  # a word listed twice is a slip (often a paste): say which
            seen: set[str] = set()
            dup = [x for x in items if x in seen or seen.add(x)]  # type: ignore[func-returns-value]
            if dup:
                raise ConfigError(f"{where}: key {key!r}: {dup[0]!r} is listed twice")
        return tuple(items)
    return _scalar(tp, v, where, key, meta)


def _sub_where(where: str, tp: type, key: str) -> str:
    file = where.split(": ", 1)[0]
    return f"{file}: {_SECTION_NAMES.get(tp, '[' + key + ']')}"


def _item_where(where: str, key: str, i: int, item: Mapping[str, Any]) -> str:
    file = where.split(": ", 1)[0]
    name = item.get("name")
    return f"{file}: rule {name!r}" if isinstance(name, str) and name else f"{file}: [[{key}]] #{i + 1}"


def build(cls: type[T], raw: Mapping[str, Any], where: str, **internal: Any) -> T:
    """Read ``raw`` (parsed TOML) into the frozen dataclass ``cls``, strictly.

    ``where`` starts every error message (the file, then the section or rule); ``internal`` sets
    fields that are not file keys (a rule's ``kind``)."""
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{where}: expected a table, got {_type_word(raw)}")
    hints = _hints(cls)
    public = _public(cls)
    names = [f.name for f in public]
    _unknown(raw, names, where, "section" if cls in _FILES else "key")
    kwargs: dict[str, Any] = dict(internal)
    for f in public:
        if f.name not in raw:
            if f.default is MISSING:
                what = "section" if is_dataclass(hints[f.name]) else "key"
                raise ConfigError(f"{where}: missing required {what} {f.name!r} ({f.metadata.get('doc', '')})")
            continue
        kwargs[f.name] = _value(hints[f.name], raw[f.name], where, f.name, f.metadata)
    return cls(**kwargs)


def check_partial(cls: type, raw: Mapping[str, Any], where: str) -> None:
    """Validate a file that only overrides parts of ``cls`` (``--extend-lexicon``): every key
    present must be known and well typed; nothing is required."""
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{where}: expected a table, got {_type_word(raw)}")
    hints = _hints(cls)
    public = {f.name: f for f in _public(cls)}
    _unknown(raw, list(public), where, "section" if cls in _FILES else "key")
    for k, v in raw.items():
        tp = hints[k]
        if isinstance(tp, type) and is_dataclass(tp) and isinstance(v, Mapping):
            check_partial(tp, v, _sub_where(where, tp, k))
        else:
            _value(tp, v, where, k, public[k].metadata)


# ---------------------------------------------------------------- documentation


def describe(cls: type) -> str:
    """Markdown table of ``cls``'s keys: name, type, default (or *required*), meaning."""
    rows = ["| key | type | default | meaning |", "|---|---|---|---|"]
    hints = _hints(cls)
    for f in _public(cls):
        tp = hints[f.name]
        if f.default is not MISSING:
            d = f.default
            default = "`[]`" if d == () else f"`{d!r}`" if isinstance(d, str) else f"`{d}`"
        else:
            default = "*required*"
        meaning = f.metadata.get("doc", "")
        lo, hi = f.metadata.get("lo"), f.metadata.get("hi")
        if lo is not None:
            meaning += f"; {lo:g}–{hi:g}"
        choices = f.metadata.get("choices")
        if choices and len(choices) <= 8:
            meaning += "; one of " + ", ".join(f"`{c}`" if c else "`\"\"`" for c in choices)
        if f.metadata.get("min_items"):
            meaning += "; not empty"
        rows.append(f"| `{f.name}` | {_tname(tp)} | {default} | {meaning} |")
    return "\n".join(rows)


def describe_advice() -> str:
    """The advice files' tables (demands, customer types, playbook), as README shows them."""
    out = []
    for cls, title in (
        (DemandSpec, "demands file: sections"),
        (DemandRule, "`[[demands]]` rule"),
        (DemandSettings, "`[settings]` (demands)"),
        (DemandCues, "`[modality]` (demands)"),
        (DemandAmountWords, "`[amounts]` (demands)"),
        (CustomerTypeSpec, "customer-types file: sections"),
        (TypeCue, "`[[cues]]`"),
        (TypeFeature, "`[[features]]`"),
        (TypeProfile, "`[[types]]`"),
        (TypeSettings, "`[settings]` (customer types)"),
        (PlaybookSpec, "playbook file: sections"),
        (Scenario, "`[[scenarios]]`"),
        (RecoveryStep, "`steps` item"),
        (OverrunTier, "`tiers` item"),
        (Apology, "`[[apologies]]`"),
        (OverrunPatterns, "`[overrun]`"),
    ):
        out.append(f"**{title}**\n\n{describe(cls)}")
    return "\n\n".join(out)


def describe_all() -> str:
    """Every schema table, as README's *Rule files* section shows them."""
    out = []
    for cls, title in (
        (LexiconSpec, "lexicon file: sections"),
        (Rule, "`[[signals]]` / `[[traits]]` rule"),
        (Settings, "`[settings]`"),
        (ModalityCues, "`[modality]`"),
        (IntensityWords, "`[intensity]`"),
        (DetailWords, "`[details]`"),
        (AmountWords, "`[amounts]`"),
        (EscalationSpec, "escalation file: sections"),
        (UrgentTriggers, "`[urgent]`"),
        (SeriousTriggers, "`[serious]`"),
        (MajorCriterion, "`[[serious.major]]`"),
        (NormalTriggers, "`[normal]`"),
    ):
        out.append(f"**{title}**\n\n{describe(cls)}")
    return "\n\n".join(out)


# ===================================================================== output rows
# The typed schema of the result columns that batch scoring adds to every row, declared once:
# Parquet, JSON Lines and Spark output follow it natively (lists and structs), CSV and Excel hold
# the nested values as JSON text. :func:`result_arrow_schema` and :func:`result_json_schema` are
# rendered from these tables, and tests check every writer against them.

#: a nested record: (field, type) with type a scalar name or a list of such pairs
_EVIDENCE = [("start", "int32"), ("end", "int32"), ("text", "string"), ("weight", "float64")]
_SIGNAL = [("code", "string"), ("modality", "string"), ("start", "int32"), ("end", "int32"), ("text", "string"), ("score", "float64"), ("rule", "string"), ("explanation", "string"), ("cue", "string"), ("details", "json")]
_TRAIT = [("code", "string"), ("start", "int32"), ("end", "int32"), ("text", "string"), ("score", "float64"), ("rule", "string"), ("explanation", "string"), ("details", "json")]
_REASON = [("level", "string"), ("rule", "string"), ("explanation", "string"), ("evidence", "string"), ("start", "int32"), ("end", "int32")]
_HISTORY = [("complaints", "int64"), ("rows", ("list", "string"))]
_DEMAND = [("kind", "string"), ("modality", "string"), ("start", "int32"), ("end", "int32"), ("text", "string"), ("score", "float64"), ("rule", "string"), ("explanation", "string"), ("cue", "string"), ("amount", "float64"), ("amount_max", "float64"), ("per_day", "bool"), ("multiple", "float64")]
_THREAD_DEMAND = [("kind", "string"), ("modality", "string"), ("text", "string"), ("amount", "float64"), ("amount_max", "float64"), ("per_day", "bool"), ("multiple", "float64"), ("message", "int64")]
_TYPE_EVIDENCE = [("type", "string"), ("start", "int32"), ("end", "int32"), ("text", "string"), ("weight", "float64"), ("rule", "string")]
#: the per-row part of a playbook (its steps and handling are fixed per scenario and customer
#: type: ``Analysis.playbook`` and ``complaint-nlp playbook`` give them)
_PLAYBOOK = [("reason", "string"), ("evidence", "string"), ("start", "int32"), ("end", "int32"), ("level", "string"), ("response_minutes", "int64"), ("responder", "string"), ("owner", "string"), ("apology_level", "int32"), ("apology", "string"), ("budget_min", "float64"), ("budget_max", "float64"), ("overrun_hours", "float64"), ("overrun_text", "string"), ("overrun_offer", "string")]
PLAYBOOK_ROW_KEYS = tuple(n for n, _ in _PLAYBOOK)

#: result columns in output order: (name, type, description). "scores" is code → probability,
#: "json" is JSON text (heterogeneous details), ("list", X) a list of X.
RESULT_FIELDS: tuple[tuple[str, Any, str], ...] = (
    ("category", "string", "TAXONOMY §1 code, null without a model or on error"),
    ("category2", "string", "secondary category when its probability is high"),
    ("category_scores", "scores", "category code → calibrated probability"),
    ("category_evidence", ("list", _EVIDENCE), "spans of the original text that raised the category"),
    ("emotion", "string", "TAXONOMY §2 code"),
    ("emotion_scores", "scores", "emotion code → calibrated probability"),
    ("intensity", "float64", "emotion intensity 0–1"),
    ("signals", ("list", _SIGNAL), "escalation signals with evidence span and modality"),
    ("traits", ("list", _TRAIT), "professional-complainant traits with evidence"),
    ("professional_complainant", "bool", "three or more distinct traits"),
    ("level", "string", "TAXONOMY §5 escalation level"),
    ("response_minutes", "int64", "response target in minutes"),
    ("responder", "string", "who responds"),
    ("level_reasons", ("list", _REASON), "the rules that set the level, most severe first"),
    ("truncated", "bool", "only the analysis window was read"),
    ("error", "string", "why the row was not analysed (`line N: …` for a malformed record)"),
    ("demands", ("list", _DEMAND), "what the customer asks for: kind, modality, span, amount (yuan), range, per-day, multiple"),
    ("customer_type", "string", "dominant / analytical / social / persistent / unknown"),
    ("customer_type_scores", "scores", "customer type → score (sum of evidence weights)"),
    ("customer_type_evidence", ("list", _TYPE_EVIDENCE), "spans that show the customer type"),
    ("scenario", "string", "service-recovery scenario (playbook)"),
    ("playbook", _PLAYBOOK, "the scenario's per-row plan: reason, level, apology, budget, overrun tier (steps: `complaint-nlp playbook SCENARIO`)"),
)
THREAD_FIELDS: tuple[tuple[str, Any, str], ...] = (
    ("thread_position", "int64", "1-based position of the message in its thread"),
    ("thread_chases", "int64", "follow-ups so far"),
    ("thread_trajectory", "string", "rising / falling / flat"),
    ("thread_max_level", "string", "highest level so far"),
    ("thread_level", "string", "thread level after this message"),
    ("thread_demands", ("list", _THREAD_DEMAND), "the ticket's demands so far, one per kind (the latest live one wins), with the message that stated it"),
    ("thread_customer_type", "string", "customer type over the ticket so far (scores summed)"),
)
CUSTOMER_FIELDS: tuple[tuple[str, Any, str], ...] = (
    ("customer_complaints", "int64", "the customer's messages in the input"),
    ("customer_history", _HISTORY, "complaint_history evidence (3 or more), else null"),
    ("professional_complainant_with_history", "bool", "three traits counting that history"),
)


def result_fields(thread: bool = False, customer: bool = False) -> list[tuple[str, Any, str]]:
    """The result columns, in order, with thread and/or customer columns."""
    return list(RESULT_FIELDS) + (list(THREAD_FIELDS) if thread else []) + (list(CUSTOMER_FIELDS) if customer else [])


def _arrow_type(t: Any) -> Any:
    import pyarrow as pa

    if isinstance(t, list):
        return pa.struct([pa.field(n, _arrow_type(x)) for n, x in t])
    if isinstance(t, tuple) and t[0] == "list":
        return pa.list_(_arrow_type(t[1]))
    if t == "scores":
        return pa.map_(pa.string(), pa.float64())
    if t == "json":
        return pa.string()
    return {"string": pa.string(), "int32": pa.int32(), "int64": pa.int64(), "float64": pa.float64(), "bool": pa.bool_()}[t]


def result_arrow_schema(thread: bool = False, customer: bool = False) -> Any:
    """The result columns as a ``pyarrow.Schema`` (Parquet and Spark output; needs pyarrow)."""
    import pyarrow as pa

    return pa.schema([pa.field(n, _arrow_type(t), metadata={"description": d}) for n, t, d in result_fields(thread, customer)])


def _json_type(t: Any) -> dict[str, Any]:
    if isinstance(t, list):
        return {"type": ["object", "null"], "properties": {n: _json_type(x) for n, x in t}, "required": [n for n, _ in t], "additionalProperties": False}
    if isinstance(t, tuple) and t[0] == "list":
        return {"type": ["array", "null"], "items": _json_type(t[1])}
    if t == "scores":
        return {"type": ["object", "null"], "additionalProperties": {"type": "number"}}
    word = {"string": "string", "json": "string", "int32": "integer", "int64": "integer", "float64": "number", "bool": "boolean"}[t]
    return {"type": [word, "null"]}


def result_json_schema(thread: bool = False, customer: bool = False) -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of the result members of a JSON Lines output row; the input
    columns come before them and are not constrained."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "complaint_nlp result row",
        "type": "object",
        "properties": {n: dict(_json_type(t), description=d) for n, t, d in result_fields(thread, customer)},
        "required": [n for n, _, _ in result_fields(thread, customer)],
    }
