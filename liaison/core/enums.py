"""Domain vocabularies. Values are stable English codes (stored in the database and in JSON);
`label()` gives the Chinese text shown to people."""

from __future__ import annotations

from enum import IntEnum, StrEnum

from liaison.core.i18n import _


class AreaLevel(StrEnum):
    COUNTY = "county"
    TOWNSHIP = "township"
    VILLAGE = "village"
    GROUP = "group"


class Sex(StrEnum):
    MALE = "male"
    FEMALE = "female"


class DisabilityCategory(IntEnum):
    """GB/T 26341-2010 categories; the digit is the 19th character of the 残疾人证号."""

    VISION = 1
    HEARING = 2
    SPEECH = 3
    PHYSICAL = 4
    INTELLECTUAL = 5
    MENTAL = 6
    MULTIPLE = 7


class DisabilityGrade(IntEnum):
    """一级 is the most severe; 一级 and 二级 together are 重度."""

    ONE = 1
    TWO = 2
    THREE = 3
    FOUR = 4


class HukouType(StrEnum):
    RURAL = "rural"
    URBAN = "urban"


class PersonStatus(StrEnum):
    ACTIVE = "active"
    MOVED_OUT = "moved_out"
    DECEASED = "deceased"
    CERT_CANCELLED = "cert_cancelled"


class EmploymentStatus(StrEnum):
    EMPLOYED = "employed"
    SEEKING = "seeking"
    UNABLE = "unable"
    NOT_WORKING_AGE = "not_working_age"
    UNKNOWN = "unknown"


class EmploymentForm(StrEnum):
    QUOTA = "quota"  # 按比例就业
    CONCENTRATED = "concentrated"  # 集中就业
    SELF_EMPLOYED = "self_employed"  # 个体就业
    FLEXIBLE = "flexible"  # 灵活就业
    SUPPORTED = "supported"  # 辅助性就业
    PUBLIC_WELFARE = "public_welfare"  # 公益性岗位
    FARMING = "farming"  # 农业种养


class SchoolStatus(StrEnum):
    NOT_APPLICABLE = "not_applicable"
    PRESCHOOL = "preschool"
    REGULAR = "regular"  # 普通学校
    INCLUSIVE = "inclusive"  # 随班就读
    SPECIAL_SCHOOL = "special_school"
    HOME_DELIVERED = "home_delivered"  # 送教上门
    NOT_ENROLLED = "not_enrolled"


class NeedKind(StrEnum):
    REHABILITATION = "rehabilitation"
    ASSISTIVE_DEVICE = "assistive_device"
    HOME_MODIFICATION = "home_modification"
    CARE = "care"  # 托养/照护
    TRAINING = "training"
    EMPLOYMENT = "employment"
    LEGAL_AID = "legal_aid"
    EDUCATION = "education"
    LIVING_ASSISTANCE = "living_assistance"  # 生活救助
    OTHER = "other"


class NeedStatus(StrEnum):
    OPEN = "open"
    REFERRED = "referred"
    IN_SERVICE = "in_service"
    MET = "met"
    DECLINED = "declined"
    UNREACHABLE = "unreachable"


OPEN_NEED_STATUSES = frozenset({NeedStatus.OPEN, NeedStatus.REFERRED, NeedStatus.IN_SERVICE})


class VisitKind(StrEnum):
    ROUTINE = "routine"
    HARDSHIP = "hardship"  # 困难残疾人访视
    ANNUAL_SURVEY = "annual_survey"  # 基本状况调查/需求动态更新
    INCOME_MONITORING = "income_monitoring"
    RETURN_VISIT = "return_visit"  # 回访
    CONDOLENCE = "condolence"  # 慰问
    FIRST_CONTACT = "first_contact"  # 新办证对象快速介入


class ContactMode(StrEnum):
    HOME = "home"  # 入户
    IN_PERSON = "in_person"  # 见面
    PHONE = "phone"  # 电话
    LOST = "lost"  # 失访


class FollowUpStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"


class ModificationStage(StrEnum):
    APPLIED = "applied"  # 申请
    ASSESSED = "assessed"  # 评估
    PLAN_CONFIRMED = "plan_confirmed"  # 方案确认
    CONSTRUCTION = "construction"  # 施工
    ACCEPTED = "accepted"  # 验收
    CLOSED = "closed"  # 结案
    INELIGIBLE = "ineligible"  # 不符合条件
    TERMINATED = "terminated"  # 终止


class ReferralState(StrEnum):
    REFERRED = "referred"  # 转介
    ACCEPTED = "accepted"  # 受理
    IN_SERVICE = "in_service"  # 服务中
    COMPLETED = "completed"  # 结案（完成）
    NOT_COMPLETED = "not_completed"  # 结案（未完成）
    NOT_ACCEPTED = "not_accepted"  # 未受理


