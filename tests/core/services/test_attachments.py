"""Case attachments: stored by content under the workspace, never overwritten, checked on the
way in, and a missing or altered file reported instead of crashing."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from sqlalchemy import select

from liaison.core.enums import AttachmentRole, CaseType, ModificationStage
from liaison.core.errors import ScopeError, ValidationError
from liaison.core.files import HEADER, FileStore, files_dir_for
from liaison.core.models import Attachment
from liaison.core.services import attachments
from tests.core.services.case_helpers import JPEG, PNG, case_at, write_file
from tests.core.services.helpers import TODAY, count_rows


@pytest.fixture
def case_id(workspace, actor, area_tree):
    return case_at(workspace, actor, area_tree.village, ModificationStage.CONSTRUCTION)[0]


def attach(ws, actor, case_id, source: Path, role=AttachmentRole.BEFORE, **kw):
    with ws.uow() as uow:
        row = attachments.attach_file(uow, actor, ws.files, case_type=CaseType.MODIFICATION, case_id=case_id,
                                      source=source, role=role, today=TODAY, **kw)
        uow.commit()
        return row.id


def test_the_store_lives_next_to_the_workspace_file(workspace, tmp_path):
    db_path = Path(workspace.engine.url.database)
    assert workspace.files.root == db_path.with_name(f"{db_path.stem}-files")
    assert files_dir_for("postgresql+psycopg://hub/liaison", tmp_path) == tmp_path / "files"


def test_a_photo_is_stored_under_its_digest_and_listed(workspace, actor, case_id, tmp_path):
    source = write_file(tmp_path, "门口改造前.png", PNG)
    aid = attach(workspace, actor, case_id, source, note="东门")
    digest = hashlib.sha256(PNG).hexdigest()
    stored = workspace.files.root / digest[:2] / digest
    assert stored.read_bytes().startswith(HEADER) and PNG not in stored.read_bytes()  # encrypted
    with workspace.uow() as uow:
        rows = attachments.list_attachments(uow, actor, workspace.files, CaseType.MODIFICATION, case_id)
        path = attachments.export_attachment(uow, actor, workspace.files, aid, tmp_path / "out" / "门口.png")
    assert [(r.file_name, r.role, r.size, r.media_type, r.note, r.available, r.is_image) for r in rows] == [
        ("门口改造前.png", AttachmentRole.BEFORE, len(PNG), "image/png", "东门", True, True)]
    assert path == tmp_path / "out" / "门口.png" and path.read_bytes() == PNG
    source.unlink()  # the original may go: the store has its own copy
    assert stored.exists()


def test_the_same_content_twice_is_stored_once_and_never_overwritten(workspace, actor, case_id, tmp_path):
    first = attach(workspace, actor, case_id, write_file(tmp_path, "a.jpg", JPEG))
    digest = hashlib.sha256(JPEG).hexdigest()
    stored = workspace.files.root / digest[:2] / digest
    stamp = stored.stat().st_mtime_ns
    os.utime(stored, ns=(stamp - 10**9, stamp - 10**9))
    second = attach(workspace, actor, case_id, write_file(tmp_path, "b.jpg", JPEG), role=AttachmentRole.AFTER)
    assert first != second
    assert stored.stat().st_mtime_ns == stamp - 10**9  # left alone
    assert sorted(p.name for p in workspace.files.root.rglob("*") if p.is_file()) == [digest]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("x.exe", b"MZ....", "的类型不能作为附件"),
        ("empty.jpg", b"", "是空文件"),
        ("fake.jpg", b"GIF89a....", "内容与扩展名不符"),
        ("fake.pdf", PNG, "内容与扩展名不符"),
    ],
)
def test_a_file_that_cannot_be_attached_is_refused_with_nothing_stored(workspace, actor, case_id, tmp_path,
                                                                        name, content, message):
    before = count_rows(workspace, "attachment", "audit_event")
    with pytest.raises(ValidationError) as caught:
        attach(workspace, actor, case_id, write_file(tmp_path, name, content))
    assert message in caught.value.errors["file"] and name in caught.value.errors["file"]
    assert count_rows(workspace, "attachment", "audit_event") == before
    assert not workspace.files.root.exists() or not any(workspace.files.root.rglob("*"))


def test_a_file_that_is_not_there_is_refused(workspace, actor, case_id, tmp_path):
    with pytest.raises(ValidationError, match="找不到文件 gone.jpg"):
        attach(workspace, actor, case_id, tmp_path / "gone.jpg")


def test_a_too_large_file_is_refused(workspace, actor, case_id, tmp_path, monkeypatch):
    monkeypatch.setattr(attachments, "MAX_BYTES", 50)
    with pytest.raises(ValidationError, match="超过 0 MB"):
        attach(workspace, actor, case_id, write_file(tmp_path, "big.png", PNG))


def test_a_missing_file_is_reported_not_a_crash(workspace, actor, case_id, tmp_path):
    aid = attach(workspace, actor, case_id, write_file(tmp_path, "照片.png", PNG))
    digest = hashlib.sha256(PNG).hexdigest()
    (workspace.files.root / digest[:2] / digest).unlink()
    with workspace.uow() as uow:
        rows = attachments.list_attachments(uow, actor, workspace.files, CaseType.MODIFICATION, case_id)
        assert [r.available for r in rows] == [False]
        with pytest.raises(attachments.AttachmentMissing, match="附件“照片.png”的文件已不在本机资料夹中"):
            attachments.export_attachment(uow, actor, workspace.files, aid, tmp_path / "out.png")


def test_an_altered_file_is_not_handed_out(workspace, actor, case_id, tmp_path):
    aid = attach(workspace, actor, case_id, write_file(tmp_path, "照片.png", PNG))
    digest = hashlib.sha256(PNG).hexdigest()
    stored = workspace.files.root / digest[:2] / digest
    stored.write_bytes(stored.read_bytes() + b"changed")
    with workspace.uow() as uow, pytest.raises(attachments.AttachmentMissing, match="内容已被改动"):
        attachments.export_attachment(uow, actor, workspace.files, aid, tmp_path / "out.png")
    assert not (tmp_path / "out.png").exists()


def test_removing_hides_the_attachment_but_keeps_row_and_file(workspace, actor, case_id, tmp_path):
    aid = attach(workspace, actor, case_id, write_file(tmp_path, "错传.png", PNG))
    with workspace.uow() as uow, pytest.raises(ValidationError, match="必须填写"):
        attachments.remove_attachment(uow, actor, aid, reason=" ")
    with workspace.uow() as uow:
        attachments.remove_attachment(uow, actor, aid, reason="传错了照片")
        uow.commit()
    with workspace.uow() as uow:
        assert attachments.list_attachments(uow, actor, workspace.files, CaseType.MODIFICATION, case_id) == []
        assert uow.session.scalars(select(Attachment.removed).where(Attachment.id == aid)).one() is True
    assert workspace.files.exists(hashlib.sha256(PNG).hexdigest())


def test_another_villages_case_cannot_be_touched(workspace, actor, case_id, tmp_path, officer):
    aid = attach(workspace, actor, case_id, write_file(tmp_path, "a.png", PNG))
    with pytest.raises(ScopeError):
        attach(workspace, officer, case_id, write_file(tmp_path, "b.png", PNG))
    with workspace.uow() as uow, pytest.raises(ScopeError):
        attachments.export_attachment(uow, officer, workspace.files, aid, tmp_path / "out.png")


def test_an_interrupted_copy_leaves_nothing_that_looks_stored(tmp_path, monkeypatch):
    store = FileStore(tmp_path / "files")
    source = write_file(tmp_path, "a.png", PNG)

    def fail(*_a, **_k):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        store.put_file(source)
    assert [p for p in store.root.rglob("*") if p.is_file()] == []
