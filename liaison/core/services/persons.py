"""The person file: create, update, change roster status, find, show."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, fields, replace
from datetime import date
from typing import Any

from sqlalchemy import ScalarSelect, delete, func, insert, select
from sqlalchemy.orm import Session

from liaison.core.enums import (
    DisabilityCategory,
    EmploymentForm,
    EmploymentStatus,
    HukouType,
    PersonStatus,
    SchoolStatus,
    label,
)
from liaison.core.errors import (
    DuplicateError,
    LiaisonError,
    NotFoundError,
    StaleRecordError,
    ValidationError,
)
from liaison.core.i18n import _
from liaison.core.models import Area, Person, PersonSearchTerm
from liaison.core.models.base import new_uuid
from liaison.core.pinyin import name_search_terms, name_sort_key
from liaison.core.rules.certificate import certificate_number, check_certificate_number
from liaison.core.rules.facts import PersonFacts
from liaison.core.rules.idnumber import age_on, normalize_id_number, parse_id_number
from liaison.core.services import audit
from liaison.core.services.areas import PERSON_LEVELS, area_directory
from liaison.core.services.context import Actor, allowed_area_ids, ensure_area_in_scope
from liaison.core.uow import UnitOfWork

FIELD_LABELS: dict[str, str] = {
    "name": "姓名",
    "id_number": "身份证号",
    "sex": "性别",
    "birth_date": "出生日期",
    "ethnicity": "民族",
    "phone": "联系电话",
    "area_id": "所属村（社区）",
    "address": "住址",
    "hukou": "户籍",
    "lives_alone": "独居",
    "guardian_name": "监护人",
    "guardian_relation": "与监护人关系",
    "guardian_phone": "监护人电话",
    "cert_number": "残疾人证号",
    "cert_issued_on": "发证日期",
    "cert_valid_until": "有效期至",
    "category": "残疾类别",
    "component_categories": "多重残疾包含类别",
    "grade": "残疾等级",
    "diagnosis": "诊断",
    "diagnosed_on": "诊断日期",
    "dibao": "低保",
    "tekun": "特困供养",
    "fanpin_monitor": "防返贫监测",
    "low_income": "低收入",
    "chronic_illness_in_household": "家中有重病或慢病患者（残病一体）",
    "living_subsidy_receiving": "享受困难残疾人生活补贴",
    "care_subsidy_receiving": "享受重度残疾人护理补贴",
    "pension_insured": "参加城乡居民养老保险",
    "medical_insured": "参加城乡居民医疗保险",
    "employment_status": "就业状态",
    "living_subsidy_fen": "生活补贴月标准",
    "care_subsidy_fen": "护理补贴月标准",
    "pension_gov_paid": "养老保险政府代缴",
    "medical_gov_paid": "医疗保险政府代缴",
    "employment_form": "就业形式",
    "training_wish": "培训意愿",
    "school_status": "受教育情况",
    "registered_on": "建档日期",
    "notes": "备注",
    "status": "人员状态",
    "status_on": "状态变更日期",
    "status_reason": "状态变更原因",
}

MAX_MONTHLY_SUBSIDY_FEN = 500_000  # 5,000 元 a month: anything above is a typing error
CHILD_WITHOUT_CERTIFICATE_MAX_AGE = 6
_NAME_RE = re.compile(r"^[\u3400-\u9fff\U00020000-\U0003134fA-Za-z·•・.\s]+$")
_MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE_RE = re.compile(r"^0\d{2,3}-?\d{7,8}$")
_HALF_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}


def field_label(name: str) -> str:
    return _(FIELD_LABELS.get(name, name))


@dataclass
class PersonInput:
    """Everything a person's file form can set; roster status is changed by `change_status`."""

    name: str
    id_number: str
    area_id: uuid.UUID | None
    hukou: HukouType = HukouType.RURAL
    ethnicity: str | None = None
    phone: str | None = None
    address: str | None = None
    lives_alone: bool = False
    guardian_name: str | None = None
    guardian_relation: str | None = None
    guardian_phone: str | None = None
    cert_number: str | None = None
    cert_issued_on: date | None = None
    cert_valid_until: date | None = None
    category: int | None = None
    component_categories: frozenset[int] = frozenset()
    grade: int | None = None
    diagnosis: str | None = None
    diagnosed_on: date | None = None
    dibao: bool = False
    tekun: bool = False
    fanpin_monitor: bool = False
    low_income: bool = False
    chronic_illness_in_household: bool = False
    living_subsidy_receiving: bool = False
    living_subsidy_fen: int | None = None
    care_subsidy_receiving: bool = False
    care_subsidy_fen: int | None = None
    pension_insured: bool = False
    pension_gov_paid: bool = False
    medical_insured: bool = False
    medical_gov_paid: bool = False
    employment_status: EmploymentStatus = EmploymentStatus.UNKNOWN
    employment_form: EmploymentForm | None = None
    training_wish: str | None = None
    school_status: SchoolStatus = SchoolStatus.NOT_APPLICABLE
    registered_on: date | None = None
    notes: str | None = None

    @classmethod
    def from_person(cls, person: Person) -> PersonInput:
        """The current values of a stored person, ready to edit."""
        values = {f.name: getattr(person, f.name) for f in fields(cls) if f.name != "component_categories"}
        return cls(**values, component_categories=parse_components(person.component_categories))