class ReferralServiceKind(StrEnum):
    REHAB_TRAINING = "rehab_training"
    SURGERY = "surgery"
    DEVICE_FITTING = "device_fitting"
    HOME_REHAB = "home_rehab"
    PSYCHIATRIC_MEDICATION = "psychiatric_medication"
    COMMUNITY_REHAB = "community_rehab"


class DeviceStep(StrEnum):
    """辅具适配: the steps of an assistive-device referral, on top of its referral state."""

    APPLIED = "applied"  # 申请
    VILLAGE_REVIEWED = "village_reviewed"  # 初审（村）
    TOWNSHIP_REVIEWED = "township_reviewed"  # 复审（乡镇）
    ASSESSED = "assessed"  # 评估
    APPROVED = "approved"  # 审批
    FITTED = "fitted"  # 适配
    REVISITED = "revisited"  # 回访


class CaseType(StrEnum):
    MODIFICATION = "modification"
    REFERRAL = "referral"


class AttachmentRole(StrEnum):
    SURVEY = "survey"  # 勘测照片
    BEFORE = "before"  # 改造前
    AFTER = "after"  # 改造后
    DOCUMENT = "document"  # 其他材料


class UserRole(StrEnum):
    VILLAGE_OFFICER = "village_officer"
    TOWNSHIP_STAFF = "township_staff"
    COUNTY_STAFF = "county_staff"
    ADMIN = "admin"


def N_(message: str) -> str:
    """Mark a string for extraction without translating it yet."""
    return message


