"""The case state machines, checked pair by pair: every (from, to) of every workflow is either in
the table below (allowed, with its kind) or refused with a message.

The tables are written out by hand from DOMAIN.md and the issue, not derived from the code,
so a transition added or lost by mistake fails here.
"""

from __future__ import annotations

from itertools import product

import pytest

from liaison.core.enums import UserRole
from liaison.core.rules.workflows import (
    DEVICE_FITTING,
    DEVICE_STATE,
    MODIFICATION,
    REFERRAL,
    Move,
    TransitionRefused,
    Workflow,
)

F, B, E = Move.FORWARD, Move.BACK, Move.END

MODIFICATION_ALLOWED = {
    ("applied", "assessed"): F,
    ("assessed", "plan_confirmed"): F,
    ("plan_confirmed", "construction"): F,
    ("construction", "accepted"): F,
    ("accepted", "closed"): F,
    ("assessed", "applied"): B,
    ("plan_confirmed", "assessed"): B,
    ("construction", "plan_confirmed"): B,
    ("accepted", "construction"): B,
    ("applied", "ineligible"): E,
    ("assessed", "ineligible"): E,
    ("applied", "terminated"): E,
    ("assessed", "terminated"): E,
    ("plan_confirmed", "terminated"): E,
    ("construction", "terminated"): E,
}
MODIFICATION_STATES = ["applied", "assessed", "plan_confirmed", "construction", "accepted", "closed",
                       "ineligible", "terminated"]

REFERRAL_ALLOWED = {
    ("referred", "accepted"): F,
    ("accepted", "in_service"): F,
    ("in_service", "completed"): F,
    ("accepted", "referred"): B,
    ("in_service", "accepted"): B,
    ("referred", "not_accepted"): E,
    ("accepted", "not_completed"): E,
    ("in_service", "not_completed"): E,
}
REFERRAL_STATES = ["referred", "accepted", "in_service", "completed", "not_completed", "not_accepted"]

DEVICE_ALLOWED = {
    ("applied", "village_reviewed"): F,
    ("village_reviewed", "township_reviewed"): F,
    ("township_reviewed", "assessed"): F,
    ("assessed", "approved"): F,
    ("approved", "fitted"): F,
    ("fitted", "revisited"): F,
    ("village_reviewed", "applied"): B,
    ("township_reviewed", "village_reviewed"): B,
    ("assessed", "township_reviewed"): B,
    ("approved", "assessed"): B,
    ("applied", "not_accepted"): E,
    ("village_reviewed", "not_accepted"): E,
    ("township_reviewed", "not_accepted"): E,
    ("assessed", "not_accepted"): E,
    ("approved", "not_completed"): E,
}
DEVICE_STATES = ["applied", "village_reviewed", "township_reviewed", "assessed", "approved", "fitted",
                 "revisited", "not_accepted", "not_completed"]

CASES = [
    (MODIFICATION, MODIFICATION_STATES, MODIFICATION_ALLOWED),
    (REFERRAL, REFERRAL_STATES, REFERRAL_ALLOWED),
    (DEVICE_FITTING, DEVICE_STATES, DEVICE_ALLOWED),
]
ALL_PAIRS = [
    pytest.param(flow, source, target, allowed.get((source, target)), id=f"{flow.name}:{source}->{target}")
    for flow, states, allowed in CASES
    for source, target in product(states, states)
]


@pytest.mark.parametrize(("flow", "source", "target", "expected"), ALL_PAIRS)
def test_every_pair_is_allowed_exactly_when_the_table_says(flow: Workflow, source, target, expected):
    reason = "原因说明"
    if expected is None:
        with pytest.raises(TransitionRefused) as caught:
            flow.check(source, target, role=UserRole.ADMIN, reason=reason)
        assert caught.value.message  # a sentence for a person, in Chinese
        assert any("\u4e00" <= ch <= "\u9fff" for ch in caught.value.message)
    else:
        transition = flow.check(source, target, role=UserRole.ADMIN, reason=reason)
        assert (transition.source, transition.target, transition.move) == (source, target, expected)


@pytest.mark.parametrize(
    ("flow", "source", "target"),
    [(flow, s, t) for flow, _states, allowed in CASES for (s, t), move in allowed.items() if move is not F],
)
def test_sending_back_and_ending_need_a_reason(flow: Workflow, source, target):
    for blank in (None, "", "   "):
        with pytest.raises(TransitionRefused, match="必须写明原因"):
            flow.check(source, target, role=UserRole.ADMIN, reason=blank)


