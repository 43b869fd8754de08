"""The stable JSON shapes the command line prints (documented in README.md).

Dates are ISO strings, money is integer fen (分) in fields ending in `_fen`, enum fields carry
the stable English code with a `_label` sibling in Chinese.
"""

from __future__ import annotations

from typing import Any

from liaison.core.enums import (
    CaseType,
    DisabilityCategory,
    DisabilityGrade,
    label,
)
from liaison.core.models import FollowUp, Need, Visit
from liaison.core.rules.cadence import DueState
from liaison.core.rules.idnumber import mask_cert_number, mask_id_number
from liaison.core.services.case_lists import CaseList, CaseRow, stage_choices
from liaison.core.services.person_file import PersonFile
from liaison.core.services.persons import parse_components
from liaison.core.services.search import PersonRow, SearchPage
from liaison.core.services.tasks import Task, WorkQueue, state_label, task_kind_label

JSON_FORMAT_VERSION = 1
# every state is counted in `tasks --json`, none left out for being zero
TASK_STATES = (DueState.DUE, DueState.OVERDUE, DueState.UPCOMING)


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def category_label(category: int | None) -> str | None:
    return label(DisabilityCategory(category)) if category is not None else None


def grade_label(grade: int | None) -> str | None:
    return label(DisabilityGrade(grade)) if grade is not None else None


def person_row(row: PersonRow) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "name": row.name,
        "sex": row.sex.value,
        "sex_label": label(row.sex),
        "age": row.age,
        "id_number_masked": row.id_number_masked,
        "category": row.category,
        "category_label": category_label(row.category),
        "grade": row.grade,
        "grade_label": grade_label(row.grade),
        "area": row.area_name,
        "status": row.status.value,
        "status_label": label(row.status),
        "phone": row.phone,
        "open_needs": row.open_needs,
    }


def case_row(row: CaseRow) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "kind": row.case_type.value,
        "person_id": str(row.person_id),
        "person_name": row.person_name,
        "area": row.village,
        "need_id": str(row.need_id) if row.need_id else None,
        "stage": row.stage,
        "stage_label": row.stage_label,
        # 辅具适配: the step of the device workflow; otherwise the stage again
        "step_label": row.step_label,
        "stage_on": _iso(row.stage_on),
        "started_on": _iso(row.started_on),
        "days_in_stage": row.days_in_stage,
        "overdue": row.overdue,
        "amount_fen": row.amount_fen,
        "detail": row.detail,
    }


def case_list(case_type: CaseType, result: CaseList) -> dict[str, Any]:
    return {
        "format": JSON_FORMAT_VERSION,
        "kind": case_type.value,
        "total": result.total,
        "overdue": result.overdue,
        # every stage of the workflow, zeros included, in workflow order
        "counts": {code: result.counts.get(code, 0) for code, _name in stage_choices(case_type)},
        "cases": [case_row(r) for r in result.rows],
    }


def search_page(page: SearchPage) -> dict[str, Any]:
    return {
        "format": JSON_FORMAT_VERSION,
        "total": page.total,
        # false when the count stopped at its cap (more people match than "total")
        "total_exact": page.total_exact,
        "offset": page.offset,
        "limit": page.limit,
        "results": [person_row(r) for r in page.rows],
    }


def need(item: Need) -> dict[str, Any]:
    return {
        "id": str(item.id),
        "kind": item.kind.value,
        "kind_label": label(item.kind),
        "detail": item.detail,
        "raised_on": _iso(item.raised_on),
        "status": item.status.value,
        "status_label": label(item.status),
        "status_on": _iso(item.status_on),
        "resolved_on": _iso(item.resolved_on),
        "resolution": item.resolution,
    }


def visit(item: Visit) -> dict[str, Any]:
    return {
        "id": str(item.id),
        "date": _iso(item.visit_date),
        "kind": item.kind.value,
        "kind_label": label(item.kind),
        "contact_mode": item.contact_mode.value,
        "contact_mode_label": label(item.contact_mode),
        "lost_reason": item.lost_reason,
        "visitor": item.visitor_name,
        "findings": item.findings,
        "safety_risks": item.safety_risks,
        "household_income_fen": item.household_income_fen,
        "household_size": item.household_size,
    }


def follow_up(item: FollowUp) -> dict[str, Any]:
    return {
        "id": str(item.id),
        "action": item.action,
        "due_on": _iso(item.due_on),
        "status": item.status.value,
        "status_label": label(item.status),
        "done_on": _iso(item.done_on),
        "need_id": str(item.need_id) if item.need_id else None,
    }


