"""A realistic synthetic county for demonstrations, tests and benchmarks.

Deterministic for a seed and a reference day. Everything is generated in memory and written
with bulk inserts: 100,000 people with three years of visits must take well under a minute,
which the services (one validated transaction per record) cannot do. The rows are built to
pass the same rules the services enforce (valid ID numbers and 证号, consistent dates,
statuses), and a test re-validates a sample of them through the services' validation.

Proportions follow the second national sample survey on disability (2006) for categories,
and certified-population shares for grades; ages are skewed old as in that survey.
"""

from __future__ import annotations

import json
import logging
import random
import time
from bisect import bisect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from functools import cache
from itertools import accumulate
from typing import Any

from sqlalchemy import Engine, func, select

from liaison.core.enums import (
    AreaLevel,
    ContactMode,
    DeviceStep,
    EmploymentForm,
    EmploymentStatus,
    FollowUpStatus,
    HukouType,
    NeedKind,
    NeedStatus,
    PersonStatus,
    ReferralServiceKind,
    SchoolStatus,
    Sex,
    UserRole,
    VisitKind,
    label,
)
from liaison.core.errors import LiaisonError
from liaison.core.i18n import _
from liaison.core.models import Area, Base, Person
from liaison.core.models.base import uuid7_int
from liaison.core.pinyin import name_sort_key
from liaison.core.rules.cadence import CadenceRule, cadence_for
from liaison.core.rules.certificate import certificate_number
from liaison.core.rules.config import RuleConfig
from liaison.core.rules.facts import PersonFacts
from liaison.core.rules.idnumber import compose_id_number
from liaison.core.rules.workflows import DEVICE_STATE, MODIFICATION
from liaison.core.services import audit, settings
from liaison.core.services.persons import search_terms

log = logging.getLogger(__name__)

COUNTY_CODE = "220202"
COUNTY_NAME = "昌邑区"
PEOPLE_PER_VILLAGE = 250
FLUSH_ROWS = 200_000
VILLAGES_PER_TOWNSHIP = 18
HISTORY_YEARS = 3
# the county the program builds when someone chooses demo data on the welcome screen
PROGRAM_DEMO_PERSONS = 2000
PROGRAM_DEMO_SEED = 1

# Login accounts of the demo county, one per role, all with this password (shown on the
# welcome page: the demo holds no real data).
DEMO_PASSWORD = "demo1234"
DEMO_FIRST_VILLAGE = "两家子村"  # not a name the generator makes (两 is not in PLACE_FIRST)


@dataclass(frozen=True)
class DemoAccount:
    username: str
    display_name: str
    role: UserRole
    area_name: str  # the area it is bound to ("" for the administrator: the whole workspace)

    @property
    def role_label(self) -> str:
        return label(self.role)


DEMO_ACCOUNTS: tuple[DemoAccount, ...] = (
    DemoAccount("admin", "管理员", UserRole.ADMIN, ""),
    DemoAccount("county", "赵淑芬", UserRole.COUNTY_STAFF, COUNTY_NAME),
    DemoAccount("town01", "孙建国", UserRole.TOWNSHIP_STAFF, "桦皮厂镇"),
    DemoAccount("v0001", "刘桂英", UserRole.VILLAGE_OFFICER, DEMO_FIRST_VILLAGE),
)
_DEMO_LOGINS = {a.username: a for a in DEMO_ACCOUNTS}

TOWNSHIP_NAMES = [
    "桦皮厂镇", "左家镇", "孤店子镇", "两家子满族乡", "土城子渔楼村乡", "九站街道", "新地号街道",
    "延安街道", "通江街道", "文庙街道", "站前街道", "兴华街道", "东局子街道", "哈达湾街道",
    "莲花街道", "延江街道", "双吉街道", "民主街道",
]
PLACE_FIRST = "前后东西南北大小新老上下王李张刘杨黄高马赵孙周于郭朱胡林石韩"
PLACE_SECOND = "家屯岭沟河山台堡窝甸子岗营泉桥湾"
GROUP_NAMES = ["一组", "二组", "三组", "四组", "五组", "六组", "七组", "八组"]

# surnames with rough frequencies (per mille), and a few with special readings
SURNAMES: list[tuple[str, float]] = [
    ("王", 72), ("李", 72), ("张", 68), ("刘", 54), ("陈", 46), ("杨", 31), ("赵", 23), ("黄", 22),
    ("周", 21), ("吴", 21), ("徐", 17), ("孙", 16), ("胡", 13), ("朱", 13), ("高", 13), ("林", 12),
    ("何", 12), ("郭", 12), ("马", 11), ("罗", 10), ("梁", 9), ("宋", 9), ("郑", 8), ("谢", 8),
    ("韩", 8), ("唐", 7), ("冯", 7), ("于", 7), ("董", 6), ("萧", 6), ("程", 6), ("曹", 6),
    ("袁", 5), ("邓", 5), ("许", 5), ("傅", 5), ("沈", 4), ("曾", 4), ("彭", 4), ("吕", 4),
    ("苏", 4), ("卢", 4), ("蒋", 4), ("蔡", 4), ("贾", 3), ("丁", 3), ("魏", 3), ("薛", 3),
    ("叶", 3), ("阎", 3), ("潘", 3), ("杜", 3), ("戴", 3), ("姜", 3), ("单", 1.5), ("解", 1),
    ("仇", 0.8), ("区", 0.5), ("查", 0.8), ("覃", 0.8), ("朴", 1.5), ("欧阳", 0.6), ("上官", 0.2),
]
GIVEN_MALE = "伟强磊军勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆建国志文海东春林德福贵成山"
GIVEN_FEMALE = "芳娜敏静丽艳娟霞秀玲桂英华红梅兰凤琴云莲珍燕萍雪琳洁慧颖倩婷玉淑芬"

CATEGORY_WEIGHTS = [14.86, 24.16, 1.53, 29.07, 6.68, 7.40, 16.30]  # 视力…多重 (2006 survey)
GRADE_WEIGHTS = [15, 25, 28, 32]  # 一级…四级, certified population
# age bands (min, max, weight): 60+ is over half of disabled people in the 2006 survey
AGE_BANDS = [(0, 6, 1.5), (7, 15, 3.0), (16, 44, 18.0), (45, 59, 24.5), (60, 79, 40.0), (80, 95, 13.0)]
OTHER_BIRTH_AREAS = ["220203", "220204", "220211", "220221", "220281", "220282", "220283", "220284"]

