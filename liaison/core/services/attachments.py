"""Photos and documents attached to cases (survey photos, before/after photos, signed plans).

The bytes go to the workspace's FileStore; the database keeps a row naming them. A file that
has gone missing from the store is reported as missing, never a crash, and removing an
attachment only hides it: the row and the file stay.
"""

from __future__ import annotations

import mimetypes
import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import select

from liaison.core.enums import AttachmentRole, CaseType
from liaison.core.errors import LiaisonError, NotFoundError, ValidationError
from liaison.core.files import FileStore, StoredFileAltered
from liaison.core.i18n import _
from liaison.core.models import Attachment, HomeModificationCase, RehabReferral
from liaison.core.services import audit
from liaison.core.services.case_common import check_text
from liaison.core.services.context import Actor
from liaison.core.services.persons import load_person
from liaison.core.uow import UnitOfWork

MAX_BYTES = 20 * 1024 * 1024
# what an officer attaches: photos from a phone or camera, scans, office documents
ALLOWED_SUFFIXES = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".pdf": "application/pdf",
    ".doc": "application/msword",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xls": "application/vnd.ms-excel",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# the first bytes each kind must start with, so a renamed file is caught
_MAGIC = {
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "application/pdf": (b"%PDF-",),
    "application/msword": (b"\xd0\xcf\x11\xe0",),
    "application/vnd.ms-excel": (b"\xd0\xcf\x11\xe0",),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (b"PK\x03\x04",),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": (b"PK\x03\x04",),
}
FILE_LABEL = "附件"


class AttachmentMissing(LiaisonError):
    """The database names a file the store no longer has (or whose content changed)."""


def _file_error(message: str) -> ValidationError:
    return ValidationError.single("file", message, _(FILE_LABEL))


def check_file(source: Path) -> str:
    """The media type of a file that may be attached, or a ValidationError saying why not."""
    if not source.is_file():
        raise _file_error(_("找不到文件 {name}").format(name=source.name))
    media_type = ALLOWED_SUFFIXES.get(source.suffix.lower())
    if media_type is None:
        kinds = "、".join(sorted({s.lstrip(".").upper() for s in ALLOWED_SUFFIXES}))
        raise _file_error(
            _("{name} 的类型不能作为附件（可用：{kinds}）").format(name=source.name, kinds=kinds)
        )
    size = source.stat().st_size
    if size == 0:
        raise _file_error(_("{name} 是空文件").format(name=source.name))
    if size > MAX_BYTES:
        raise _file_error(
            _("{name} 超过 {mb} MB，请压缩后再添加").format(name=source.name, mb=MAX_BYTES >> 20)
        )
    with source.open("rb") as f:
        head = f.read(16)
    if not head.startswith(_MAGIC[media_type]):
        raise _file_error(
            _("{name} 的内容与扩展名不符（文件可能已损坏或被改名）").format(name=source.name)
        )
    return media_type


def _case_person(uow: UnitOfWork, case_type: CaseType, case_id: uuid.UUID) -> uuid.UUID:
    model = HomeModificationCase if case_type is CaseType.MODIFICATION else RehabReferral
    case = uow.session.get(model, case_id)
    if case is None:
        raise NotFoundError(_("找不到该案件"))
    return case.person_id


def attach_file(
    uow: UnitOfWork,
    actor: Actor,
    store: FileStore,
    *,
    case_type: CaseType,
    case_id: uuid.UUID,
    source: Path,
    role: AttachmentRole,
    note: str | None = None,
    today: date | None = None,
) -> Attachment:
    case_type, role = CaseType(case_type), AttachmentRole(role)
    load_person(uow, actor, _case_person(uow, case_type, case_id))
    note = check_text("note", note)
    media_type = check_file(source)
    stored = store.put_file(source)
    attachment = Attachment(
        origin_device=actor.device_id,
        case_type=case_type,
        case_id=case_id,
        role=role,
        file_name=source.name[:200],
        sha256=stored.sha256,
        size=stored.size,
        media_type=media_type,
        added_on=today or date.today(),
        added_by=actor.display_name[:50],
        note=note,
        removed=False,
    )
    uow.session.add(attachment)
    uow.session.flush()
    audit.record_created(
        uow.session, actor, attachment, ("case_type", "case_id", "role", "file_name", "sha256")
    )
    return attachment


