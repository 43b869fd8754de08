"""Helpers for the case tests: a person with a need, a case walked to a stage, small files."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from liaison.bootstrap import Workspace
from liaison.core.enums import ModificationStage, NeedKind, ReferralServiceKind
from liaison.core.services import modifications, referrals, visits
from liaison.core.services.context import Actor
from tests.core.services.helpers import TODAY, add_person, add_visit

_S = ModificationStage
START = TODAY - timedelta(days=200)
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(64))
JPEG = b"\xff\xd8\xff\xe0" + b"photo" * 20


def person_with_need(
    ws: Workspace, actor: Actor, area_id: uuid.UUID, kind: NeedKind = NeedKind.HOME_MODIFICATION,
    *, raised: date = START, **person: Any,
) -> tuple[uuid.UUID, uuid.UUID]:
    """A person and one open need of `kind`, raised in a visit on `raised`."""
    pid = add_person(ws, actor, area_id, **person).person_id
    saved = add_visit(ws, actor, pid, raised, needs=[visits.NeedInput(kind, "入户时提出")])
    return pid, saved.need_ids[0]


def items() -> list[modifications.ItemInput]:
    return [
        modifications.ItemInput("ramp", 3, 40_000),
        modifications.ItemInput("grab_bar", 2, 25_000),
    ]


def step_for(target: ModificationStage, on: date, **extra: Any) -> modifications.ModificationStep:
    """The data each forward stage asks for, so a test can walk a case along."""
    data: dict[str, Any] = {}
    if target is _S.ASSESSED:
        data["items"] = items()
    elif target is _S.CONSTRUCTION:
        data["contractor"] = "吉林市安居建筑工程有限公司"
    elif target is _S.ACCEPTED:
        data.update(actual_cost_fen=165_000, acceptance_result="合格", accepted_by="乡镇残联 张主任")
    data.update(extra)
    return modifications.ModificationStep(target, on, **data)


FORWARD = [_S.ASSESSED, _S.PLAN_CONFIRMED, _S.CONSTRUCTION, _S.ACCEPTED, _S.CLOSED]


def case_at(
    ws: Workspace, actor: Actor, area_id: uuid.UUID, stage: ModificationStage, **person: Any
) -> tuple[uuid.UUID, uuid.UUID]:
    """(case id, need id) of a case walked forward to `stage`, one step every ten days."""
    pid, need_id = person_with_need(ws, actor, area_id, **person)
    on = START
    with ws.uow() as uow:
        case_id = modifications.open_modification(
            uow, actor, modifications.ModificationApplication(pid, on, need_id), today=TODAY).case_id
        for target in FORWARD[: FORWARD.index(stage) + 1] if stage is not _S.APPLIED else []:
            on += timedelta(days=10)
            modifications.move_modification(uow, actor, case_id, step_for(target, on), rules=ws.rules, today=TODAY)
        uow.commit()
    return case_id, need_id


def referral_at(
    ws: Workspace, actor: Actor, area_id: uuid.UUID, path: list[str], *,
    kind: ReferralServiceKind = ReferralServiceKind.REHAB_TRAINING,
    need_kind: NeedKind = NeedKind.REHABILITATION, institution_id: uuid.UUID | None = None,
    cost_fen: int | None = None, **person: Any,
) -> tuple[uuid.UUID, uuid.UUID]:
    """(referral id, need id) of a referral moved along `path` (target values), ten days apart."""
    _pid, need_id = person_with_need(ws, actor, area_id, need_kind, **person)
    on = START
    with ws.uow() as uow:
        rid = referrals.refer(uow, actor, referrals.ReferralInput(
            need_id, kind, on, institution_id=institution_id, cost_fen=cost_fen), rules=ws.rules, today=TODAY).case_id
        for target in path:
            on += timedelta(days=10)
            referrals.move_referral(uow, actor, rid, referrals.ReferralStep(
                target, on, reason="原因" if target in ("not_accepted", "not_completed") else None,
                institution_id=institution_id, outcome="回访：使用良好" if target == "revisited" else None),
                rules=ws.rules, today=TODAY)
        uow.commit()
    return rid, need_id


def write_file(tmp: Path, name: str, content: bytes) -> Path:
    path = tmp / name
    path.write_bytes(content)
    return path