@pytest.mark.parametrize(
    ("flow", "source", "target"),
    [(flow, s, t) for flow, _states, allowed in CASES for (s, t), move in allowed.items() if move is F],
)
def test_moving_forward_needs_no_reason(flow: Workflow, source, target):
    assert flow.check(source, target, role=UserRole.ADMIN, reason=None).move is F


def test_a_skipped_stage_names_the_next_one():
    with pytest.raises(TransitionRefused) as caught:
        MODIFICATION.check("applied", "construction", role=UserRole.ADMIN, reason=None)
    assert caught.value.message == "不能从“申请”直接到“施工”，下一步应为“评估”"


def test_a_final_stage_says_it_is_final():
    with pytest.raises(TransitionRefused) as caught:
        MODIFICATION.check("closed", "accepted", role=UserRole.ADMIN, reason="重开")
    assert caught.value.message == "已到“结案”，不能再改为“验收”"


def test_the_same_stage_again_is_refused():
    with pytest.raises(TransitionRefused, match="已处于“受理”阶段"):
        REFERRAL.check("accepted", "accepted", role=UserRole.ADMIN, reason=None)


# who may take a step: 初审 in the village, 复审 at the township, 审批 at the county
ROLE_TABLE = {
    ("applied", "village_reviewed"): set(UserRole),
    ("village_reviewed", "township_reviewed"): {UserRole.TOWNSHIP_STAFF, UserRole.COUNTY_STAFF, UserRole.ADMIN},
    ("township_reviewed", "assessed"): set(UserRole),
    ("assessed", "approved"): {UserRole.COUNTY_STAFF, UserRole.ADMIN},
    ("approved", "fitted"): set(UserRole),
    ("fitted", "revisited"): set(UserRole),
    # refusing is the decision of the level that reviews
    ("applied", "not_accepted"): set(UserRole),
    ("village_reviewed", "not_accepted"): {UserRole.TOWNSHIP_STAFF, UserRole.COUNTY_STAFF, UserRole.ADMIN},
    ("township_reviewed", "not_accepted"): set(UserRole),
    ("assessed", "not_accepted"): {UserRole.COUNTY_STAFF, UserRole.ADMIN},
    ("approved", "not_completed"): set(UserRole),
}


@pytest.mark.parametrize(("pair", "role"), [(pair, role) for pair in ROLE_TABLE for role in UserRole])
def test_device_steps_are_taken_by_the_right_level(pair, role):
    source, target = pair
    reason = "原因" if target.startswith("not_") else None
    if role in ROLE_TABLE[pair]:
        assert DEVICE_FITTING.check(source, target, role=role, reason=reason).target == target
        assert target in [t.target for t in DEVICE_FITTING.allowed(source, role)]
    else:
        with pytest.raises(TransitionRefused, match="须由"):
            DEVICE_FITTING.check(source, target, role=role, reason=reason)
        assert target not in [t.target for t in DEVICE_FITTING.allowed(source, role)]


def test_the_offered_actions_are_exactly_the_allowed_transitions():
    for flow, states, allowed in CASES:
        for state in states:
            offered = {(t.source, t.target) for t in flow.allowed(state, UserRole.ADMIN)}
            assert offered == {pair for pair in allowed if pair[0] == state}, (flow.name, state)


def test_final_states_offer_nothing():
    assert MODIFICATION.final_states == {"closed", "ineligible", "terminated"}
    assert REFERRAL.final_states == {"completed", "not_completed", "not_accepted"}
    assert DEVICE_FITTING.final_states == {"revisited", "not_accepted", "not_completed"}
    for flow, _states, _allowed in CASES:
        for state in flow.final_states:
            assert flow.allowed(state, UserRole.ADMIN) == []


def test_every_device_step_stands_for_a_referral_state():
    assert {k: v.value for k, v in DEVICE_STATE.items()} == {
        "applied": "referred", "village_reviewed": "referred", "township_reviewed": "referred",
        "assessed": "accepted", "approved": "in_service", "fitted": "completed", "revisited": "completed",
        "not_accepted": "not_accepted", "not_completed": "not_completed",
    }
