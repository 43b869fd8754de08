"""All mapped classes; importing this package registers every table on `Base.metadata`."""

from liaison.core.models.area import Area
from liaison.core.models.audit import AuditEvent, AuditHead
from liaison.core.models.base import Base, Synced, new_uuid, utcnow
from liaison.core.models.cases import (
    AreaTarget,
    Attachment,
    CaseEvent,
    HomeModificationCase,
    Institution,
    ModificationItem,
    RehabReferral,
)
from liaison.core.models.person import Person, PersonSearchTerm
from liaison.core.models.setting import Setting
from liaison.core.models.sync import SyncBase, SyncConflict, SyncDevice, SyncDuplicate, SyncPackage
from liaison.core.models.user import User, UserArea
from liaison.core.models.visit import FollowUp, Need, Visit

__all__ = [
    "Area",
    "AreaTarget",
    "Attachment",
    "AuditEvent",
    "AuditHead",
    "Base",
    "CaseEvent",
    "FollowUp",
    "HomeModificationCase",
    "Institution",
    "ModificationItem",
    "Need",
    "Person",
    "PersonSearchTerm",
    "RehabReferral",
    "Setting",
    "SyncBase",
    "SyncConflict",
    "SyncDevice",
    "SyncDuplicate",
    "SyncPackage",
    "Synced",
    "User",
    "UserArea",
    "Visit",
    "new_uuid",
    "utcnow",
]