@dataclass(frozen=True)
class AttachmentRow:
    id: uuid.UUID
    role: AttachmentRole
    file_name: str
    size: int
    media_type: str
    added_on: date
    added_by: str
    note: str | None
    available: bool  # the file is in the store

    @property
    def is_image(self) -> bool:
        return self.media_type.startswith("image/")


def list_attachments(
    uow: UnitOfWork, actor: Actor, store: FileStore, case_type: CaseType, case_id: uuid.UUID
) -> list[AttachmentRow]:
    case_type = CaseType(case_type)
    load_person(uow, actor, _case_person(uow, case_type, case_id))
    rows = uow.session.scalars(
        select(Attachment)
        .where(
            Attachment.case_type == case_type,
            Attachment.case_id == case_id,
            Attachment.removed.is_(False),
        )
        .order_by(Attachment.added_on, Attachment.created_at)
    )
    return [
        AttachmentRow(
            a.id,
            a.role,
            a.file_name,
            a.size,
            a.media_type,
            a.added_on,
            a.added_by,
            a.note,
            store.exists(a.sha256),
        )
        for a in rows
    ]


def attachment_roles(
    uow: UnitOfWork, case_type: CaseType, case_id: uuid.UUID
) -> set[AttachmentRole]:
    return set(
        uow.session.scalars(
            select(Attachment.role).where(
                Attachment.case_type == CaseType(case_type),
                Attachment.case_id == case_id,
                Attachment.removed.is_(False),
            )
        )
    )


def export_attachment(
    uow: UnitOfWork, actor: Actor, store: FileStore, attachment_id: uuid.UUID, dest: Path
) -> Path:
    """Write the attachment's content, decrypted and checked against its digest, to `dest`
    (for a viewer or a "save as"); AttachmentMissing when the file is gone or was altered."""
    attachment = uow.session.get(Attachment, attachment_id)
    if attachment is None or attachment.removed:
        raise NotFoundError(_("找不到该附件"))
    load_person(uow, actor, _case_person(uow, attachment.case_type, attachment.case_id))
    if not store.exists(attachment.sha256):
        raise AttachmentMissing(
            _("附件“{name}”的文件已不在本机资料夹中（编号 {ref}），请从备份恢复或重新添加").format(
                name=attachment.file_name, ref=attachment.sha256[:12]
            )
        )
    try:
        return store.export(attachment.sha256, dest)
    except StoredFileAltered:
        raise AttachmentMissing(
            _(
                "附件“{name}”的文件内容已被改动（编号 {ref}），为防止误用已拒绝打开，请从备份恢复"
            ).format(name=attachment.file_name, ref=attachment.sha256[:12])
        ) from None


def suggested_suffix(attachment: AttachmentRow) -> str:
    return mimetypes.guess_extension(attachment.media_type) or Path(attachment.file_name).suffix


def remove_attachment(
    uow: UnitOfWork, actor: Actor, attachment_id: uuid.UUID, *, reason: str
) -> None:
    """Hide an attachment added by mistake; the row and the file are kept for the record."""
    attachment = uow.session.get(Attachment, attachment_id)
    if attachment is None or attachment.removed:
        raise NotFoundError(_("找不到该附件"))
    load_person(uow, actor, _case_person(uow, attachment.case_type, attachment.case_id))
    reason_text = check_text("reason", reason, required=True)
    attachment.removed = True
    uow.session.flush()
    audit.record(
        uow.session,
        actor,
        entity="attachment",
        entity_id=attachment.id,
        action="remove",
        changes={"removed": [False, True]},
        reason=reason_text,
    )