FINDINGS = [
    "生活基本稳定，家属照料到位", "身体状况与上次相比无明显变化", "居住条件较差，屋内潮湿阴冷",
    "本人情绪稳定，与家人关系融洽", "行动不便，日常起居需人协助", "家庭收入主要依靠低保和补贴",
    "已了解最新补贴政策，表示满意", "子女在外务工，老人独自在家", "近期住院治疗，已出院在家休养",
    "辅助器具使用正常", "希望参加技能培训", "冬季取暖有保障", "按时服药，病情稳定",
]
SAFETY_RISKS = [
    "冬季取暖用火炉，存在一氧化碳中毒隐患", "卫生间地面湿滑，无扶手", "独居，夜间无人照看",
    "电线老化，存在用电隐患", "院内道路不平，雨雪天易摔倒", "房屋墙体有裂缝",
]
LOST_REASONS = ["外出务工，电话无人接听", "住院治疗，未见到本人", "搬至子女家居住，地址不详", "家中无人"]
NEED_DETAILS: dict[NeedKind, list[str]] = {
    NeedKind.REHABILITATION: ["需要康复训练", "需要肢体功能训练", "需要精神病服药补助", "孩子需要语言训练"],
    NeedKind.ASSISTIVE_DEVICE: ["需要轮椅", "需要助听器", "需要盲杖", "需要助行器", "需要坐便椅"],
    NeedKind.HOME_MODIFICATION: ["卫生间需要安装扶手", "门口台阶需要改坡道", "需要闪光门铃", "厨房灶台需要改低"],
    NeedKind.CARE: ["需要日间照料", "家属希望申请托养服务"],
    NeedKind.TRAINING: ["希望参加电商培训", "希望学习按摩技能"],
    NeedKind.EMPLOYMENT: ["希望找到合适工作", "希望申请公益性岗位"],
    NeedKind.LEGAL_AID: ["赡养纠纷需要法律援助"],
    NeedKind.EDUCATION: ["孩子需要送教上门", "孩子入学需要协调"],
    NeedKind.LIVING_ASSISTANCE: ["家庭困难，申请临时救助", "冬季取暖费用有困难"],
    NeedKind.OTHER: ["希望办理残疾人证审验"],
}
FOLLOW_UP_ACTIONS: dict[NeedKind, str] = {
    NeedKind.REHABILITATION: "联系定点康复机构并转介",
    NeedKind.ASSISTIVE_DEVICE: "上报乡镇残联申请辅助器具",
    NeedKind.HOME_MODIFICATION: "协助提交无障碍改造申请",
    NeedKind.CARE: "了解托养机构床位并告知家属",
    NeedKind.TRAINING: "报名参加县残联培训班",
    NeedKind.EMPLOYMENT: "推荐就业岗位信息",
    NeedKind.LEGAL_AID: "联系司法所法律援助",
    NeedKind.EDUCATION: "联系学校协调入学",
    NeedKind.LIVING_ASSISTANCE: "协助向民政申请临时救助",
    NeedKind.OTHER: "告知审验办理流程",
}
CONTRACTORS = ["吉林市安居建筑工程有限公司", "昌邑区惠民装饰工程队", "吉林市无障碍设施工程有限公司"]
# needs that got as far as a case (an open need is still a candidate; a declined one never went)
CASE_NEED_STATUSES = frozenset({NeedStatus.REFERRED, NeedStatus.IN_SERVICE, NeedStatus.MET, NeedStatus.UNREACHABLE})
REFERRAL_SERVICES = {
    NeedKind.ASSISTIVE_DEVICE: [ReferralServiceKind.DEVICE_FITTING],
    NeedKind.REHABILITATION: [ReferralServiceKind.REHAB_TRAINING, ReferralServiceKind.HOME_REHAB,
                              ReferralServiceKind.COMMUNITY_REHAB, ReferralServiceKind.PSYCHIATRIC_MEDICATION,
                              ReferralServiceKind.SURGERY],
}
# the referral state each device step stands for (as liaison.core.rules.workflows.DEVICE_STATE)
DEVICE_REFERRAL_STATE = {step: state.value for step, state in DEVICE_STATE.items()}
INSTITUTIONS = [
    ("昌邑区残疾人康复中心", "rehab_training,home_rehab,community_rehab"),
    ("吉林市儿童康复中心", "rehab_training,surgery"),
    ("吉林市精神康复医院", "psychiatric_medication"),
    ("吉林市辅助器具适配中心", "device_fitting"),
    ("吉林市人民医院", "surgery"),
    ("昌邑区中医院康复科", "rehab_training,home_rehab"),
]
RELATIONS = ["父亲", "母亲", "配偶", "儿子", "女儿", "兄弟姐妹"]


@dataclass
class DemoSummary:
    persons: int
    visits: int
    needs: int
    follow_ups: int
    modification_cases: int
    referrals: int
    areas: int
    users: int
    seconds: float
    counts: dict[str, int] = field(default_factory=dict)


class DemoError(LiaisonError):
    pass


def _weighted(rng: random.Random, choices: Sequence[Any], weights: Sequence[float]) -> Callable[[], Any]:
    """A fast repeated weighted choice (random.choices recomputes the totals each call)."""
    cum = list(accumulate(weights))
    total = cum[-1]

    def pick() -> Any:
        return choices[bisect(cum, rng.random() * total)]

    return pick