@dataclass(frozen=True)
class PersonSaved:
    person_id: uuid.UUID
    row_version: int
    created: bool
    changes: dict[str, list[Any]]
    warnings: tuple[str, ...] = ()


def parse_components(text: str | None) -> frozenset[int]:
    if not text:
        return frozenset()
    return frozenset(int(part) for part in text.split(",") if part.strip())


def format_components(components: frozenset[int]) -> str | None:
    return ",".join(str(c) for c in sorted(components)) or None


def person_facts(person: Any) -> PersonFacts:
    """The rules' view of a person: a Person, or any row with the same column names."""
    return PersonFacts(
        birth_date=person.birth_date,
        category=person.category,
        component_categories=parse_components(person.component_categories),
        grade=person.grade,
        has_certificate=person.cert_number is not None,
        cert_issued_on=person.cert_issued_on,
        cert_valid_until=person.cert_valid_until,
        status=person.status,
        lives_alone=person.lives_alone,
        dibao=person.dibao,
        tekun=person.tekun,
        fanpin_monitor=person.fanpin_monitor,
        low_income=person.low_income,
        chronic_illness_in_household=person.chronic_illness_in_household,
        receiving_living_subsidy=person.living_subsidy_receiving,
        receiving_care_subsidy=person.care_subsidy_receiving,
    )


# --- validation -----------------------------------------------------------------------------


