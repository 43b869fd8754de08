"""The configurable rule table.

Eligibility, visit frequency and caps differ between provinces and counties, so they live in
`resources/rules/defaults.toml`; a county changes single values through `overrides` (a nested
dict merged over the file). Every value is checked on load: a mistyped key or a negative day
count must stop the program with a message naming the key, not silently change who is visited.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from liaison.core.enums import ContactMode, DisabilityCategory, DisabilityGrade, ReferralServiceKind
from liaison.core.errors import LiaisonError
from liaison.core.i18n import _
from liaison.core.resources import resource_path
from liaison.core.rules.facts import ECONOMIC_FLAGS

# Traits that put a person on the intensive (monthly) visit cadence.
INTENSIVE_TRIGGERS = ("severe", "lives_alone", *ECONOMIC_FLAGS)
RESCUE_KINDS = ("training", "surgery", "device")
# the stages and steps a case waits in (the final ones are not timed)
MODIFICATION_TIMED_STAGES = ("applied", "assessed", "plan_confirmed", "construction", "accepted")
REFERRAL_TIMED_STATES = ("referred", "accepted", "in_service")
DEVICE_TIMED_STEPS = ("applied", "village_reviewed", "township_reviewed", "assessed", "approved")


class RuleConfigError(LiaisonError, ValueError):
    """A rule table value is missing, unknown or invalid; `key` is its dotted path."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


@dataclass(frozen=True)
class CareExtension:
    """Extra grades × categories covered by the care subsidy (e.g. 三级智力/精神)."""

    name: str
    enabled: bool
    grades: frozenset[int]
    categories: frozenset[int]


@dataclass(frozen=True)
class SubsidyConfig:
    living_economic_flags: tuple[str, ...]
    care_grades: frozenset[int]
    care_extensions: tuple[CareExtension, ...]


@dataclass(frozen=True)
class VisitInterval:
    interval_days: int
    lead_days: int  # shown as upcoming this many days before due
    grace_days: int  # overdue only after due + grace


@dataclass(frozen=True)
class AnnualSurveyPeriod:
    opens: tuple[int, int]  # (month, day)
    deadline: tuple[int, int]

    def opens_on(self, year: int) -> date:
        return date(year, *self.opens)

    def deadline_on(self, year: int) -> date:
        return date(year, *self.deadline)


@dataclass(frozen=True)
class CadenceConfig:
    intensive: VisitInterval
    intensive_triggers: tuple[str, ...]
    regular: VisitInterval
    annual_survey: AnnualSurveyPeriod
    first_contact_days: int
    contact_modes: frozenset[ContactMode]


@dataclass(frozen=True)
class AlertConfig:
    need_alert_days: int
    cert_expiry_days: int


@dataclass(frozen=True)
class ChildRescueConfig:
    age_max: int  # inclusive: 6 means up to the day before the 7th birthday
    training_cap_fen: int
    surgery_cap_fen: int
    device_cap_fen: int

    def cap_fen(self, kind: str) -> int:
        if kind not in RESCUE_KINDS:
            raise ValueError(f"unknown rescue kind {kind!r}")
        return int(getattr(self, f"{kind}_cap_fen"))


@dataclass(frozen=True)
class PriorityConfig:
    severe: int
    multiple: int
    elderly: int
    chronic_illness: int
    dibao_or_tekun: int
    elderly_age: int


@dataclass(frozen=True)
class CatalogueItem:
    code: str
    name: str
    unit: str
    unit_cost_fen: int


@dataclass(frozen=True)
class ModificationConfig:
    household_cap_fen: int
    follow_up_days: int
    stage_days: Mapping[str, int]  # ModificationStage value → days
    eligible_grades: frozenset[int]
    eligible_economic_flags: tuple[str, ...]
    catalogue: tuple[CatalogueItem, ...]

    def catalogue_item(self, code: str) -> CatalogueItem | None:
        return next((item for item in self.catalogue if item.code == code), None)


@dataclass(frozen=True)
class ReferralConfig:
    follow_up_days: int
    service_kinds: tuple[str, ...]  # ReferralServiceKind values offered
    stage_days: Mapping[str, int]  # ReferralState value → days
    device_step_days: Mapping[str, int]  # DeviceStep value → days


@dataclass(frozen=True)
class RuleConfig:
    subsidy: SubsidyConfig
    cadence: CadenceConfig
    alerts: AlertConfig
    child_rescue: ChildRescueConfig
    priority: PriorityConfig
    modification: ModificationConfig
    referral: ReferralConfig


def load_rule_config(
    path: Path | None = None, overrides: Mapping[str, Any] | None = None
) -> RuleConfig:
    """Read the TOML rule table, merge `overrides` over it and validate every value."""
    path = path or resource_path("rules", "defaults.toml")
    try:
        with path.open("rb") as f:
            data: Mapping[str, Any] = tomllib.load(f)
    except OSError as exc:
        message = _("无法读取规则配置文件 {path}：{error}")
        raise RuleConfigError("", message.format(path=path, error=exc.strerror or exc)) from exc
    except tomllib.TOMLDecodeError as exc:
        message = _("规则配置文件 {path} 格式错误：{error}")
        raise RuleConfigError("", message.format(path=path, error=exc)) from exc
    if overrides:
        data = _merge(data, overrides)
    return _build(_Table(data, ""))


