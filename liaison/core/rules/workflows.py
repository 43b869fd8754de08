"""The case state machines: which step may follow which, who may take it, and what it needs.

Three workflows share one shape. A case moves forward one stage at a time, may be sent back
one stage with a reason, and may end early (不符合条件, 终止, 未受理, 未完成) with a reason.
Anything else is refused with a message that names the step that would be allowed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from itertools import pairwise

from liaison.core.enums import (
    N_,
    DeviceStep,
    ModificationStage,
    ReferralState,
    UserRole,
    label,
)
from liaison.core.errors import LiaisonError
from liaison.core.i18n import _


class Move(StrEnum):
    FORWARD = "forward"
    BACK = "back"  # 退回: to the stage before, with a reason
    END = "end"  # ends the case early, with a reason


class TransitionRefused(LiaisonError):
    """A step that the workflow does not allow from the case's current stage."""


TOWNSHIP_OR_ABOVE = frozenset({UserRole.TOWNSHIP_STAFF, UserRole.COUNTY_STAFF, UserRole.ADMIN})
COUNTY_OR_ABOVE = frozenset({UserRole.COUNTY_STAFF, UserRole.ADMIN})


@dataclass(frozen=True)
class Transition:
    source: str
    target: str
    move: Move
    action: str  # the button's text, untranslated (N_)
    roles: frozenset[UserRole] | None = None  # None: anyone with the case in scope

    @property
    def needs_reason(self) -> bool:
        return self.move is not Move.FORWARD

    def action_label(self) -> str:
        return _(self.action)

    def allows(self, role: UserRole) -> bool:
        return self.roles is None or role in self.roles


@dataclass(frozen=True)
class Workflow:
    name: str
    order: tuple[str, ...]  # the forward path
    ends: tuple[str, ...]  # early endings
    transitions: tuple[Transition, ...]
    state_label: Callable[[str], str]

    @property
    def final_states(self) -> frozenset[str]:
        return frozenset({self.order[-1], *self.ends})

    def is_final(self, state: str) -> bool:
        return state in self.final_states

    def from_state(self, state: str) -> list[Transition]:
        return [t for t in self.transitions if t.source == state]

    def allowed(self, state: str, role: UserRole) -> list[Transition]:
        """The steps this role may take now, forward first."""
        return [t for t in self.from_state(state) if t.allows(role)]

    def find(self, source: str, target: str) -> Transition | None:
        return next(
            (t for t in self.transitions if t.source == source and t.target == target), None
        )

    def check(self, source: str, target: str, *, role: UserRole, reason: str | None) -> Transition:
        """The transition from `source` to `target`, or TransitionRefused saying why not."""
        names = {"from": self.state_label(source), "to": self.state_label(target)}
        if source == target:
            raise TransitionRefused(_("已处于“{from}”阶段").format(**names))
        transition = self.find(source, target)
        if transition is None:
            if self.is_final(source):
                raise TransitionRefused(_("已到“{from}”，不能再改为“{to}”").format(**names))
            forward = [t for t in self.from_state(source) if t.move is Move.FORWARD]
            hint = "、".join(f"“{self.state_label(t.target)}”" for t in forward)
            raise TransitionRefused(
                _("不能从“{from}”直接到“{to}”，下一步应为{next}").format(next=hint, **names)
            )
        if not transition.allows(role):
            who = "、".join(label(r) for r in UserRole if r in (transition.roles or ()))
            raise TransitionRefused(
                _("“{action}”须由{who}办理").format(action=transition.action_label(), who=who)
            )
        if transition.needs_reason and not (reason or "").strip():
            raise TransitionRefused(
                _("“{action}”必须写明原因").format(action=transition.action_label())
            )
        return transition


def _chain(
    order: tuple[str, ...],
    forward_actions: dict[str, str],
    *,
    back_from: tuple[str, ...],
    ends: dict[str, tuple[tuple[str, str], ...]],
    roles: dict[str, frozenset[UserRole]] | None = None,
    end_roles: dict[str, frozenset[UserRole]] | None = None,
) -> tuple[Transition, ...]:
    """Forward steps along `order`, back steps from `back_from`, and the early endings.

    `roles` limit who may move a case into a stage; `end_roles` who may end it from a stage
    (refusing at a review is that reviewer's decision)."""
    roles = roles or {}
    steps: list[Transition] = []
    for source, target in pairwise(order):
        steps.append(
            Transition(source, target, Move.FORWARD, forward_actions[target], roles.get(target))
        )
    for source in back_from:
        previous = order[order.index(source) - 1]
        steps.append(Transition(source, previous, Move.BACK, N_("退回上一步")))
    for source, endings in ends.items():
        for target, action in endings:
            steps.append(Transition(source, target, Move.END, action, (end_roles or {}).get(source)))
    return tuple(steps)


_M = ModificationStage
_INELIGIBLE = (_M.INELIGIBLE.value, N_("不符合条件"))
_TERMINATE = (_M.TERMINATED.value, N_("终止"))
MODIFICATION_ORDER = tuple(s.value for s in (_M.APPLIED, _M.ASSESSED, _M.PLAN_CONFIRMED, _M.CONSTRUCTION,
                                              _M.ACCEPTED, _M.CLOSED))