def _clean_text(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None


def normalize_phone(value: str | None) -> str | None:
    value = _clean_text(value)
    if value is None:
        return None
    return re.sub(r"[\s()（）]", "", value.translate(_HALF_WIDTH)).replace("—", "-")


def phone_error(phone: str | None) -> str | None:
    if phone is None or _MOBILE_RE.match(phone) or _LANDLINE_RE.match(phone):
        return None
    return _("应为 11 位手机号或带区号的固定电话（如 0432-62345678）")


@dataclass(frozen=True)
class _Validated:
    values: dict[str, Any]
    warnings: tuple[str, ...]


def validate_person(data: PersonInput, *, today: date) -> _Validated:
    """Check every field and derive the stored values; all errors are reported at once."""
    errors: dict[str, str] = {}
    warnings: list[str] = []
    v: dict[str, Any] = {}

    name = _clean_text(data.name)
    if name is None:
        errors["name"] = _("不能为空")
    elif len(name) > 50:
        errors["name"] = _("不能超过 50 个字")
    elif not _NAME_RE.match(name):
        errors["name"] = _("只能包含汉字、字母和间隔号“·”")
    else:
        name = re.sub(r"\s+", " ", name)
    v["name"] = name

    birth_date: date | None = None
    try:
        info = parse_id_number(data.id_number or "", today=today)
    except LiaisonError as exc:
        errors["id_number"] = exc.message
        v["id_number"] = normalize_id_number(data.id_number or "")
    else:
        v["id_number"] = info.number
        v["sex"] = info.sex
        v["birth_date"] = birth_date = info.birth_date
        if info.converted_from_15:
            warnings.append(
                _("15 位旧身份证号已转换为 18 位：{number}").format(number=info.number)
            )

    for key, limit in (
        ("ethnicity", 20),
        ("address", 200),
        ("guardian_name", 50),
        ("guardian_relation", 20),
        ("training_wish", 200),
        ("diagnosis", 200),
        ("notes", 2000),
    ):
        text = _clean_text(getattr(data, key))
        if text is not None and len(text) > limit:
            errors[key] = _("不能超过 {n} 个字").format(n=limit)
        v[key] = text

    for key in ("phone", "guardian_phone"):
        phone = normalize_phone(getattr(data, key))
        if (msg := phone_error(phone)) is not None:
            errors[key] = msg
        v[key] = phone
    if v["guardian_name"] and not v["guardian_relation"]:
        errors["guardian_relation"] = _("填写了监护人时必须填写关系")
    if not v["guardian_name"] and (v["guardian_relation"] or v["guardian_phone"]):
        errors["guardian_name"] = _("填写了关系或电话时必须填写监护人姓名")

    if data.area_id is None:
        errors["area_id"] = _("必须选择")
    v["area_id"] = data.area_id
    v["hukou"] = HukouType(data.hukou)
    v["lives_alone"] = bool(data.lives_alone)

    _validate_disability(data, v, errors, birth_date, today)
    _validate_certificate(data, v, errors, birth_date, today)

    for flag in ("dibao", "tekun", "fanpin_monitor", "low_income", "chronic_illness_in_household"):
        v[flag] = bool(getattr(data, flag))
    for prefix in ("living_subsidy", "care_subsidy"):
        receiving = bool(getattr(data, f"{prefix}_receiving"))
        amount = getattr(data, f"{prefix}_fen")
        key = f"{prefix}_fen"
        if receiving and amount is None:
            errors[key] = _("正在领取时必须填写每月金额")
        elif not receiving and amount:
            errors[key] = _("未领取时不应填写金额")
        elif amount is not None and not 0 <= amount <= MAX_MONTHLY_SUBSIDY_FEN:
            errors[key] = _("每月金额应在 0 到 5,000 元之间")
        v[f"{prefix}_receiving"] = receiving
        v[key] = amount if receiving else None

    for kind in ("pension", "medical"):
        insured = bool(getattr(data, f"{kind}_insured"))
        gov_paid = bool(getattr(data, f"{kind}_gov_paid"))
        if gov_paid and not insured:
            errors[f"{kind}_gov_paid"] = _("未参保时不能勾选政府代缴")
        v[f"{kind}_insured"] = insured
        v[f"{kind}_gov_paid"] = gov_paid

    v["employment_status"] = EmploymentStatus(data.employment_status)
    v["employment_form"] = EmploymentForm(data.employment_form) if data.employment_form else None
    if v["employment_form"] is not None and v["employment_status"] is not EmploymentStatus.EMPLOYED:
        errors["employment_form"] = _("只有已就业时才填写就业形式")
    v["school_status"] = SchoolStatus(data.school_status)

    registered = data.registered_on or today
    if registered > today:
        errors["registered_on"] = _("不能晚于今天")
    v["registered_on"] = registered

    if errors:
        raise ValidationError({k: errors[k] for k in errors}, {k: field_label(k) for k in errors})
    v["name_sort"] = name_sort_key(name or "")
    return _Validated(v, tuple(warnings))


def _validate_disability(
    data: PersonInput, v: dict[str, Any], errors: dict[str, str], birth: date | None, today: date
) -> None:
    category, grade = data.category, data.grade
    components = frozenset(data.component_categories or ())
    if category is not None and category not in DisabilityCategory._value2member_map_:
        errors["category"] = _("应为 1–7 之一")
    if grade is not None and grade not in (1, 2, 3, 4):
        errors["grade"] = _("应为一级到四级之一")
    if category == DisabilityCategory.MULTIPLE:
        if len(components) < 2 or not components <= {1, 2, 3, 4, 5, 6}:
            errors["component_categories"] = _("多重残疾须选择至少两种具体类别（视力到精神）")
    elif components:
        errors["component_categories"] = _("只有多重残疾才填写包含类别")
    v["category"] = category
    v["grade"] = grade
    v["component_categories"] = format_components(components) if category == 7 else None


def _validate_certificate(
    data: PersonInput, v: dict[str, Any], errors: dict[str, str], birth: date | None, today: date
) -> None:
    cert_raw = _clean_text(data.cert_number)
    issued, valid_until = data.cert_issued_on, data.cert_valid_until
    has_certificate = cert_raw is not None or issued is not None or valid_until is not None
    v["diagnosed_on"] = data.diagnosed_on
    if data.diagnosed_on is not None and data.diagnosed_on > today:
        errors["diagnosed_on"] = _("不能晚于今天")
    if not has_certificate:
        v["cert_number"] = v["cert_issued_on"] = v["cert_valid_until"] = None
        # only a young child may be on file with a diagnosis and no certificate yet
        if birth is not None and age_on(birth, today) > CHILD_WITHOUT_CERTIFICATE_MAX_AGE:
            errors["cert_number"] = _(
                "持证残疾人必须填写残疾人证；未办证的只能是 0–6 岁已确诊儿童"
            )
        elif birth is not None and not v.get("diagnosis"):
            errors["diagnosis"] = _("未办残疾人证的 0–6 岁儿童必须填写诊断")
        return
    if data.category is None:
        errors.setdefault("category", _("持证人员必须填写残疾类别"))
    if data.grade is None:
        errors.setdefault("grade", _("持证人员必须填写残疾等级"))
    if issued is None:
        errors["cert_issued_on"] = _("必须填写")
    elif issued > today:
        errors["cert_issued_on"] = _("不能晚于今天")
    elif birth is not None and issued < birth:
        errors["cert_issued_on"] = _("不能早于出生日期")
    if valid_until is None:
        errors["cert_valid_until"] = _("必须填写")
    elif issued is not None and valid_until <= issued:
        errors["cert_valid_until"] = _("应晚于发证日期")
    v["cert_issued_on"], v["cert_valid_until"] = issued, valid_until
    cert_number = None
    if "id_number" not in errors and "category" not in errors and "grade" not in errors:
        try:
            if cert_raw is None:
                cert_number = certificate_number(v["id_number"], data.category, data.grade)  # type: ignore[arg-type]
            else:
                cert_number = check_certificate_number(
                    cert_raw, id_number=v["id_number"], category=data.category, grade=data.grade  # type: ignore[arg-type]
                )
        except LiaisonError as exc:
            errors["cert_number"] = exc.message
    v["cert_number"] = cert_number


# --- writing --------------------------------------------------------------------------------

AUDITED_FIELDS = tuple(f.name for f in fields(PersonInput)) + ("sex", "birth_date")


def _check_area(uow: UnitOfWork, actor: Actor, area_id: uuid.UUID) -> Area:
    area = uow.session.get(Area, area_id)
    if area is None:
        raise ValidationError.single("area_id", _("地区不存在"), field_label("area_id"))
    if area.level not in PERSON_LEVELS:
        raise ValidationError.single(
            "area_id", _("人员须登记在村（社区）或村民小组下"), field_label("area_id")
        )
    ensure_area_in_scope(uow, actor, area.id)
    return area


def _refuse_duplicate(uow: UnitOfWork, actor: Actor, id_number: str, own_id: uuid.UUID | None) -> None:
    existing = uow.session.scalar(select(Person).where(Person.id_number == id_number))
    if existing is None or existing.id == own_id:
        return
    allowed = allowed_area_ids(uow, actor)
    if allowed is not None and existing.area_id not in allowed:
        # the record is outside the actor's areas: say that it exists, not whose it is
        raise DuplicateError(
            _("身份证号 {number} 已在其他村（社区）建档，不能重复建档；如本人已迁入，请联系乡镇或县残联办理迁移").format(
                number=id_number),
            existing.id,
        )
    place = area_directory(uow).get(existing.area_id)
    raise DuplicateError(
        _("身份证号 {number} 已登记为“{name}”（{place}），不能重复建档").format(
            number=id_number, name=existing.name, place=place.full_name if place else ""
        ),
        existing.id,
    )


# Digit keys start with "#", which a typed letter or hanzi query never does.
DIGIT_TERM_PREFIX = "#"
MIN_DIGIT_FRAGMENT = 4
# the first six digits of an ID are the area code, shared by most of a county
ID_FRAGMENT_START = 6


def digit_terms(id_number: str, phone: str | None) -> list[str]:
    """Every suffix (of at least four characters) of the ID after its area code and of the
    phone's digits: a fragment typed from anywhere in them is then a prefix of one term,
    found through the index instead of by reading every row."""
    keys = [id_number[i:] for i in range(ID_FRAGMENT_START, len(id_number) - MIN_DIGIT_FRAGMENT + 1)]
    digits = "".join(ch for ch in phone or "" if ch.isdigit())
    keys += [digits[i:] for i in range(0, len(digits) - MIN_DIGIT_FRAGMENT + 1)]
    return [DIGIT_TERM_PREFIX + key for key in keys]


def search_terms(name: str, id_number: str, phone: str | None) -> list[str]:
    """What a person is found by: pinyin readings, every suffix of the written name (so that
    typing a given name finds the person too), and fragments of the ID and phone."""
    terms = name_search_terms(name)
    compact = "".join(name.split())
    terms += [compact[i:] for i in range(len(compact))]
    terms += digit_terms(id_number, phone)
    return list(dict.fromkeys(t for t in terms if t))


def refresh_search_terms(session: Session, person: Person) -> None:
    session.execute(delete(PersonSearchTerm).where(PersonSearchTerm.search_no == person.search_no))
    session.execute(
        insert(PersonSearchTerm),
        [{"term": term, "search_no": person.search_no}
         for term in search_terms(person.name, person.id_number, person.phone)],
    )


def next_search_no() -> ScalarSelect[int]:
    """Evaluated inside the INSERT, under SQLite's write lock, so two writers cannot collide."""
    return select(func.coalesce(func.max(Person.search_no), 0) + 1).scalar_subquery()


SEARCHED_FIELDS = frozenset({"name", "id_number", "phone"})
# derived from other fields: stored, but not worth an audit line of its own
UNAUDITED_FIELDS = frozenset({"name_sort"})


def create_person(
    uow: UnitOfWork, actor: Actor, data: PersonInput, *, today: date | None = None
) -> PersonSaved:
    today = today or date.today()
    checked = validate_person(data, today=today)
    values = checked.values
    _check_area(uow, actor, values["area_id"])
    _refuse_duplicate(uow, actor, values["id_number"], None)
    person = Person(**values, status=PersonStatus.ACTIVE, origin_device=actor.device_id,
                    search_no=next_search_no())
    uow.session.add(person)
    uow.session.flush()
    refresh_search_terms(uow.session, person)
    changes = audit.diff({}, {k: values[k] for k in AUDITED_FIELDS if values.get(k) is not None})
    audit.record(uow.session, actor, entity="person", entity_id=person.id, action="create", changes=changes)
    return PersonSaved(person.id, person.row_version, True, changes, checked.warnings)


def load_person(uow: UnitOfWork, actor: Actor, person_id: uuid.UUID) -> Person:
    person = uow.session.get(Person, person_id)
    if person is None:
        raise NotFoundError(_("找不到该人员档案"))
    ensure_area_in_scope(uow, actor, person.area_id)
    return person


def _check_version(person: Person, expected_version: int | None) -> None:
    if expected_version is not None and person.row_version != expected_version:
        raise StaleRecordError(_("“{name}”的档案").format(name=person.name))


def update_person(
    uow: UnitOfWork,
    actor: Actor,
    person_id: uuid.UUID,
    data: PersonInput,
    *,
    expected_version: int | None,
    today: date | None = None,
) -> PersonSaved:
    """Save an edited file. `expected_version` is the row_version the editor started from;
    if someone saved in between, nothing is written (None skips the check, for scripts)."""
    today = today or date.today()
    person = load_person(uow, actor, person_id)
    _check_version(person, expected_version)
    checked = validate_person(replace(data, registered_on=data.registered_on or person.registered_on), today=today)
    values = checked.values
    if values["area_id"] != person.area_id:
        _check_area(uow, actor, values["area_id"])
    _refuse_duplicate(uow, actor, values["id_number"], person.id)
    before = {k: getattr(person, k) for k in values}
    changed = audit.diff(before, values)
    if not changed:
        return PersonSaved(person.id, person.row_version, False, {}, checked.warnings)
    changes = {k: v for k, v in changed.items() if k not in UNAUDITED_FIELDS}
    for key, value in values.items():
        setattr(person, key, value)
    uow.session.flush()
    if SEARCHED_FIELDS & changed.keys():
        refresh_search_terms(uow.session, person)
    if not changes:
        # only a derived field moved (e.g. a corrected surname reading): nothing to audit
        return PersonSaved(person.id, person.row_version, False, {}, checked.warnings)
    audit.record(uow.session, actor, entity="person", entity_id=person.id, action="update", changes=changes)
    return PersonSaved(person.id, person.row_version, False, changes, checked.warnings)


def change_status(
    uow: UnitOfWork,
    actor: Actor,
    person_id: uuid.UUID,
    status: PersonStatus,
    *,
    on: date,
    reason: str,
    expected_version: int | None = None,
    today: date | None = None,
) -> PersonSaved:
    """Move a person off (or back onto) the roster; the record itself is never deleted."""
    today = today or date.today()
    person = load_person(uow, actor, person_id)
    _check_version(person, expected_version)
    status = PersonStatus(status)
    reason = (reason or "").strip()
    errors: dict[str, str] = {}
    if status is person.status:
        errors["status"] = _("人员已是“{status}”状态").format(status=label(status))
    if not reason:
        errors["status_reason"] = _("必须填写原因")
    elif len(reason) > 200:
        errors["status_reason"] = _("不能超过 200 个字")
    if on > today:
        errors["status_on"] = _("不能晚于今天")
    elif on < person.birth_date:
        errors["status_on"] = _("不能早于出生日期")
    if errors:
        raise ValidationError(errors, {k: field_label(k) for k in errors})
    values = {"status": status, "status_on": on, "status_reason": reason}
    changes = audit.diff({k: getattr(person, k) for k in values}, values)
    for key, value in values.items():
        setattr(person, key, value)
    uow.session.flush()
    audit.record(
        uow.session, actor, entity="person", entity_id=person.id, action="status", changes=changes, reason=reason
    )
    return PersonSaved(person.id, person.row_version, False, changes)


REVEAL_ACTION = "reveal"
# what a bulk reveal is recorded under: one event per export, not one per person
EXPORT_ENTITY = "export"


def _purpose(purpose: str | None) -> str:
    text = (purpose or "").strip()
    if not text:
        raise ValidationError.single("purpose", _("必须说明查看完整身份证号的用途"), _("用途"))
    if len(text) > 200:
        raise ValidationError.single("purpose", _("不能超过 200 个字"), _("用途"))
    return text


def reveal_id_number(
    uow: UnitOfWork, actor: Actor, person_id: uuid.UUID, *, purpose: str, shown_in: str | None = None
) -> str:
    """The full 身份证号 of one person, for someone allowed to see the person; the reveal is
    recorded on the person's audit trail (who, when, `purpose`, and where it was shown, e.g. a
    printed form), without the number itself. The caller commits."""
    purpose = _purpose(purpose)
    person = load_person(uow, actor, person_id)
    changes = {"shown_in": [None, shown_in]} if shown_in else {}
    audit.record(uow.session, actor, entity="person", entity_id=person.id, action=REVEAL_ACTION,
                 changes=changes, reason=purpose)
    return person.id_number


def record_bulk_reveal(uow: UnitOfWork, actor: Actor, *, export: str, count: int, purpose: str) -> None:
    """One audit event for an export that shows many people's full numbers (a roster with
    full 身份证号): which export, how many people, why. The caller commits."""
    audit.record(uow.session, actor, entity=EXPORT_ENTITY, entity_id=new_uuid(), action=REVEAL_ACTION,
                 changes={"export": [None, export], "people": [None, count]}, reason=_purpose(purpose))


def find_person(uow: UnitOfWork, actor: Actor, key: str) -> Person:
    """A person by 身份证号 (any accepted form, 15 digits too), 残疾人证号 or record id."""
    key = key.strip()
    person: Person | None = None
    try:
        person = uow.session.get(Person, uuid.UUID(key))
    except ValueError:
        pass
    if person is None:
        number = normalize_id_number(key)
        if len(number) == 20:
            person = uow.session.scalar(select(Person).where(Person.cert_number == number))
        else:
            try:
                number = parse_id_number(number).number
            except LiaisonError:
                pass
            person = uow.session.scalar(select(Person).where(Person.id_number == number))
    if person is None:
        raise NotFoundError(_("找不到身份证号（或证号）为 {key} 的人员").format(key=key))
    ensure_area_in_scope(uow, actor, person.area_id)
    return person