@cache
def default_rule_config() -> RuleConfig:
    """The shipped defaults, read once per process."""
    return load_rule_config()


def _merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _build(root: _Table) -> RuleConfig:
    config = RuleConfig(
        subsidy=_subsidy(root.table("subsidy")),
        cadence=_cadence(root.table("cadence")),
        alerts=_alerts(root.table("alerts")),
        child_rescue=_child_rescue(root.table("child_rescue")),
        priority=_priority(root.table("priority")),
        modification=_modification(root.table("modification")),
        referral=_referral(root.table("referral")),
    )
    root.done()
    return config


def _subsidy(t: _Table) -> SubsidyConfig:
    living = t.table("living")
    flags = living.choices("economic_flags", ECONOMIC_FLAGS)
    living.done()
    care = t.table("care")
    grades = care.int_set("grades", DisabilityGrade)
    ext_table = care.table("extensions")
    extensions = []
    for name in ext_table.names():
        ext = ext_table.table(name)
        extensions.append(
            CareExtension(
                name=name,
                enabled=ext.boolean("enabled"),
                grades=ext.int_set("grades", DisabilityGrade),
                categories=ext.int_set("categories", DisabilityCategory),
            )
        )
        ext.done()
    ext_table.done()
    care.done()
    t.done()
    return SubsidyConfig(flags, grades, tuple(extensions))


def _cadence(t: _Table) -> CadenceConfig:
    intensive = t.table("intensive")
    triggers = intensive.choices("triggers", INTENSIVE_TRIGGERS, allow_empty=True)
    intensive_interval = _interval(intensive)
    survey = t.table("annual_survey")
    period = AnnualSurveyPeriod(survey.month_day("opens"), survey.month_day("deadline"))
    if period.opens >= period.deadline:
        raise RuleConfigError(
            survey.key("opens"),
            _("规则配置 {key} 应早于 {deadline_key}").format(
                key=survey.key("opens"), deadline_key=survey.key("deadline")
            ),
        )
    survey.done()
    countable = tuple(mode.value for mode in ContactMode if mode != ContactMode.LOST)
    config = CadenceConfig(
        intensive=intensive_interval,
        intensive_triggers=triggers,
        regular=_interval(t.table("regular")),
        annual_survey=period,
        first_contact_days=t.positive_int("first_contact_days"),
        contact_modes=frozenset(ContactMode(m) for m in t.choices("contact_modes", countable)),
    )
    t.done()
    return config


def _interval(t: _Table) -> VisitInterval:
    interval = VisitInterval(
        interval_days=t.positive_int("interval_days"),
        lead_days=t.non_negative_int("lead_days"),
        grace_days=t.non_negative_int("grace_days"),
    )
    t.done()
    return interval


def _alerts(t: _Table) -> AlertConfig:
    config = AlertConfig(t.positive_int("need_alert_days"), t.positive_int("cert_expiry_days"))
    t.done()
    return config


def _child_rescue(t: _Table) -> ChildRescueConfig:
    caps = t.table("yearly_cap_fen")
    config = ChildRescueConfig(
        age_max=t.non_negative_int("age_max"),
        training_cap_fen=caps.positive_int("training"),
        surgery_cap_fen=caps.positive_int("surgery"),
        device_cap_fen=caps.positive_int("device"),
    )
    caps.done()
    t.done()
    return config


def _priority(t: _Table) -> PriorityConfig:
    weights = t.table("weights")
    config = PriorityConfig(
        severe=weights.non_negative_int("severe"),
        multiple=weights.non_negative_int("multiple"),
        elderly=weights.non_negative_int("elderly"),
        chronic_illness=weights.non_negative_int("chronic_illness"),
        dibao_or_tekun=weights.non_negative_int("dibao_or_tekun"),
        elderly_age=t.positive_int("elderly_age"),
    )
    weights.done()
    t.done()
    return config


def _modification(t: _Table) -> ModificationConfig:
    stage_days = t.table("stage_days")
    days = {name: stage_days.positive_int(name) for name in MODIFICATION_TIMED_STAGES}
    stage_days.done()
    eligibility = t.table("eligibility")
    grades = eligibility.int_set("grades", DisabilityGrade)
    flags = eligibility.choices("economic_flags", ECONOMIC_FLAGS, allow_empty=True)
    eligibility.done()
    catalogue = []
    for item in t.table_list("catalogue"):
        catalogue.append(CatalogueItem(item.text("code"), item.text("name"), item.text("unit"),
                                       item.positive_int("unit_cost_fen")))
        item.done()
    codes = [item.code for item in catalogue]
    if len(set(codes)) != len(codes):
        duplicate = next(code for code in codes if codes.count(code) > 1)
        raise RuleConfigError(t.key("catalogue"), _("规则配置 {key} 中的项目代码 {code} 重复").format(
            key=t.key("catalogue"), code=duplicate))
    config = ModificationConfig(
        household_cap_fen=t.positive_int("household_cap_fen"),
        follow_up_days=t.positive_int("follow_up_days"),
        stage_days=days,
        eligible_grades=grades,
        eligible_economic_flags=flags,
        catalogue=tuple(catalogue),
    )
    t.done()
    return config


