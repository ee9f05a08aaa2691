"""Label codes of ../shared/TAXONOMY.md (v1), with their Chinese names.

This module is the single place the library takes label codes from. Codes are stable ASCII
identifiers; the Chinese name is what a person sees.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Mapping

TAXONOMY_VERSION = "v1"

#: §1 complaint category (投诉类别), in TAXONOMY order.
CATEGORIES: Mapping[str, str] = MappingProxyType(
    {
        "product_quality": "产品质量",
        "service_attitude": "服务态度",
        "after_sales": "售后推诿",
        "delay": "时效延误",
        "price_billing": "价格收费",
        "false_advertising": "虚假宣传",
        "logistics": "物流配送",
        "safety": "安全事故",
        "property_loss": "财物损失",
        "other": "其他",
    }
)

#: §2 emotion (情绪).
EMOTIONS: Mapping[str, str] = MappingProxyType(
    {
        "anger": "愤怒",
        "disappointment": "失望",
        "anxiety": "焦虑",
        "fear": "恐惧",
        "sadness": "悲伤",
        "distrust": "不信任",
        "neutral": "平静",
    }
)

#: §3 escalation signals (升级信号).
SIGNALS: Mapping[str, str] = MappingProxyType(
    {
        "regulator": "监管投诉",
        "media": "媒体曝光",
        "legal": "法律行动",
        "repeated_contact": "反复催促",
        "solution_rejected": "拒绝方案",
        "accusation": "指责定性",
        "high_intensity": "情绪激烈",
        "safety_hazard": "安全隐患",
        "collective": "群体投诉",
        "special_identity": "特殊身份",
    }
)

#: §3 signal modality. Only threatened and done count toward escalation.
MODALITIES: Mapping[str, str] = MappingProxyType(
    {
        "threatened": "扬言",
        "done": "已发生",
        "negated": "否认",
        "mentioned": "提及",
    }
)
ESCALATING_MODALITIES = frozenset({"threatened", "done"})

#: §4 professional-complainant traits (职业投诉人特征).
TRAITS: Mapping[str, str] = MappingProxyType(
    {
        "excessive_demand": "索赔过高",
        "legal_jargon": "法律术语",
        "refuses_formal_channels": "拒绝正规渠道",
        "media_leverage": "媒体要挟",
        "complaint_history": "投诉史",
        "suspicious_evidence": "证据可疑",
    }
)
#: Three or more distinct traits: suspected professional complainant (高度可疑).
PROFESSIONAL_COMPLAINANT_MIN_TRAITS = 3


# ---- the codes of advice (demands, customer type, playbook): ../shared/PLAYBOOK.md has the
# facts; TAXONOMY has no codes for them, so they are fixed here, once.

#: what a customer asks for (诉求).
DEMAND_KINDS: Mapping[str, str] = MappingProxyType(
    {
        "refund": "退款",
        "return": "退货",
        "exchange": "换货/换新",
        "repair": "维修",
        "compensation": "赔偿",
        "price_difference": "差价",
        "apology": "道歉",
        "explanation": "说法/解释",
        "accountability": "追责",
        "cancel_contract": "解约",
        "loaner_car": "代步车",
        "extended_warranty": "延保",
    }
)

#: modality of a demand: asked for now (or a remedy still being chased), the condition of a
#: threat (不赔就…), refused by the customer (不要赔偿), offered or reported by someone else, or
#: already granted.
DEMAND_MODALITIES: Mapping[str, str] = MappingProxyType(
    {
        "demanded": "要求",
        "threatened": "扬言",
        "negated": "否认",
        "mentioned": "提及",
        "done": "已兑现",
    }
)
#: demand modalities that are the customer's live ask
ACTIVE_DEMAND_MODALITIES = frozenset({"demanded", "threatened"})

#: the four complaint-customer types of the after-sales material, and unknown.
CUSTOMER_TYPES: Mapping[str, str] = MappingProxyType(
    {
        "dominant": "主导型",
        "analytical": "分析型",
        "social": "社交型",
        "persistent": "秋菊型",
        "unknown": "未知",
    }
)

#: service-recovery scenarios: the material's four, plus the safety and major-complaint tracks
#: and a general one for the rest.
SCENARIOS: Mapping[str, str] = MappingProxyType(
    {
        "safety": "安全事故",
        "major_complaint": "重大投诉",
        "quality_repair": "质量问题/多次返修",
        "time_overrun": "维修超时/时效延误",
        "staff_attitude": "员工怠慢",
        "expectation_gap": "宣传不符/期望落差",
        "general": "一般投诉",
    }
)


@dataclass(frozen=True)
class ResponseTarget:
    """§5 response target of an escalation level."""

    level: str
    name: str
    minutes: int
    responder: str
    channel: str

    def to_dict(self) -> dict[str, object]:
        return {
            "level": self.level,
            "name": self.name,
            "minutes": self.minutes,
            "responder": self.responder,
            "channel": self.channel,
        }


# "same day" is taken as one working day of 8 hours.
_SAME_DAY_MINUTES = 8 * 60

#: §5 escalation levels, most severe first.
LEVELS: Mapping[str, ResponseTarget] = MappingProxyType(
    {
        "urgent": ResponseTarget("urgent", "紧急", 30, "服务总监/店长", "phone + visit"),
        "serious": ResponseTarget("serious", "严重", 120, "服务经理", "phone"),
        "normal": ResponseTarget("normal", "一般", 240, "客服主管", "phone"),
        "minor": ResponseTarget("minor", "轻微", _SAME_DAY_MINUTES, "服务顾问", "phone/WeChat"),
    }
)
LEVEL_ORDER: tuple[str, ...] = ("minor", "normal", "serious", "urgent")


def level_rank(level: str) -> int:
    """0 for minor … 3 for urgent."""
    return LEVEL_ORDER.index(level)


def chinese_name(code: str) -> str:
    """Chinese name of any taxonomy code (category, emotion, signal, modality, trait or level)."""
    for table in (CATEGORIES, EMOTIONS, SIGNALS, MODALITIES, TRAITS, DEMAND_KINDS, DEMAND_MODALITIES, CUSTOMER_TYPES, SCENARIOS):
        if code in table:
            return table[code]
    if code in LEVELS:
        return LEVELS[code].name
    raise KeyError(f"unknown taxonomy code: {code!r}")


__all__ = [
    "TAXONOMY_VERSION",
    "CATEGORIES",
    "EMOTIONS",
    "SIGNALS",
    "MODALITIES",
    "ESCALATING_MODALITIES",
    "TRAITS",
    "PROFESSIONAL_COMPLAINANT_MIN_TRAITS",
    "DEMAND_KINDS",
    "DEMAND_MODALITIES",
    "ACTIVE_DEMAND_MODALITIES",
    "CUSTOMER_TYPES",
    "SCENARIOS",
    "ResponseTarget",
    "LEVELS",
    "LEVEL_ORDER",
    "level_rank",
    "chinese_name",
]
