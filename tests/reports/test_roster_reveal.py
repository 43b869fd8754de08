"""The 花名册 (Excel): numbers masked unless asked for, and asking is one audit event."""

from __future__ import annotations

import openpyxl
from sqlalchemy import select

from liaison.core.models import AuditEvent, Person
from liaison.core.rules.idnumber import mask_cert_number, mask_id_number
from liaison.reports.excel import write_roster_xlsx
from tests.core.services.helpers import TODAY, add_person


def _cells(path) -> list[tuple]:  # type: ignore[no-untyped-def,type-arg]
    sheet = openpyxl.load_workbook(path, read_only=True).active
    return list(sheet.iter_rows(min_row=4, values_only=True))


def _numbers(ws) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    with ws.uow() as uow:
        return [(r.id_number, r.cert_number) for r in uow.session.execute(select(Person.id_number, Person.cert_number))]


def _reveals(ws) -> list[AuditEvent]:  # type: ignore[no-untyped-def]
    with ws.uow() as uow:
        return list(uow.session.scalars(select(AuditEvent).where(AuditEvent.action == "reveal")))


def test_the_roster_masks_both_numbers_by_default_and_records_nothing(workspace, actor, area_tree, tmp_path):
    for _ in range(3):
        add_person(workspace, actor, area_tree.village)
    out = tmp_path / "r.xlsx"
    with workspace.uow() as uow:
        write_roster_xlsx(uow, actor, out, today=TODAY, columns=["name", "id_number", "cert_number"])
        uow.commit()
    rows = _cells(out)
    numbers = _numbers(workspace)
    assert sorted(r[2] for r in rows) == sorted(mask_id_number(n) for n, _c in numbers)
    assert sorted(r[3] for r in rows) == sorted(mask_cert_number(c) for _n, c in numbers)
    flat = " ".join(str(v) for row in rows for v in row)
    assert not any(n in flat or c in flat for n, c in numbers)
    assert _reveals(workspace) == []


def test_a_roster_with_full_numbers_is_one_audit_event(workspace, actor, area_tree, tmp_path):
    for _ in range(3):
        add_person(workspace, actor, area_tree.village)
    out = tmp_path / "full.xlsx"
    with workspace.uow() as uow:
        result = write_roster_xlsx(uow, actor, out, today=TODAY, columns=["name", "id_number"], reveal_id=True,
                                   purpose="核对补贴名单")
        uow.commit()
    assert sorted(r[2] for r in _cells(out)) == sorted(n for n, _c in _numbers(workspace))
    [event] = _reveals(workspace)
    assert (event.entity, event.reason) == ("export", "核对补贴名单")
    assert event.changes == {"export": [None, "花名册（Excel）：full.xlsx"], "people": [None, result.rows]}
    assert result.rows == 3


def test_asking_for_full_numbers_without_a_number_column_is_no_reveal(workspace, actor, area_tree, tmp_path):
    add_person(workspace, actor, area_tree.village)
    with workspace.uow() as uow:
        write_roster_xlsx(uow, actor, tmp_path / "n.xlsx", today=TODAY, columns=["name", "phone"], reveal_id=True)
        uow.commit()
    assert _reveals(workspace) == []