class _Builder:
    def __init__(
        self,
        persons: int,
        seed: int,
        today: date,
        rules: RuleConfig,
        device_id: str,
        write: Callable[[str, tuple[str, ...], list[tuple[Any, ...]]], None],
    ) -> None:
        self.n = persons
        self.rng = random.Random(seed)
        self.today = today
        self.rules = rules
        self.device = device_id
        self.write = write
        self.rows: dict[str, list[tuple[Any, ...]]] = {}
        self.columns: dict[str, tuple[str, ...]] = {}
        self.written: dict[str, int] = {}
        self.buffered = 0
        self.counter = 0
        self.epoch_ms = int(datetime(today.year, today.month, today.day).timestamp() * 1000) - 10**10
        self.iso_cache: dict[date, str] = {}
        self.pick_surname = _weighted(self.rng, [s for s, _w in SURNAMES], [w for _s, w in SURNAMES])
        self.pick_category = _weighted(self.rng, range(1, 8), CATEGORY_WEIGHTS)
        self.pick_grade = _weighted(self.rng, range(1, 5), GRADE_WEIGHTS)
        self.pick_band = _weighted(self.rng, AGE_BANDS, [w for *_r, w in AGE_BANDS])
        self.pick_mode = _weighted(
            self.rng,
            [ContactMode.HOME, ContactMode.IN_PERSON, ContactMode.PHONE, ContactMode.LOST],
            [68, 14, 15, 3],
        )
        self.used_ids: set[str] = set()
        self.password_hash = demo_password_hash()

    # --- low-level helpers ---------------------------------------------------------------

    def uuid(self) -> str:
        """Version-7 style ids in creation order (as the services make them), drawn from the
        seeded generator so the county is the same for the same seed."""
        self.counter += 1
        return f"{uuid7_int(self.epoch_ms + self.counter, self.rng.getrandbits(74)):032x}"

    def iso(self, day: date) -> str:
        text = self.iso_cache.get(day)
        if text is None:
            text = self.iso_cache[day] = day.isoformat()
        return text

    def stamp(self, day: date) -> str:
        return self.iso(day) + " 09:00:00.000000"

    def add(self, table: str, columns: tuple[str, ...], row: tuple[Any, ...]) -> None:
        if table not in self.columns:
            self.columns[table] = columns
            self.rows[table] = []
        self.rows[table].append(row)
        self.buffered += 1
        if self.buffered >= FLUSH_ROWS:
            self.flush()

    def flush(self) -> None:
        """Hand buffered rows to the writer, parents before children, to bound memory."""
        for table in _TABLE_ORDER:
            rows = self.rows.get(table)
            if rows:
                self.write(table, self.columns[table], rows)
                self.written[table] = self.written.get(table, 0) + len(rows)
                self.rows[table] = []
        self.buffered = 0

    def synced(self, day: date) -> tuple[Any, ...]:
        return (self.uuid(), self.stamp(day), self.stamp(day), 1, self.device)

    SYNC = ("id", "created_at", "updated_at", "row_version", "origin_device")
    VISIT_COLS = SYNC + (
        "person_id", "visit_date", "kind", "contact_mode", "lost_reason", "visitor_name",
        "visitor_user_id", "findings", "safety_risks", "household_income_fen", "household_size",
    )

    def day_between(self, start: date, end: date) -> date:
        if end <= start:
            return start
        return start + timedelta(days=self.rng.randint(0, (end - start).days))

    # --- areas and users --------------------------------------------------------------------

    def build_areas(self) -> list[tuple[str, str, str]]:
        """Returns (area_id, village_name, officer_name) for every village or group people live in."""
        rng = self.rng
        n_villages = max(1, round(self.n / PEOPLE_PER_VILLAGE))
        n_towns = max(1, -(-n_villages // VILLAGES_PER_TOWNSHIP))
        start = self.today - timedelta(days=365 * HISTORY_YEARS + 60)
        cols = self.SYNC + ("code", "name", "level", "parent_id")
        county_id = self.uuid()
        self.county_id = county_id
        self.add("area", cols, (county_id, self.stamp(start), self.stamp(start), 1, self.device,
                                COUNTY_CODE, COUNTY_NAME, AreaLevel.COUNTY.value, None))
        homes: list[tuple[str, str, str]] = []
        self.village_ids: list[str] = []
        self.officers: dict[str, str] = {}
        names_used: set[str] = set()
        village_no = 0
        for t in range(n_towns):
            town_id = self.uuid()
            town_code = f"{COUNTY_CODE}{100 + t:03d}"
            town_name = TOWNSHIP_NAMES[t] if t < len(TOWNSHIP_NAMES) else self.place_name(names_used, "镇")
            self.add("area", cols, (town_id, self.stamp(start), self.stamp(start), 1, self.device,
                                    town_code, town_name, AreaLevel.TOWNSHIP.value, county_id))
            self.user(f"town{t + 1:02d}", self.person_name(Sex.FEMALE if t % 2 else Sex.MALE),
                      UserRole.TOWNSHIP_STAFF, town_id, start)
            for v in range(min(VILLAGES_PER_TOWNSHIP, n_villages - village_no)):
                village_no += 1
                village_id = self.uuid()
                suffix = "社区" if town_name.endswith("街道") else "村"
                village_name = self.place_name(names_used, suffix)
                if village_no == 1:
                    village_name = DEMO_FIRST_VILLAGE  # named on the welcome page's account list
                self.add("area", cols, (village_id, self.stamp(start), self.stamp(start), 1, self.device,
                                        f"{town_code}{v + 1:03d}", village_name, AreaLevel.VILLAGE.value,
                                        town_id))
                officer = self.person_name(Sex.FEMALE if rng.random() < 0.6 else Sex.MALE)
                officer = self.user(f"v{village_no:04d}", officer, UserRole.VILLAGE_OFFICER, village_id, start)
                homes.append((village_id, village_name, officer))
                self.village_ids.append(village_id)
                if suffix == "村":
                    for g in range(rng.randint(3, 6)):
                        group_id = self.uuid()
                        self.add("area", cols, (group_id, self.stamp(start), self.stamp(start), 1, self.device,
                                                f"{town_code}{v + 1:03d}{g + 1:03d}", GROUP_NAMES[g],
                                                AreaLevel.GROUP.value, village_id))
                        homes.append((group_id, village_name, officer))
        self.user("county", self.person_name(Sex.FEMALE), UserRole.COUNTY_STAFF, county_id, start)
        return homes

    def place_name(self, used: set[str], suffix: str) -> str:
        while True:
            name = self.rng.choice(PLACE_FIRST) + self.rng.choice(PLACE_SECOND) + suffix
            if name not in used:
                used.add(name)
                return name

    USER_COLS = SYNC + ("username", "display_name", "role", "active", "password_hash", "failed_logins")

    def user(self, username: str, display: str, role: UserRole, area_id: str | None, day: date) -> str:
        """Add an account; the demo's login accounts get their fixed name and the demo password
        (the generated name is still drawn, so the rest of the county stays the same). Returns
        the display name used."""
        login = _DEMO_LOGINS.get(username)
        if login is not None:
            display = login.display_name
        user_id, *rest = self.synced(day)
        self.add("app_user", self.USER_COLS,
                 (user_id, *rest, username, display, role.value, 1,
                  self.password_hash if login is not None else None, 0))
        if area_id is not None:
            self.add("user_area", ("user_id", "area_id"), (user_id, area_id))
        return display

    def person_name(self, sex: Sex) -> str:
        rng = self.rng
        pool = GIVEN_MALE if sex is Sex.MALE else GIVEN_FEMALE
        given = rng.choice(pool) + (rng.choice(pool) if rng.random() < 0.7 else "")
        return self.pick_surname() + given

    # --- people ---------------------------------------------------------------------------

    def build_people(self, homes: list[tuple[str, str, str]]) -> None:
        rng, today = self.rng, self.today
        history_start = today - timedelta(days=365 * HISTORY_YEARS)
        cols = self.SYNC + (
            "name", "name_sort", "id_number", "sex", "birth_date", "ethnicity", "phone", "area_id",
            "address", "hukou", "lives_alone", "guardian_name", "guardian_relation", "guardian_phone",
            "cert_number", "cert_issued_on", "cert_valid_until", "category", "component_categories",
            "grade", "diagnosis", "diagnosed_on", "dibao", "tekun", "fanpin_monitor", "low_income",
            "chronic_illness_in_household", "living_subsidy_receiving", "living_subsidy_fen",
            "care_subsidy_receiving", "care_subsidy_fen", "pension_insured", "pension_gov_paid",
            "medical_insured", "medical_gov_paid", "employment_status", "employment_form",
            "training_wish", "school_status", "status", "status_on", "status_reason",
            "registered_on", "notes", "search_no",
        )
        cadence = self.rules.cadence
        self.people: list[tuple[str, PersonFacts, CadenceRule, date, date | None, str]] = []
        for i in range(self.n):
            area_id, village_name, officer = homes[i % len(homes)] if i < len(homes) else rng.choice(homes)
            sex = Sex.MALE if rng.random() < 0.56 else Sex.FEMALE
            lo, hi, _w = self.pick_band()
            age = rng.randint(lo, hi)
            birth = today - timedelta(days=age * 365 + rng.randint(0, 364))
            birth = max(birth, date(1925, 1, 1))
            id_number = self.id_number(birth, sex)
            name = self.person_name(sex)
            category = self.pick_category()
            grade = self.pick_grade()
            if age >= 75 and grade > 2 and rng.random() < 0.3:
                grade -= 1
            components = None
            if category == 7:
                components = ",".join(str(c) for c in sorted(rng.sample(range(1, 7), rng.choice((2, 2, 3)))))
            child_without_cert = age <= 6 and rng.random() < 0.35
            if child_without_cert:
                cert = issued = valid = None
                diagnosed = self.day_between(min(birth + timedelta(days=90), today), today)
                diagnosis = rng.choice(["孤独症谱系障碍", "脑性瘫痪", "发育迟缓", "听力损失", "唐氏综合征"])
                registered = diagnosed
                cat_value, grade_value = (category if category != 7 else 5), None
                components = None
            else:
                # cards are valid ten years and renewed (审验换证) before they lapse
                earliest = max(birth + timedelta(days=60), today - timedelta(days=365 * 10 - 90))
                if rng.random() < 0.02:  # new certificate holders: first contact due
                    issued = today - timedelta(days=rng.randint(0, 20))
                else:
                    issued = min(today, self.day_between(earliest, today - timedelta(days=30)))
                valid = issued + timedelta(days=365 * 10)
                if rng.random() < 0.03:  # a few cards expiring or expired (审验)
                    valid = today + timedelta(days=rng.randint(-120, 60))
                    valid = max(valid, issued + timedelta(days=1))
                cert = certificate_number(id_number, category, grade)
                diagnosis = diagnosed = None
                registered = issued if issued > history_start else history_start - timedelta(days=rng.randint(0, 90))
                cat_value, grade_value = category, grade
            lives_alone = age >= 18 and rng.random() < (0.16 if age >= 60 else 0.04)
            dibao = rng.random() < 0.22
            tekun = not dibao and rng.random() < 0.03
            fanpin = rng.random() < 0.04
            low_income = not dibao and rng.random() < 0.06
            ill = rng.random() < 0.12
            living = cert is not None and dibao and rng.random() < 0.93
            care = cert is not None and grade_value in (1, 2) and rng.random() < 0.95
            adult = age >= 16
            pension = adult and rng.random() < 0.93
            medical = rng.random() < 0.97
            if 16 <= age <= 59:
                employment = rng.choices(
                    [EmploymentStatus.EMPLOYED, EmploymentStatus.SEEKING, EmploymentStatus.UNABLE],
                    [35, 12, 53])[0]
            else:
                employment = EmploymentStatus.NOT_WORKING_AGE
            form = None
            if employment is EmploymentStatus.EMPLOYED:
                form = rng.choice([EmploymentForm.FARMING, EmploymentForm.FARMING, EmploymentForm.FLEXIBLE,
                                   EmploymentForm.SELF_EMPLOYED, EmploymentForm.PUBLIC_WELFARE,
                                   EmploymentForm.QUOTA, EmploymentForm.SUPPORTED])
            if 3 <= age <= 5:
                school = SchoolStatus.PRESCHOOL
            elif 6 <= age <= 15:
                school = rng.choices(
                    [SchoolStatus.REGULAR, SchoolStatus.INCLUSIVE, SchoolStatus.SPECIAL_SCHOOL,
                     SchoolStatus.HOME_DELIVERED, SchoolStatus.NOT_ENROLLED], [40, 35, 12, 10, 3])[0]
            else:
                school = SchoolStatus.NOT_APPLICABLE
            needs_guardian = age < 18 or category in (5, 6) or age >= 85
            guardian = guardian_rel = guardian_phone = None
            if needs_guardian:
                guardian = self.person_name(Sex.MALE if rng.random() < 0.5 else Sex.FEMALE)
                guardian_rel = rng.choice(RELATIONS[:2] if age < 18 else RELATIONS[2:])
                guardian_phone = self.phone()
            status, status_on, status_reason = PersonStatus.ACTIVE, None, None
            roll = rng.random()
            if cert is not None and roll < 0.04:
                status_on = self.day_between(max(registered, history_start), today - timedelta(days=1))
                if roll < 0.02:
                    status, status_reason = PersonStatus.DECEASED, "病故"
                elif roll < 0.035:
                    status, status_reason = PersonStatus.MOVED_OUT, "随子女迁往外地"
                else:
                    status, status_reason = PersonStatus.CERT_CANCELLED, "复评后不再符合残疾标准"
            facts = PersonFacts(
                birth_date=birth, category=cat_value,
                component_categories=frozenset(int(c) for c in components.split(",")) if components else frozenset(),
                grade=grade_value, has_certificate=cert is not None, cert_issued_on=issued,
                cert_valid_until=valid, lives_alone=lives_alone, dibao=dibao, tekun=tekun,
                fanpin_monitor=fanpin, low_income=low_income, chronic_illness_in_household=ill,
                receiving_living_subsidy=living, receiving_care_subsidy=care,
            )
            # the rhythm the person was visited at while on the roster
            rule = cadence_for(facts, cadence)
            if status is not PersonStatus.ACTIVE:
                facts = replace(facts, status=status)
            pid, *sync = self.synced(registered)
            phone = self.phone() if rng.random() < 0.8 else None
            self.add("person", cols, (
                pid, *sync, name, name_sort_key(name), id_number, sex.value, self.iso(birth),
                "汉族" if rng.random() < 0.9 else rng.choice(["满族", "朝鲜族", "回族", "蒙古族"]),
                phone, area_id,
                f"{village_name}{rng.randint(1, 300)}号",
                HukouType.RURAL.value if rng.random() < 0.588 else HukouType.URBAN.value,
                int(lives_alone), guardian, guardian_rel, guardian_phone,
                cert, self.iso(issued) if issued else None, self.iso(valid) if valid else None,
                cat_value, components, grade_value, diagnosis,
                self.iso(diagnosed) if diagnosed else None,
                int(dibao), int(tekun), int(fanpin), int(low_income), int(ill),
                int(living), rng.choice((8_000, 9_000, 10_000)) if living else None,
                int(care), rng.choice((9_000, 10_000, 12_000)) if care else None,
                int(pension), int(pension and (dibao or grade_value in (1, 2))),
                int(medical), int(medical and (dibao or tekun)),
                employment.value, form.value if form else None,
                "希望学习实用技术" if employment is EmploymentStatus.SEEKING and rng.random() < 0.5 else None,
                school.value, status.value, self.iso(status_on) if status_on else None, status_reason,
                self.iso(registered), None, i + 1,
            ))
            for term in search_terms(name, id_number, phone):
                self.add("person_search_term", ("term", "search_no"), (term, i + 1))
            assert rule is not None
            self.people.append((pid, facts, rule, registered, status_on, officer))

    def id_number(self, birth: date, sex: Sex) -> str:
        rng = self.rng
        area = COUNTY_CODE if rng.random() < 0.85 else rng.choice(OTHER_BIRTH_AREAS)
        while True:
            seq = rng.randrange(0, 1000)
            if (seq % 2 == 1) != (sex is Sex.MALE):
                seq = (seq + 1) % 1000
            number = compose_id_number(area, birth, seq)
            if number not in self.used_ids:
                self.used_ids.add(number)
                return number

    def phone(self) -> str:
        return f"1{self.rng.choice('35789')}{self.rng.randrange(10**9):09d}"

    # --- visits, needs, follow-ups -----------------------------------------------------------

    def build_visits(self) -> None:
        rng, today = self.rng, self.today
        cadence = self.rules.cadence
        start_of_history = today - timedelta(days=365 * HISTORY_YEARS)
        v_cols = self.VISIT_COLS
        survey = cadence.annual_survey
        rand, add, uuid, iso, device = rng.random, self.add, self.uuid, self.iso, self.device
        home, lost_mode = ContactMode.HOME.value, ContactMode.LOST.value
        modes = [m.value for m in (ContactMode.HOME, ContactMode.IN_PERSON, ContactMode.PHONE, ContactMode.LOST)]
        mode_cum = list(accumulate([68, 14, 15, 3]))
        survey_kind, condolence, income_kind = (VisitKind.ANNUAL_SURVEY.value, VisitKind.CONDOLENCE.value,
                                                VisitKind.INCOME_MONITORING.value)
        first_kind = VisitKind.FIRST_CONTACT.value
        n_findings, n_risks, n_lost = len(FINDINGS), len(SAFETY_RISKS), len(LOST_REASONS)
        for pid, facts, rule, registered, status_on, officer in self.people:
            interval = rule.interval.interval_days
            end = status_on or today
            first = max(registered, start_of_history)
            if end <= first:
                continue
            lapsed = rand() < 0.07 and status_on is None
            if lapsed:
                last = end - timedelta(days=interval + rule.interval.grace_days + rng.randint(1, 2 * interval))
            else:
                last = end - timedelta(days=int(rand() * interval))
            dates: list[date] = []
            day = last
            while day >= first:
                dates.append(day)
                step = interval if (last - day).days < 180 else 180
                day -= timedelta(days=max(7, step + int((rand() - 0.5) * step / 3)))
            dates.reverse()
            base_kind = VisitKind.HARDSHIP.value if rule.kind == "intensive" else VisitKind.ROUTINE.value
            kinds = [base_kind] * len(dates)
            # a certificate issued during the history: the first visit soon after is the first contact
            if (dates and facts.has_certificate and facts.cert_issued_on == registered == first
                    and (dates[0] - registered).days <= cadence.first_contact_days):
                kinds[0] = first_kind
            # one annual survey per year inside the survey period, most years
            if facts.has_certificate:
                for year in range(first.year, end.year + 1):
                    opens, deadline = survey.opens_on(year), min(survey.deadline_on(year), end)
                    if deadline < max(opens, first) or rand() < 0.04:
                        continue
                    inside = [k for k, d in enumerate(dates) if opens <= d <= deadline]
                    if inside:
                        kinds[inside[int(rand() * len(inside))]] = survey_kind
                    elif year < today.year or rand() < 0.95:
                        dates.append(self.day_between(max(opens, first), deadline))
                        kinds.append(survey_kind)
            monitored = facts.dibao or facts.fanpin_monitor or facts.low_income
            contacts: list[tuple[str, date]] = []
            for day, kind in zip(dates, kinds, strict=True):
                mode = modes[bisect(mode_cum, rand() * 100)]
                if kind not in (survey_kind, first_kind):
                    if day.month <= 2 and rand() < 0.25:
                        kind = condolence
                    elif monitored and day.month == 11 and rand() < 0.5:
                        kind = income_kind
                if mode == lost_mode and kind in (survey_kind, income_kind, first_kind):
                    mode = home
                lost = mode == lost_mode
                income = size = None
                if kind == income_kind:
                    size = 1 + int(rand() * 5)
                    income = size * (400_000 + 10_000 * int(rand() * 80))
                vid, stamp = uuid(), iso(day) + " 09:00:00.000000"
                add("visit", v_cols, (
                    vid, stamp, stamp, 1, device, pid, iso(day), kind, mode,
                    LOST_REASONS[int(rand() * n_lost)] if lost else None, officer, None,
                    None if lost else FINDINGS[int(rand() * n_findings)],
                    SAFETY_RISKS[int(rand() * n_risks)] if not lost and rand() < 0.06 else None,
                    income, size,
                ))
                if not lost:
                    contacts.append((vid, day))
            if contacts and rand() < 0.5:
                self.build_needs(pid, facts, contacts, status_on, officer)

    def build_needs(self, pid: str, facts: PersonFacts, contacts: list[tuple[str, date]],
                    status_on: date | None, officer: str) -> None:
        rng, today = self.rng, self.today
        n_cols = self.SYNC + ("person_id", "kind", "detail", "raised_on", "raised_visit_id", "status",
                              "status_on", "resolved_on", "resolution", "resolved_visit_id")
        for _i in range(1 if rng.random() < 0.8 else 2):
            kind = self.need_kind(facts)
            visit_id, raised = rng.choice(contacts[-8:])
            age_days = (today - raised).days
            if status_on is not None:
                status = rng.choice([NeedStatus.MET, NeedStatus.UNREACHABLE])
            elif age_days > 365:
                status = rng.choices(
                    [NeedStatus.MET, NeedStatus.DECLINED, NeedStatus.UNREACHABLE, NeedStatus.IN_SERVICE],
                    [85, 9, 3, 3])[0]
            elif age_days > 90:
                status = rng.choices(
                    [NeedStatus.MET, NeedStatus.DECLINED, NeedStatus.UNREACHABLE, NeedStatus.IN_SERVICE,
                     NeedStatus.OPEN, NeedStatus.REFERRED], [78, 8, 2, 7, 2, 3])[0]
            else:
                status = rng.choices(
                    [NeedStatus.OPEN, NeedStatus.REFERRED, NeedStatus.IN_SERVICE, NeedStatus.MET],
                    [45, 20, 15, 20])[0]
            resolved = status in (NeedStatus.MET, NeedStatus.DECLINED, NeedStatus.UNREACHABLE)
            end = status_on or today
            status_day = min(end, raised + timedelta(days=rng.randint(5, 80))) if status is not NeedStatus.OPEN else raised
            later = [(v, d) for v, d in contacts if d >= status_day]
            resolved_visit = later[0][0] if resolved and later and later[0][1] == status_day else None
            resolution = None
            if status is NeedStatus.MET:
                resolution = "已落实"
            elif status is NeedStatus.DECLINED:
                resolution = "本人表示暂不需要"
            elif status is NeedStatus.UNREACHABLE:
                resolution = "人员迁出或去世，无法落实" if status_on else "政策条件不符，无法落实"
            if resolved and resolved_visit is None and raised < status_day <= max(d for _v, d in contacts):
                # settled at a return visit (回访); only before the last contact, so that the
                # visit rhythm the person was given stays as it was
                resolved_visit, stamp = self.uuid(), self.stamp(status_day)
                self.add("visit", self.VISIT_COLS, (
                    resolved_visit, stamp, stamp, 1, self.device, pid, self.iso(status_day),
                    VisitKind.RETURN_VISIT.value, ContactMode.HOME.value, None, officer, None,
                    f"回访：{resolution}", None, None, None,
                ))
            need_id, *sync = self.synced(raised)
            self.add("need", n_cols, (
                need_id, *sync, pid, kind.value, rng.choice(NEED_DETAILS[kind]), self.iso(raised),
                visit_id, status.value, self.iso(status_day),
                self.iso(status_day) if resolved else None, resolution, resolved_visit,
            ))
            due = raised + timedelta(days=rng.randint(14, 30))
            if resolved:
                fu_status, done_on, outcome = FollowUpStatus.DONE, min(status_day, today), "已完成"
            elif rng.random() < (0.95 if age_days > 60 else 0.5) or status_on is not None:
                # most promised actions get done; the ones still open are mostly recent
                fu_status, done_on, outcome = FollowUpStatus.DONE, min(raised + timedelta(days=10), today), "已上报"
            else:
                fu_status, done_on, outcome = FollowUpStatus.OPEN, None, None
            fid, *sync = self.synced(raised)
            self.add("follow_up", self.FOLLOW_UP_COLS, (
                fid, *sync, visit_id, pid, need_id, FOLLOW_UP_ACTIONS[kind], self.iso(due),
                fu_status.value, self.iso(done_on) if done_on else None, outcome, None, None,
            ))
            self.needs.append((need_id, pid, kind, status, raised, status_day, facts))

    def need_kind(self, facts: PersonFacts) -> NeedKind:
        rng = self.rng
        age = facts.age_on(self.today)
        options: list[tuple[NeedKind, float]] = [
            (NeedKind.REHABILITATION, 25), (NeedKind.ASSISTIVE_DEVICE, 25), (NeedKind.LIVING_ASSISTANCE, 8),
            (NeedKind.OTHER, 3), (NeedKind.LEGAL_AID, 1),
        ]
        if facts.is_severe:
            options.append((NeedKind.HOME_MODIFICATION, 20))
        if facts.category in (5, 6) or age >= 70:
            options.append((NeedKind.CARE, 8))
        if 16 <= age <= 59:
            options += [(NeedKind.EMPLOYMENT, 8), (NeedKind.TRAINING, 6)]
        if 3 <= age <= 15:
            options.append((NeedKind.EDUCATION, 10))
        kinds, weights = zip(*options, strict=True)
        return rng.choices(kinds, weights)[0]

    # --- cases ------------------------------------------------------------------------------

    def build_cases(self) -> None:
        """Modification cases and referrals for the needs that got that far, in every stage,
        with the timelines, need statuses and 回访 the case services would have written."""
        rng, today = self.rng, self.today
        start = today - timedelta(days=365 * HISTORY_YEARS + 60)
        inst_cols = self.SYNC + ("name", "code", "area_id", "address", "phone", "service_kinds",
                                 "designated", "active")
        self.institutions: dict[str, list[str]] = {}
        for k, (name, kinds) in enumerate(INSTITUTIONS, start=1):
            iid, *sync = self.synced(start)
            self.add("institution", inst_cols, (iid, *sync, name, f"JG{k:03d}", self.county_id,
                                                "吉林市昌邑区", f"0432-6{rng.randrange(10**6):06d}", kinds, 1, 1))
            for kind in kinds.split(","):
                self.institutions.setdefault(kind, []).append(iid)
        self.turn: dict[str, int] = {}  # round-robin counters: every stage appears even in a small demo
        for need in self.needs:
            need_id, pid, kind, status, raised, status_day, facts = need
            if kind is NeedKind.HOME_MODIFICATION and status in CASE_NEED_STATUSES:
                self.build_modification(pid, need_id, status, raised, status_day)
            elif kind in REFERRAL_SERVICES and status in CASE_NEED_STATUSES:
                self.build_referral(pid, need_id, kind, status, raised, status_day, facts)
        self.build_targets()

    def next_turn(self, key: str, n: int) -> int:
        value = self.turn.get(key, 0)
        self.turn[key] = value + 1
        return value % n

    def case_events(self, case_type: str, case_id: str, steps: list[tuple[str, date, str | None]],
                    who: str) -> None:
        cols = self.SYNC + ("case_type", "case_id", "from_state", "to_state", "on_date", "at", "by_user", "reason")
        previous = None
        for state, day, reason in steps:
            eid, *sync = self.synced(day)
            self.add("case_event", cols, (eid, *sync, case_type, case_id, previous, state, self.iso(day),
                                          self.stamp(day), who, reason))
            previous = state

    def step_days(self, first: date, last: date, n: int) -> list[date]:
        """n dates from `first` to `last`, in order (the first is `first`, the last is `last`)."""
        if n == 1:
            return [first]
        inner = sorted(self.day_between(first, last) for _i in range(n - 2))
        return [first, *inner, last]

    def recent_end(self, raised: date, limit_days: int) -> date:
        """When a case still in progress entered its stage: mostly within the allowed days."""
        late = self.rng.random() < 0.2  # some are overdue in their stage
        back = self.rng.randint(limit_days + 1, limit_days * 3) if late else self.rng.randint(0, limit_days)
        return max(raised, self.today - timedelta(days=back))

    def case_follow_up(self, case_type: str, case_id: str, pid: str, need_id: str, action: str,
                       closed: date, done_on: date | None, outcome: str | None) -> None:
        due = closed + timedelta(days=self.rules.modification.follow_up_days if case_type == "modification"
                                 else self.rules.referral.follow_up_days)
        # most 回访 are done within weeks; some recent ones are still waiting
        if done_on is None and (due < self.today - timedelta(days=90) or (
                due < self.today - timedelta(days=20) and self.rng.random() < 0.8)):
            done_on, outcome = self.day_between(due - timedelta(days=10), min(due + timedelta(days=15), self.today)), \
                "回访：效果良好，本人满意"
        fid, *sync = self.synced(closed)
        self.add("follow_up", self.FOLLOW_UP_COLS, (
            fid, *sync, None, pid, need_id, action, self.iso(due),
            (FollowUpStatus.DONE if done_on else FollowUpStatus.OPEN).value,
            self.iso(done_on) if done_on else None, outcome, case_type, case_id))

    def build_modification(self, pid: str, need_id: str, status: NeedStatus, raised: date, status_day: date) -> None:
        rng = self.rng
        order = list(MODIFICATION.order)
        ended = None
        if status is NeedStatus.MET:
            reach = 5
        elif status is NeedStatus.UNREACHABLE:
            ended = ("ineligible", "terminated")[self.next_turn("mod-end", 2)]
            reach = rng.randint(0, 1) if ended == "ineligible" else rng.randint(0, 3)
        elif status is NeedStatus.REFERRED:
            reach = self.next_turn("mod-referred", 3)  # 申请, 评估, 方案确认
        else:
            reach = 3 + self.next_turn("mod-in-service", 2)  # 施工, 验收
        chain: list[tuple[str, str | None]] = [(stage, None) for stage in order[: reach + 1]]
        if reach == 5 and rng.random() < 0.08:  # 验收不合格, 返工, 再验收
            chain[4:4] = [("accepted", None), ("construction", "扶手安装不牢固，返工")]
        if ended is not None:
            chain.append((ended, "不符合困难重度残疾人家庭条件" if ended == "ineligible" else "本人放弃改造"))
        if status in (NeedStatus.MET, NeedStatus.UNREACHABLE):
            last = status_day
        else:
            last = self.recent_end(raised, self.rules.modification.stage_days[chain[-1][0]])
        days = self.step_days(raised, last, len(chain))
        steps = [(stage, day, reason) for (stage, reason), day in zip(chain, days, strict=True)]
        when = {stage: day for stage, day, _r in steps}  # the last time each stage was entered
        stage, stage_on, _reason = steps[-1]
        catalogue = self.rules.modification.catalogue
        cid, *sync = self.synced(raised)
        estimate = 0
        if "assessed" in when:
            for item in rng.sample(catalogue, min(len(catalogue), rng.randint(2, 4))):
                qty = rng.randint(1, 3)
                estimate += qty * item.unit_cost_fen
                iid, *isync = self.synced(when["assessed"])
                self.add("modification_item", self.ITEM_COLS, (
                    iid, *isync, cid, item.code, item.name, qty, item.unit, item.unit_cost_fen,
                    qty * item.unit_cost_fen))
        accepted = stage in ("accepted", "closed")
        self.add("modification_case", self.MODIFICATION_COLS, (
            cid, *sync, pid, need_id, raised.year, stage, self.iso(stage_on), self.iso(raised),
            self.iso(when["assessed"]) if "assessed" in when else None,
            self.iso(when["plan_confirmed"]) if "plan_confirmed" in when else None,
            CONTRACTORS[rng.randrange(len(CONTRACTORS))] if "construction" in when else None,
            self.iso(when["construction"]) if "construction" in when else None,
            estimate or None,
            int(estimate * rng.uniform(0.9, 1.05)) if accepted else None,
            self.iso(when["accepted"]) if accepted else None,
            "合格" if accepted else None, "乡镇残联" if accepted else None,
            self.iso(when["closed"]) if "closed" in when else None,
            steps[-1][2] if ended else None,
        ))
        self.case_events("modification", cid, steps, "乡镇残联")
        if stage == "closed":
            self.case_follow_up("modification", cid, pid, need_id, "无障碍改造结案后回访", stage_on, None, None)

    def build_referral(self, pid: str, need_id: str, kind: NeedKind, status: NeedStatus, raised: date,
                       status_day: date, facts: PersonFacts) -> None:
        rng, today = self.rng, self.today
        offered = [s for s in REFERRAL_SERVICES[kind] if s.value in self.rules.referral.service_kinds]
        if not offered:
            return
        service = offered[self.next_turn(f"service-{kind.value}", len(offered))]
        device = service is ReferralServiceKind.DEVICE_FITTING
        referred = min(raised + timedelta(days=rng.randint(1, 5)), status_day, today)
        if device:
            path = [s.value for s in DeviceStep]
            if status is NeedStatus.REFERRED:
                chain = path[: 1 + self.next_turn("device-referred", 4)]  # 申请 … 评估
            elif status is NeedStatus.IN_SERVICE:
                chain = path[:5]  # 审批
            elif status is NeedStatus.MET:
                chain = path[:6] if (today - status_day).days < 45 or rng.random() < 0.4 else path
            else:
                cut = 1 + self.next_turn("device-end", 5)
                chain = [*path[:cut], "not_accepted" if cut < 5 else "not_completed"]
            states = [DEVICE_REFERRAL_STATE[s] for s in chain]
        else:
            if status is NeedStatus.REFERRED:
                chain = ["referred", "accepted"][: 1 + self.next_turn("ref-referred", 2)]
            elif status is NeedStatus.IN_SERVICE:
                chain = ["referred", "accepted", "in_service"]
            elif status is NeedStatus.MET:
                chain = ["referred", "accepted", "in_service", "completed"]
            else:
                chain = (["referred", "not_accepted"], ["referred", "accepted", "in_service", "not_completed"])[
                    self.next_turn("ref-end", 2)]
            states = chain
        state = states[-1]
        if status in (NeedStatus.MET, NeedStatus.UNREACHABLE):
            last = max(referred, status_day)
        else:
            limits = self.rules.referral.device_step_days if device else self.rules.referral.stage_days
            last = max(referred, self.recent_end(referred, limits.get(chain[-1], 30)))
        days = self.step_days(referred, last, len(chain))
        if device and chain[-1] == "revisited":  # 回访 a month after fitting
            days[-2] = min(days[-2], today - timedelta(days=40))
            days[-2] = max(days[-2], days[-3])
            days[-1] = min(today, days[-2] + timedelta(days=rng.randint(25, 40)))
        when = dict(zip(chain, days, strict=True))
        accepted_key = "assessed" if device else "accepted"
        institution = None
        candidates = self.institutions.get(service.value, [])
        if candidates and (accepted_key in when or rng.random() < 0.5):
            institution = rng.choice(candidates)
        child = facts.age_on(referred) <= self.rules.child_rescue.age_max
        cost = None
        if state in ("in_service", "completed", "not_completed") or (device and accepted_key in when):
            cost = rng.randrange(50_000, 1_500_000 if child else 500_000, 10_000)
        closed_state = state in ("completed", "not_completed", "not_accepted")
        closed_on = when.get("fitted") if device and state == "completed" else (days[-1] if closed_state else None)
        reasons = {"not_accepted": "已有同类辅具未满使用年限" if device else "机构床位已满",
                   "not_completed": "本人中途放弃"}
        rid, *sync = self.synced(referred)
        self.add("rehab_referral", self.REFERRAL_COLS, (
            rid, *sync, pid, need_id, institution, service.value, state, self.iso(when[chain[-1]]),
            (chain[-1] if chain[-1] in {s.value for s in DeviceStep} else chain[-2]) if device else None,
            self.iso(referred), self.iso(when[accepted_key]) if accepted_key in when else None,
            self.iso(closed_on) if closed_on else None, cost,
            "服务完成，效果良好" if state == "completed" else reasons.get(state) if state == "not_completed" else None,
            reasons["not_accepted"] if state == "not_accepted" else None,
        ))
        steps = [(s, day, reasons.get(s)) for s, day in zip(chain, days, strict=True)]
        self.case_events("referral", rid, steps, "村专职委员")
        if state == "completed":
            revisit = when.get("revisited")
            self.case_follow_up("referral", rid, pid, need_id, f"{label(service)}服务结束后回访", closed_on or days[-1],
                                revisit, "回访：使用良好" if revisit else None)

    def build_targets(self) -> None:
        """Yearly household targets for every village (the township and county add them up)."""
        cols = self.SYNC + ("area_id", "year", "kind", "target")
        for year in range(self.today.year - HISTORY_YEARS + 1, self.today.year + 1):
            day = date(year, 1, 5)
            for village_id in self.village_ids:
                tid, *sync = self.synced(day)
                self.add("area_target", cols, (tid, *sync, village_id, year, "modification", self.rng.randint(3, 7)))

    FOLLOW_UP_COLS = SYNC + ("visit_id", "person_id", "need_id", "action", "due_on", "status", "done_on",
                             "outcome", "case_type", "case_id")
    ITEM_COLS = SYNC + ("case_id", "item_code", "name", "quantity", "unit", "unit_cost_fen", "estimate_fen")
    MODIFICATION_COLS = SYNC + ("person_id", "need_id", "year", "stage", "stage_on", "applied_on", "assessed_on",
                                "plan_confirmed_on", "contractor", "construction_started_on", "estimate_fen",
                                "actual_cost_fen", "accepted_on", "acceptance_result", "accepted_by", "closed_on",
                                "end_reason")
    REFERRAL_COLS = SYNC + ("person_id", "need_id", "institution_id", "service_kind", "state", "state_on",
                            "device_step", "referred_on", "accepted_on", "closed_on", "cost_fen", "outcome",
                            "not_accepted_reason")

    def build(self) -> None:
        homes = self.build_areas()
        self.build_people(homes)
        self.needs: list[tuple[str, str, NeedKind, NeedStatus, date, date, PersonFacts]] = []
        self.build_visits()
        self.build_cases()
        # last, so that its id does not shift the seeded stream the county is drawn from
        self.user("admin", "", UserRole.ADMIN, None, self.today)
        self.flush()


# tables in foreign-key order
_TABLE_ORDER = ("area", "app_user", "user_area", "person", "person_search_term", "visit", "need",
                "follow_up", "institution", "modification_case", "modification_item", "rehab_referral",
                "case_event", "area_target")


def _record_demo_event(cursor: Any, event: dict[str, Any]) -> None:
    """The demo's one audit event, linked onto the audit chain like any other (see services.audit)."""
    cursor.execute("SELECT last_seq, last_hash, count FROM audit_head WHERE id = ?", (audit.HEAD_ID,))
    last_seq, last_hash, count = cursor.fetchone() or (0, audit.GENESIS_HASH, 0)
    event["seq"] = last_seq + 1
    digest = audit.event_hash(last_hash, event)
    columns = (*audit.HASHED_FIELDS, "prev_hash", "hash")
    values = {**event, "changes": json.dumps(event["changes"], ensure_ascii=False), "prev_hash": last_hash,
              "hash": digest}
    cursor.execute(f"INSERT INTO audit_event ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                   tuple(values[c] for c in columns))
    cursor.execute("INSERT OR REPLACE INTO audit_head (id, last_seq, last_hash, count) VALUES (?, ?, ?, ?)",
                   (audit.HEAD_ID, event["seq"], digest, count + 1))


@cache
def demo_password_hash() -> str:
    """DEMO_PASSWORD hashed once per process (scrypt is slow on purpose; the demo has four
    accounts and tests build many demos)."""
    from liaison.core.services.accounts import hash_password

    return hash_password(DEMO_PASSWORD)


def build_demo(
    engine: Engine,
    rules: RuleConfig,
    device_id: str,
    *,
    persons: int,
    seed: int = 1,
    today: date | None = None,
    progress: Callable[[str], None] | None = None,
) -> DemoSummary:
    """Fill an empty workspace with a synthetic county of `persons` people."""
    if persons < 1 or persons > 2_000_000:
        raise DemoError(_("人数应在 1 到 2,000,000 之间，实际为 {n}").format(n=persons))
    today = today or date.today()
    started = time.perf_counter()
    with engine.connect() as conn:
        if conn.scalar(select(func.count()).select_from(Person)):
            raise DemoError(_("该工作区已有人员档案，演示数据只能生成在空的工作区（请用 --db 指定一个新文件）"))
        if conn.scalar(select(func.count()).select_from(Area)):
            raise DemoError(_("该工作区已经建立（已有地区和账户），演示数据只能生成在空的工作区（请用 --db 指定一个新文件）"))
    report = progress or (lambda _msg: None)
    tables = Base.metadata.tables
    raw = engine.raw_connection()
    dbapi = raw.driver_connection
    try:
        cursor = dbapi.cursor()
        cursor.execute("PRAGMA cache_size = -200000")  # ~200 MB while bulk inserting
        # rows are built consistent; checking each reference would cost a lookup per row
        # (the demo tests run PRAGMA foreign_key_check on the result)
        cursor.execute("PRAGMA foreign_keys = OFF")
        cursor.execute("BEGIN")

        def write(table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
            unknown = set(columns) - set(tables[table].columns.keys())
            assert not unknown, f"demo writes unknown columns {unknown} into {table}"
            placeholders = ",".join("?" * len(columns))
            cursor.executemany(
                f"INSERT INTO {table} ({','.join(columns)}) VALUES ({placeholders})", rows
            )
            if table == "visit":
                report(_("已写入走访记录 {n} 条").format(n=builder.written.get("visit", 0) + len(rows)))

        builder = _Builder(persons, seed, today, rules, device_id, write)
        report(_("正在生成 {n} 人的演示数据……").format(n=persons))
        builder.build()
        counts = {t: builder.written.get(t, 0) for t in _TABLE_ORDER}
        _record_demo_event(cursor, {
            "id": builder.uuid(), "at": builder.stamp(today), "user_id": None, "username": "demo",
            "device_id": device_id, "entity": "workspace", "entity_id": builder.county_id, "action": "demo",
            "changes": {"persons": [None, persons], "seed": [None, seed]}, "reason": "生成演示数据"})
        # synthetic data: its recovery code protects nothing, so the window need not show it
        for key, value in ((settings.WORKSPACE_NAME, f"演示数据（{COUNTY_NAME}）"),
                           (settings.HOME_AREA_ID, builder.county_id),
                           (settings.RECOVERY_CODE_SHOWN, True)):
            cursor.execute("INSERT OR REPLACE INTO setting (key, value) VALUES (?, ?)", (key, json.dumps(value)))
        report(_("正在提交……"))
        cursor.execute("COMMIT")
        cursor.execute("PRAGMA foreign_keys = ON")
        from liaison.core.db import PAGE_CACHE_KIB

        cursor.execute(f"PRAGMA cache_size = -{PAGE_CACHE_KIB}")  # what every workspace connection has
        # planner statistics for the freshly filled tables
        cursor.execute("PRAGMA optimize = 0x10002")
        cursor.close()
    except BaseException:
        dbapi.rollback()
        raise
    finally:
        raw.close()
    seconds = time.perf_counter() - started
    log.info("demo: %s people, %s visits in %.1f s", persons, counts["visit"], seconds)
    return DemoSummary(
        persons=counts["person"], visits=counts["visit"], needs=counts["need"],
        follow_ups=counts["follow_up"], modification_cases=counts["modification_case"],
        referrals=counts["rehab_referral"], areas=counts["area"], users=counts["app_user"],
        seconds=seconds, counts=counts,
    )