def _referral(t: _Table) -> ReferralConfig:
    stage_days = t.table("stage_days")
    days = {name: stage_days.positive_int(name) for name in REFERRAL_TIMED_STATES}
    stage_days.done()
    step_days = t.table("device_step_days")
    steps = {name: step_days.positive_int(name) for name in DEVICE_TIMED_STEPS}
    step_days.done()
    config = ReferralConfig(
        follow_up_days=t.positive_int("follow_up_days"),
        service_kinds=t.choices("service_kinds", tuple(kind.value for kind in ReferralServiceKind)),
        stage_days=days,
        device_step_days=steps,
    )
    t.done()
    return config


def _show(value: object) -> str:
    """A value as it would be written in TOML, for messages."""
    return json.dumps(value, ensure_ascii=False, default=str)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class _Table:
    """One TOML table being read; remembers its dotted path and which keys were used."""

    def __init__(self, data: object, path: str) -> None:
        if not isinstance(data, Mapping):
            raise RuleConfigError(
                path,
                _("规则配置 {key} 应为一个表，实际为 {value}").format(key=path, value=_show(data)),
            )
        self._data = data
        self._path = path
        self._used: set[str] = set()

    def key(self, name: str) -> str:
        return f"{self._path}.{name}" if self._path else name

    def names(self) -> list[str]:
        return list(self._data)

    def done(self) -> None:
        unknown = sorted(set(self._data) - self._used)
        if unknown:
            key = self.key(unknown[0])
            raise RuleConfigError(key, _("规则配置 {key} 不是已知的设置项").format(key=key))

    def _get(self, name: str) -> Any:
        if name not in self._data:
            raise RuleConfigError(
                self.key(name), _("规则配置缺少 {key}").format(key=self.key(name))
            )
        self._used.add(name)
        return self._data[name]

    def _error(self, name: str, expected: str, value: object) -> RuleConfigError:
        key = self.key(name)
        return RuleConfigError(
            key,
            _("规则配置 {key} 应为{expected}，实际为 {value}").format(
                key=key, expected=expected, value=_show(value)
            ),
        )

    def table(self, name: str) -> _Table:
        return _Table(self._get(name), self.key(name))

    def positive_int(self, name: str) -> int:
        value = self._get(name)
        if not _is_int(value) or value <= 0:
            raise self._error(name, _("正整数"), value)
        return int(value)

    def non_negative_int(self, name: str) -> int:
        value = self._get(name)
        if not _is_int(value) or value < 0:
            raise self._error(name, _("非负整数"), value)
        return int(value)

    def boolean(self, name: str) -> bool:
        value = self._get(name)
        if not isinstance(value, bool):
            raise self._error(name, _(" true 或 false"), value)
        return value

    def int_set(
        self, name: str, allowed: type[DisabilityGrade | DisabilityCategory]
    ) -> frozenset[int]:
        value = self._get(name)
        codes = [int(member) for member in allowed]
        if (
            not isinstance(value, list)
            or not value
            or not all(_is_int(v) and v in codes for v in value)
        ):
            expected = _("由 {lo}–{hi} 组成的非空列表").format(lo=min(codes), hi=max(codes))
            raise self._error(name, expected, value)
        return frozenset(value)

    def choices(
        self, name: str, allowed: tuple[str, ...], *, allow_empty: bool = False
    ) -> tuple[str, ...]:
        value = self._get(name)
        if (
            not isinstance(value, list)
            or (not value and not allow_empty)
            or not all(isinstance(v, str) and v in allowed for v in value)
        ):
            expected = _("由 {allowed} 中的值组成的列表").format(allowed=_show(list(allowed)))
            raise self._error(name, expected, value)
        return tuple(dict.fromkeys(value))

    def text(self, name: str, max_length: int = 100) -> str:
        value = self._get(name)
        if not isinstance(value, str) or not value.strip() or len(value) > max_length:
            raise self._error(name, _("不超过 {n} 个字的非空文字").format(n=max_length), value)
        return value.strip()

    def table_list(self, name: str) -> list[_Table]:
        value = self._get(name)
        if not isinstance(value, list) or not value:
            raise self._error(name, _("非空的表数组（[[{key}]]）").format(key=self.key(name)), value)
        return [_Table(item, f"{self.key(name)}[{k}]") for k, item in enumerate(value)]

    def month_day(self, name: str) -> tuple[int, int]:
        value = self._get(name)
        try:
            month, day = (int(part) for part in value.split("-"))
            date(2001, month, day)  # a non-leap year: 02-29 would vanish three years in four
        except (AttributeError, ValueError):
            raise self._error(name, _('“月-日”格式的日期（如 "03-01"）'), value) from None
        return month, day