MODIFICATION = Workflow(
    name="modification",
    order=MODIFICATION_ORDER,
    ends=(_M.INELIGIBLE.value, _M.TERMINATED.value),
    transitions=_chain(
        MODIFICATION_ORDER,
        {
            _M.ASSESSED.value: N_("入户评估"),
            _M.PLAN_CONFIRMED.value: N_("方案确认"),
            _M.CONSTRUCTION.value: N_("开始施工"),
            _M.ACCEPTED.value: N_("竣工验收"),
            _M.CLOSED.value: N_("结案"),
        },
        back_from=(
            _M.ASSESSED.value,
            _M.PLAN_CONFIRMED.value,
            _M.CONSTRUCTION.value,
            _M.ACCEPTED.value,
        ),
        ends={
            _M.APPLIED.value: (_INELIGIBLE, _TERMINATE),
            _M.ASSESSED.value: (_INELIGIBLE, _TERMINATE),
            _M.PLAN_CONFIRMED.value: (_TERMINATE,),
            _M.CONSTRUCTION.value: (_TERMINATE,),
        },
    ),
    state_label=lambda s: label(ModificationStage(s)),
)

_R = ReferralState
REFERRAL_ORDER = (_R.REFERRED.value, _R.ACCEPTED.value, _R.IN_SERVICE.value, _R.COMPLETED.value)
REFERRAL = Workflow(
    name="referral",
    order=REFERRAL_ORDER,
    ends=(_R.NOT_ACCEPTED.value, _R.NOT_COMPLETED.value),
    transitions=_chain(
        REFERRAL_ORDER,
        {
            _R.ACCEPTED.value: N_("机构受理"),
            _R.IN_SERVICE.value: N_("开始服务"),
            _R.COMPLETED.value: N_("结案（完成）"),
        },
        back_from=(_R.ACCEPTED.value, _R.IN_SERVICE.value),
        ends={
            _R.REFERRED.value: ((_R.NOT_ACCEPTED.value, N_("未受理")),),
            _R.ACCEPTED.value: ((_R.NOT_COMPLETED.value, N_("结案（未完成）")),),
            _R.IN_SERVICE.value: ((_R.NOT_COMPLETED.value, N_("结案（未完成）")),),
        },
    ),
    state_label=lambda s: label(ReferralState(s)),
)

# 辅具适配: 申请 → 初审（村）→ 复审（乡镇）→ 评估 → 审批 → 适配 → 回访. The referral's state
# follows the step (DEVICE_STATE); 未受理 and 未完成 end it like any referral.
_D = DeviceStep
DEVICE_ORDER = tuple(s.value for s in _D)
DEVICE_NOT_ACCEPTED = "not_accepted"
DEVICE_NOT_COMPLETED = "not_completed"
DEVICE_FITTING = Workflow(
    name="device",
    order=DEVICE_ORDER,
    ends=(DEVICE_NOT_ACCEPTED, DEVICE_NOT_COMPLETED),
    transitions=_chain(
        DEVICE_ORDER,
        {
            _D.VILLAGE_REVIEWED.value: N_("村初审通过"),
            _D.TOWNSHIP_REVIEWED.value: N_("乡镇复审通过"),
            _D.ASSESSED.value: N_("适配评估"),
            _D.APPROVED.value: N_("审批通过"),
            _D.FITTED.value: N_("完成适配"),
            _D.REVISITED.value: N_("回访"),
        },
        back_from=(
            _D.VILLAGE_REVIEWED.value,
            _D.TOWNSHIP_REVIEWED.value,
            _D.ASSESSED.value,
            _D.APPROVED.value,
        ),
        ends={
            _D.APPLIED.value: ((DEVICE_NOT_ACCEPTED, N_("初审不通过")),),
            _D.VILLAGE_REVIEWED.value: ((DEVICE_NOT_ACCEPTED, N_("复审不通过")),),
            _D.TOWNSHIP_REVIEWED.value: ((DEVICE_NOT_ACCEPTED, N_("评估不适配")),),
            _D.ASSESSED.value: ((DEVICE_NOT_ACCEPTED, N_("审批不通过")),),
            _D.APPROVED.value: ((DEVICE_NOT_COMPLETED, N_("结案（未完成）")),),
        },
        roles={
            _D.TOWNSHIP_REVIEWED.value: TOWNSHIP_OR_ABOVE,
            _D.APPROVED.value: COUNTY_OR_ABOVE,
        },
        end_roles={
            _D.VILLAGE_REVIEWED.value: TOWNSHIP_OR_ABOVE,  # 复审不通过
            _D.ASSESSED.value: COUNTY_OR_ABOVE,  # 审批不通过
        },
    ),
    state_label=lambda s: device_state_label(s),
)

# the referral state each device step (or ending) stands for
DEVICE_STATE: dict[str, ReferralState] = {
    _D.APPLIED.value: _R.REFERRED,
    _D.VILLAGE_REVIEWED.value: _R.REFERRED,
    _D.TOWNSHIP_REVIEWED.value: _R.REFERRED,
    _D.ASSESSED.value: _R.ACCEPTED,
    _D.APPROVED.value: _R.IN_SERVICE,
    _D.FITTED.value: _R.COMPLETED,
    _D.REVISITED.value: _R.COMPLETED,
    DEVICE_NOT_ACCEPTED: _R.NOT_ACCEPTED,
    DEVICE_NOT_COMPLETED: _R.NOT_COMPLETED,
}


def device_state_label(state: str) -> str:
    if state in (DEVICE_NOT_ACCEPTED, DEVICE_NOT_COMPLETED):
        return label(ReferralState(state))
    return label(DeviceStep(state))


def device_position(step: DeviceStep | None, state: ReferralState) -> str:
    """Where a device-fitting referral stands in DEVICE_FITTING (its step, or its ending)."""
    if state in (_R.NOT_ACCEPTED, _R.NOT_COMPLETED):
        return state.value
    return (step or _D.APPLIED).value