def person_file(pf: PersonFile, *, reveal_id: bool = False) -> dict[str, Any]:
    """The file as JSON; the 身份证号 and 残疾人证号 masked unless `reveal_id` (an audited reveal)."""
    p = pf.person
    components = sorted(parse_components(p.component_categories))
    return {
        "format": JSON_FORMAT_VERSION,
        "id": str(p.id),
        "row_version": p.row_version,
        "name": p.name,
        "id_number": p.id_number if reveal_id else mask_id_number(p.id_number),
        "sex": p.sex.value,
        "sex_label": label(p.sex),
        "birth_date": _iso(p.birth_date),
        "age": pf.age,
        "ethnicity": p.ethnicity,
        "phone": p.phone,
        "area": {"code": pf.area.code, "name": pf.area.name, "full_name": pf.area.full_name},
        "address": p.address,
        "hukou": p.hukou.value,
        "hukou_label": label(p.hukou),
        "lives_alone": p.lives_alone,
        "guardian": (
            {"name": p.guardian_name, "relation": p.guardian_relation, "phone": p.guardian_phone}
            if p.guardian_name
            else None
        ),
        "certificate": (
            {"number": p.cert_number if reveal_id else mask_cert_number(p.cert_number),
             "issued_on": _iso(p.cert_issued_on),
             "valid_until": _iso(p.cert_valid_until)}
            if p.cert_number
            else None
        ),
        "disability": {
            "category": p.category,
            "category_label": category_label(p.category),
            "components": components,
            "components_label": [category_label(c) for c in components],
            "grade": p.grade,
            "grade_label": grade_label(p.grade),
            "diagnosis": p.diagnosis,
            "diagnosed_on": _iso(p.diagnosed_on),
        },
        "economic": {
            "dibao": p.dibao,
            "tekun": p.tekun,
            "fanpin_monitor": p.fanpin_monitor,
            "low_income": p.low_income,
            "chronic_illness_in_household": p.chronic_illness_in_household,
        },
        "subsidies": {
            "living": {
                "eligible": pf.living_subsidy.eligible,
                "reasons": list(pf.living_subsidy.reasons),
                "receiving": p.living_subsidy_receiving,
                "monthly_fen": p.living_subsidy_fen,
            },
            "care": {
                "eligible": pf.care_subsidy.eligible,
                "reasons": list(pf.care_subsidy.reasons),
                "receiving": p.care_subsidy_receiving,
                "monthly_fen": p.care_subsidy_fen,
            },
            "gaps": list(pf.subsidy_gaps),
        },
        "insurance": {
            "pension_insured": p.pension_insured,
            "pension_gov_paid": p.pension_gov_paid,
            "medical_insured": p.medical_insured,
            "medical_gov_paid": p.medical_gov_paid,
        },
        "employment": {
            "status": p.employment_status.value,
            "status_label": label(p.employment_status),
            "form": p.employment_form.value if p.employment_form else None,
            "form_label": label(p.employment_form) if p.employment_form else None,
            "training_wish": p.training_wish,
        },
        "school_status": p.school_status.value,
        "school_status_label": label(p.school_status),
        "status": {
            "code": p.status.value,
            "label": label(p.status),
            "on": _iso(p.status_on),
            "reason": p.status_reason,
        },
        "registered_on": _iso(p.registered_on),
        "visit_cadence": (
            {
                "rule": pf.cadence.reason,
                "next_due_on": _iso(pf.next_visit.due_on) if pf.next_visit else None,
                "state": pf.next_visit.state.value if pf.next_visit else None,
            }
            if pf.cadence
            else None
        ),
        "last_contact_on": _iso(pf.last_contact_on),
        "needs": [need(n) for n in pf.needs],
        "visits": [visit(v) for v in pf.visits],
        "follow_ups": [follow_up(f) for f in pf.follow_ups],
        "notes": p.notes,
    }


def task(item: Task) -> dict[str, Any]:
    return {
        "kind": item.kind.value,
        "kind_label": task_kind_label(item.kind),
        "state": item.state.value,
        "state_label": state_label(item.state),
        "due_on": _iso(item.due_on),
        "days_overdue": item.days_overdue,
        "person_id": str(item.person_id),
        "person_name": item.person_name,
        "area": item.area_name,
        "title": item.title,
        "detail": item.detail,
        "ref_id": str(item.ref_id) if item.ref_id else None,
        "visit_kind": item.visit_kind.value if item.visit_kind else None,
    }


def work_queue(queue: WorkQueue, shown: list[Task]) -> dict[str, Any]:
    counts = queue.counts()
    return {
        "format": JSON_FORMAT_VERSION,
        "today": _iso(queue.today),
        "total": len(queue.tasks),
        "counts": {state.value: counts.get(state, 0) for state in TASK_STATES},
        "tasks": [task(t) for t in shown],
    }