# Keyed by enum class first: IntEnum members of different classes compare equal (VISION == ONE).
_LABELS: dict[type, dict[object, str]] = {
    AreaLevel: {
        AreaLevel.COUNTY: N_("县（区）"),
        AreaLevel.TOWNSHIP: N_("乡镇（街道）"),
        AreaLevel.VILLAGE: N_("村（社区）"),
        AreaLevel.GROUP: N_("村民小组"),
    },
    Sex: {
        Sex.MALE: N_("男"),
        Sex.FEMALE: N_("女"),
    },
    DisabilityCategory: {
        DisabilityCategory.VISION: N_("视力残疾"),
        DisabilityCategory.HEARING: N_("听力残疾"),
        DisabilityCategory.SPEECH: N_("言语残疾"),
        DisabilityCategory.PHYSICAL: N_("肢体残疾"),
        DisabilityCategory.INTELLECTUAL: N_("智力残疾"),
        DisabilityCategory.MENTAL: N_("精神残疾"),
        DisabilityCategory.MULTIPLE: N_("多重残疾"),
    },
    DisabilityGrade: {
        DisabilityGrade.ONE: N_("一级"),
        DisabilityGrade.TWO: N_("二级"),
        DisabilityGrade.THREE: N_("三级"),
        DisabilityGrade.FOUR: N_("四级"),
    },
    HukouType: {
        HukouType.RURAL: N_("农业户口"),
        HukouType.URBAN: N_("非农业户口"),
    },
    PersonStatus: {
        PersonStatus.ACTIVE: N_("在册"),
        PersonStatus.MOVED_OUT: N_("迁出"),
        PersonStatus.DECEASED: N_("死亡"),
        PersonStatus.CERT_CANCELLED: N_("注销残疾人证"),
    },
    EmploymentStatus: {
        EmploymentStatus.EMPLOYED: N_("已就业"),
        EmploymentStatus.SEEKING: N_("未就业，有就业意愿"),
        EmploymentStatus.UNABLE: N_("无劳动能力"),
        EmploymentStatus.NOT_WORKING_AGE: N_("非劳动年龄"),
        EmploymentStatus.UNKNOWN: N_("未登记"),
    },
    EmploymentForm: {
        EmploymentForm.QUOTA: N_("按比例就业"),
        EmploymentForm.CONCENTRATED: N_("集中就业"),
        EmploymentForm.SELF_EMPLOYED: N_("个体就业"),
        EmploymentForm.FLEXIBLE: N_("灵活就业"),
        EmploymentForm.SUPPORTED: N_("辅助性就业"),
        EmploymentForm.PUBLIC_WELFARE: N_("公益性岗位"),
        EmploymentForm.FARMING: N_("农业种养"),
    },
    SchoolStatus: {
        SchoolStatus.NOT_APPLICABLE: N_("不适用"),
        SchoolStatus.PRESCHOOL: N_("学前教育"),
        SchoolStatus.REGULAR: N_("普通学校"),
        SchoolStatus.INCLUSIVE: N_("随班就读"),
        SchoolStatus.SPECIAL_SCHOOL: N_("特殊教育学校"),
        SchoolStatus.HOME_DELIVERED: N_("送教上门"),
        SchoolStatus.NOT_ENROLLED: N_("未入学"),
    },
    NeedKind: {
        NeedKind.REHABILITATION: N_("康复"),
        NeedKind.ASSISTIVE_DEVICE: N_("辅助器具"),
        NeedKind.HOME_MODIFICATION: N_("无障碍改造"),
        NeedKind.CARE: N_("托养照护"),
        NeedKind.TRAINING: N_("职业培训"),
        NeedKind.EMPLOYMENT: N_("就业"),
        NeedKind.LEGAL_AID: N_("法律援助"),
        NeedKind.EDUCATION: N_("入学"),
        NeedKind.LIVING_ASSISTANCE: N_("生活救助"),
        NeedKind.OTHER: N_("其他"),
    },
    NeedStatus: {
        NeedStatus.OPEN: N_("待办"),
        NeedStatus.REFERRED: N_("已转介"),
        NeedStatus.IN_SERVICE: N_("服务中"),
        NeedStatus.MET: N_("已解决"),
        NeedStatus.DECLINED: N_("本人不需要"),
        NeedStatus.UNREACHABLE: N_("无法落实"),
    },
    VisitKind: {
        VisitKind.ROUTINE: N_("日常走访"),
        VisitKind.HARDSHIP: N_("困难残疾人访视"),
        VisitKind.ANNUAL_SURVEY: N_("基本状况调查"),
        VisitKind.INCOME_MONITORING: N_("收入状况监测"),
        VisitKind.RETURN_VISIT: N_("回访"),
        VisitKind.CONDOLENCE: N_("慰问"),
        VisitKind.FIRST_CONTACT: N_("新办证首次联系"),
    },
    ContactMode: {
        ContactMode.HOME: N_("入户"),
        ContactMode.IN_PERSON: N_("见面"),
        ContactMode.PHONE: N_("电话"),
        ContactMode.LOST: N_("失访"),
    },
    FollowUpStatus: {
        FollowUpStatus.OPEN: N_("待办"),
        FollowUpStatus.DONE: N_("已完成"),
        FollowUpStatus.CANCELLED: N_("已取消"),
    },
    ModificationStage: {
        ModificationStage.APPLIED: N_("申请"),
        ModificationStage.ASSESSED: N_("评估"),
        ModificationStage.PLAN_CONFIRMED: N_("方案确认"),
        ModificationStage.CONSTRUCTION: N_("施工"),
        ModificationStage.ACCEPTED: N_("验收"),
        ModificationStage.CLOSED: N_("结案"),
        ModificationStage.INELIGIBLE: N_("不符合条件"),
        ModificationStage.TERMINATED: N_("终止"),
    },
    ReferralState: {
        ReferralState.REFERRED: N_("转介"),
        ReferralState.ACCEPTED: N_("受理"),
        ReferralState.IN_SERVICE: N_("服务中"),
        ReferralState.COMPLETED: N_("结案（完成）"),
        ReferralState.NOT_COMPLETED: N_("结案（未完成）"),
        ReferralState.NOT_ACCEPTED: N_("未受理"),
    },
    ReferralServiceKind: {
        ReferralServiceKind.REHAB_TRAINING: N_("康复训练"),
        ReferralServiceKind.SURGERY: N_("手术"),
        ReferralServiceKind.DEVICE_FITTING: N_("辅具适配"),
        ReferralServiceKind.HOME_REHAB: N_("居家康复"),
        ReferralServiceKind.PSYCHIATRIC_MEDICATION: N_("精神病服药补助"),
        ReferralServiceKind.COMMUNITY_REHAB: N_("社区康复"),
    },
    DeviceStep: {
        DeviceStep.APPLIED: N_("申请"),
        DeviceStep.VILLAGE_REVIEWED: N_("初审（村）"),
        DeviceStep.TOWNSHIP_REVIEWED: N_("复审（乡镇）"),
        DeviceStep.ASSESSED: N_("评估"),
        DeviceStep.APPROVED: N_("审批"),
        DeviceStep.FITTED: N_("适配"),
        DeviceStep.REVISITED: N_("回访"),
    },
    CaseType: {
        CaseType.MODIFICATION: N_("无障碍改造"),
        CaseType.REFERRAL: N_("康复转介"),
    },
    AttachmentRole: {
        AttachmentRole.SURVEY: N_("勘测照片"),
        AttachmentRole.BEFORE: N_("改造前照片"),
        AttachmentRole.AFTER: N_("改造后照片"),
        AttachmentRole.DOCUMENT: N_("其他材料"),
    },
    UserRole: {
        UserRole.VILLAGE_OFFICER: N_("村（社区）专职委员"),
        UserRole.TOWNSHIP_STAFF: N_("乡镇（街道）工作人员"),
        UserRole.COUNTY_STAFF: N_("县（区）残联工作人员"),
        UserRole.ADMIN: N_("系统管理员"),
    },
}


def label(value: object) -> str:
    """The Chinese label of an enum member (translated when a catalogue is installed)."""
    return _(_LABELS[type(value)][value])


def choices(enum_cls: type) -> list[tuple[object, str]]:
    """(member, label) pairs in declaration order, for pick lists."""
    return [(member, label(member)) for member in enum_cls]  # type: ignore[attr-defined]
