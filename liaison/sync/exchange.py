"""The sync workflows: setting up the county hub, enrolling a village or township, exporting
its changes, importing packages at the county, and the county's replies back.

A device forgets nothing until the county has acknowledged it: every export carries all
changes since the last *acknowledged* package, so a lost or unread stick costs nothing.
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Boolean, func, select

from liaison.bootstrap import Workspace
from liaison.core import db
from liaison.core.enums import UserRole
from liaison.core.errors import LiaisonError
from liaison.core.i18n import _
from liaison.core.models import Person, SyncDevice, SyncPackage
from liaison.core.models.base import utcnow
from liaison.core.progress import CancelToken
from liaison.core.secrets import SecretStore, open_secret_store
from liaison.core.services import settings
from liaison.core.services.areas import area_directory, get_area_by_code
from liaison.core.services.context import Actor
from liaison.core.services.sync_apply import (
    ApplyReport,
    apply_batches,
    current_values,
    remember_base,
    remember_bases,
)
from liaison.core.sync_records import (
    AREA_TABLES,
    DATETIME_TEXT,
    DEVICE_TABLES,
    decode_row,
    shared_columns,
    table,
    wire_columns,
    wire_encoder,
    wire_rows,
)
from liaison.sync.keys import Identity, PeerKeys, b64, load_identity, read_setup, unb64, write_setup
from liaison.sync.package import (
    PackageRefused,
    free_space_check,
    peek_header,
    read_records,
    verify_signature,
    write_package,
)

log = logging.getLogger(__name__)
EXPORT_BATCH = 1000  # records per payload line
ROLE = "sync.role"
HUB = "sync.hub"
AREA = "sync.area_code"
ACKED = "sync.acked_watermark"
NEXT_SEQ = "sync.next_seq"
REPLY_SEQ = "sync.reply_seq"  # the last reply imported on a device


class SyncError(LiaisonError):
    pass


def secret_store(ws: Workspace, ask_passphrase: Callable[[bool], str] | None = None) -> SecretStore:
    """The store of the device's private keys: the one that holds the database key (already
    unlocked) for an encrypted workspace, else one of its own."""
    if ws.secrets is not None:
        return ws.secrets.scoped(ws.device_id)
    key_file = ws.files.root.with_name(ws.files.root.name.removesuffix("-files") + "-keys.json")
    return open_secret_store(ws.device_id, key_file, ask_passphrase)


# --- setting up -------------------------------------------------------------------------------


def hub_init(ws: Workspace, store: SecretStore, out: Path, *, county_name: str) -> dict[str, object]:
    """Make this workspace the county hub (once) and write the setup file for enrolment."""
    with ws.uow() as uow:
        role = settings.get_setting(uow.session, ROLE)
        if role == "device":
            raise SyncError(_("本工作区已作为村（乡镇）设备加入县级数据中心，不能再作为数据中心"))
        identity = load_identity(store, "hub", ws.device_id, create=True)
        assert identity is not None
        settings.put_setting(uow.session, ROLE, "hub")
        uow.commit()
    return write_setup(identity, out, county_name=county_name)


def enrol(ws: Workspace, store: SecretStore, setup: Path, *, area_code: str | None) -> Identity:
    """Join the county hub described by `setup`; returns this device's identity (fingerprint)."""
    hub, data = read_setup(setup)
    with ws.uow() as uow:
        role = settings.get_setting(uow.session, ROLE)
        if role == "hub":
            raise SyncError(_("本工作区是县级数据中心，不需要加入"))
        known = settings.get_setting(uow.session, HUB)
        if known and known["hub_id"] != hub.owner_id:
            raise SyncError(_("本设备已加入另一个县级数据中心（{c}）").format(c=known.get("county")))
        home = settings.get_setting(uow.session, settings.HOME_AREA_ID)
        if area_code:
            area = get_area_by_code(uow, area_code)
        elif home:
            from liaison.core.models import Area

            area = uow.session.get(Area, uuid.UUID(str(home)))
        else:
            area = None
        if area is None:
            raise SyncError(_("请用 --area 指定本设备负责的村或乡镇（区划代码）"))
        identity = load_identity(store, "device", ws.device_id, create=True)
        assert identity is not None
        settings.put_setting(uow.session, ROLE, "device")
        settings.put_setting(uow.session, HUB, {
            "hub_id": hub.owner_id, "county": data.get("county"), "key_id": hub.key_id,
            "sign_public": b64(hub.sign_public), "box_public": b64(hub.box_public), "fingerprint": hub.fingerprint,
        })
        settings.put_setting(uow.session, AREA, area.code)
        uow.commit()
    return identity


def _hub_keys(ws: Workspace) -> PeerKeys:
    with ws.uow() as uow:
        hub = settings.get_setting(uow.session, HUB)
    if not hub:
        raise SyncError(_("本设备尚未加入县级数据中心：请先运行 liaison enrol SETUP.json"))
    return PeerKeys(hub["hub_id"], unb64(hub["sign_public"]), unb64(hub["box_public"]))


# --- export (device → county) -------------------------------------------------------------------


@dataclass(frozen=True)
class ExportResult:
    path: Path
    seq: int
    counts: dict[str, int]
    package_id: str


def export_changes(
    ws: Workspace, store: SecretStore, out_dir: Path, *, cancel: CancelToken | None = None,
    progress: Callable[[str], None] | None = None,
) -> ExportResult:
    """Everything changed since the county last acknowledged, in one package in `out_dir`."""
    hub = _hub_keys(ws)
    identity = load_identity(store, "device", ws.device_id, create=False)
    if identity is None:
        raise SyncError(_("找不到本设备的密钥（密钥库或密钥文件）；请重新加入县级数据中心"))
    seq = _reserve_seq(ws)
    renamed: list[Path] = []
    with ws.uow() as uow:
        session = uow.session
        acked = settings.get_setting(session, ACKED)
        since = datetime.fromisoformat(acked) if acked else None
        area_code = settings.get_setting(session, AREA)
        reply_seq = int(settings.get_setting(session, REPLY_SEQ) or 0)
        counts: dict[str, int] = {}
        newest: datetime | None = None
        for name in DEVICE_TABLES:
            t = table(name)
            where = [] if since is None else [t.c.updated_at > since]
            n, latest = session.execute(select(func.count(), func.max(t.c.updated_at)).where(*where)).one()
            counts[name] = int(n)
            if latest is not None and (newest is None or latest > newest):
                newest = latest

        codes = {info.id.hex: info.code for info in area_directory(uow).values()}
        sent_people: list[tuple[uuid.UUID, dict[str, Any]]] = []

        def batches() -> Iterator[tuple[str, list[str], list[list[Any]]]]:
            done = 0
            for name in DEVICE_TABLES:
                columns = shared_columns(name)
                # areas are known everywhere by their code, not by a workspace's own ids
                area_at = columns.index("area_id") if name in AREA_TABLES else None
                id_at = columns.index("id")
                sent_columns = wire_columns(name)
                for rows in _changed_rows(session, name, since):
                    for encoded in rows:
                        if area_at is not None:
                            area = encoded[area_at]
                            encoded[area_at] = codes[area] if area else None
                            if name == "person":
                                # what the county will have, in the JSON form of its values
                                # (audit.jsonable): the positional form, but the area
                                state = dict(zip(columns, encoded, strict=True))
                                state["area_id"] = str(uuid.UUID(area))
                                sent_people.append((uuid.UUID(encoded[id_at]), state))
                    done += len(rows)
                    yield name, sent_columns, rows
                    if cancel is not None:
                        cancel.check()
                    if progress is not None:
                        progress(_("已写入 {n} 条记录").format(n=done))

        estimate = sum(counts.values()) * 400 + (1 << 20)
        try:
            path, header = write_package(
                out_dir, sender=identity, recipient=hub, kind="changes", seq=seq,
                fields={"area_code": area_code, "schema": db.HEAD_REVISION, "acked_reply_seq": reply_seq,
                        "watermark": newest.isoformat() if newest else None},
                records=batches(), counts=counts, file_stem=f"liaison-{ws.device_id[:8]}-{seq:05d}",
                check_space=free_space_check(estimate), on_renamed=renamed.append,
            )
        except BaseException:
            if not renamed:  # no file ever carried the number (cancelled, stick full …)
                _release_seq(ws, seq)
            raise
        # what the county now has of each person, to tell its later changes from ours
        remember_bases(session, "person", sent_people)
        session.add(SyncPackage(package_id=header.package_id, direction="out", kind="changes", peer_id=hub.owner_id,
                                seq=seq, file_name=path.name, counts=counts, watermark=newest, status="written"))
        uow.commit()
    return ExportResult(path, seq, counts, header.package_id)


def _reserve_seq(ws: Workspace) -> int:
    """The export's number, spent in a commit of its own before any file carries it.

    Killed after its package got its final name but before the export was recorded, a device
    would otherwise give the same number to the next export, with other content: that export
    then collides with the file left on the stick, and were the left-over file imported, the
    county would refuse the second as a replay while its acknowledgement of the number let the
    device forget changes only the second one carried. A spent number shows at the county as
    a gap, which costs nothing: every package carries all changes not yet acknowledged."""
    with ws.uow() as uow:
        seq = int(settings.get_setting(uow.session, NEXT_SEQ) or 1)
        settings.put_setting(uow.session, NEXT_SEQ, seq + 1)
        uow.commit()
    return seq


def _release_seq(ws: Workspace, seq: int) -> None:
    """Give the number back when no file under it was ever renamed into place (unless another
    export took the next one meanwhile)."""
    with ws.uow() as uow:
        if int(settings.get_setting(uow.session, NEXT_SEQ) or 1) == seq + 1:
            settings.put_setting(uow.session, NEXT_SEQ, seq)
            uow.commit()


def _changed_rows(session: Any, name: str, since: datetime | None) -> Iterator[list[list[Any]]]:
    """The records of `name` changed since `since`, in the positional form, a batch at a time.
    On SQLite the stored text is that form already (only booleans, stored as 0/1, are turned
    back into JSON's); a value stored in another form is put right by the receiver's checks."""
    t = table(name)
    columns = shared_columns(name)
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        stmt = select(*[t.c[c] for c in columns]).order_by(t.c.created_at, t.c.id)
        if since is not None:
            stmt = stmt.where(t.c.updated_at > since)
        encode = wire_encoder(name)
        for part in session.execute(stmt.execution_options(yield_per=EXPORT_BATCH)).partitions():
            yield [encode(row) for row in part]
        return
    flags = [k for k, c in enumerate(columns) if isinstance(t.c[c].type, Boolean)]
    quoted = ", ".join(f'"{c}"' for c in columns)
    sql = f'SELECT {quoted} FROM "{name}"'
    params: tuple[Any, ...] = ()
    if since is not None:
        sql += " WHERE updated_at > ?"
        params = (since.strftime(DATETIME_TEXT),)
    cursor = connection.connection.cursor()
    try:
        cursor.execute(sql + " ORDER BY created_at, id", params)
        while part := cursor.fetchmany(EXPORT_BATCH):
            rows = [list(row) for row in part]
            for row in rows:
                for k in flags:
                    if row[k] is not None:
                        row[k] = bool(row[k])
            yield rows
    finally:
        cursor.close()


# --- import (county ← device, device ← county) ----------------------------------------------------


@dataclass
class ImportResult:
    path: Path
    status: str  # imported / dry-run / already-imported / refused / failed
    message: str = ""
    sender: str = ""
    seq: int | None = None
    gap: list[int] = field(default_factory=list)
    report: ApplyReport | None = None
    acknowledged: list[int] = field(default_factory=list)

    @property
    def counts(self) -> Counter[str]:
        return self.report.counts if self.report else Counter()


def import_package(
    ws: Workspace, store: SecretStore, path: Path, *, dry_run: bool = False, accept_device: str | None = None,
    today: date | None = None,
) -> ImportResult:
    """Verify, decrypt and apply one package; all or nothing. Refusals change nothing."""
    today = today or date.today()
    try:
        header = peek_header(path)
    except PackageRefused as exc:
        return ImportResult(path, "refused", exc.message)
    with ws.uow() as uow:
        role = settings.get_setting(uow.session, ROLE)
    try:
        if header.kind == "changes":
            if role != "hub":
                raise PackageRefused(_("{p} 是发给县级数据中心的数据包，本工作区不是数据中心").format(p=path.name))
            return _import_at_hub(ws, store, path, header, dry_run=dry_run, accept_device=accept_device,
                                  today=today)
        if header.kind == "reply":
            if role != "device":
                raise PackageRefused(_("{p} 是县里发回的数据包，本工作区未加入数据中心").format(p=path.name))
            return _import_reply(ws, store, path, header, dry_run=dry_run, today=today)
        raise PackageRefused(_("{p} 的类型未知").format(p=path.name))
    except PackageRefused as exc:
        return ImportResult(path, "refused", exc.message, header.sender, header.seq)
    except LiaisonError as exc:  # an authentic package with a record that cannot be read
        return ImportResult(path, "failed", exc.message, header.sender, header.seq)


def _device_actor(device: SyncDevice, ws: Workspace, area_id: uuid.UUID) -> Actor:
    return Actor(username=f"device:{device.device_id[:8]}", display_name=_("{n}（同步）").format(n=device.name)[:50],
                 role=UserRole.VILLAGE_OFFICER, device_id=device.device_id, scope_area_ids=frozenset({area_id}))


def _import_at_hub(ws: Workspace, store: SecretStore, path: Path, header: Any, *, dry_run: bool,
                   accept_device: str | None, today: date) -> ImportResult:
    hub = load_identity(store, "hub", ws.device_id, create=False)
    if hub is None:
        raise PackageRefused(_("找不到数据中心的密钥，无法解密"))
    offered = header.sender_keys
    with ws.uow() as uow:
        session = uow.session
        device = session.get(SyncDevice, header.sender)
        if device is None:
            if accept_device is None or accept_device.replace(" ", "").upper() != offered.fingerprint:
                raise PackageRefused(_(
                    "未登记的设备 {d}（地区 {a}）。请与该设备核对指纹 {f}，确认无误后用 --accept-device {f} 导入"
                ).format(d=header.sender[:8], a=header.fields.get("area_code"), f=offered.fingerprint))
            area = get_area_by_code(uow, str(header.fields.get("area_code") or ""))
            device = SyncDevice(device_id=header.sender, name=area.name, area_code=area.code,
                                sign_public=b64(offered.sign_public), box_public=b64(offered.box_public),
                                fingerprint=offered.fingerprint)
            session.add(device)
            session.flush()
        registered = PeerKeys(device.device_id, unb64(device.sign_public), unb64(device.box_public))
        verify_signature(path, expected_sender=registered)
        if session.get(SyncPackage, header.package_id) is not None:
            return ImportResult(path, "already-imported", _("该数据包已导入过，未作任何改动"), header.sender,
                                header.seq)
        if header.seq <= device.last_seq:
            raise PackageRefused(_("{p} 的序号 {s} 不大于已导入的 {last}，疑为重放，已拒绝").format(
                p=path.name, s=header.seq, last=device.last_seq))
        gap = list(range(device.last_seq + 1, header.seq))
        area = get_area_by_code(uow, device.area_code)
        actor = _device_actor(device, ws, area.id)
        batches = incoming_batches(uow, read_records(path, header, hub))
        report = apply_batches(uow, actor, batches, device_id=device.device_id,
                               package_id=header.package_id, today=today)
        if report.errors or dry_run:
            session.rollback()
            status = "failed" if report.errors else "dry-run"
            message = (_("有 {n} 条记录无法导入，整个数据包未导入").format(n=len(report.errors)) if report.errors
                       else _("试导入：未作任何改动"))
            return ImportResult(path, status, message, header.sender, header.seq, gap, report)
        device.last_seq = header.seq
        acked_reply = int(header.fields.get("acked_reply_seq") or 0)
        if acked_reply > device.reply_acked_seq:
            _acknowledge_reply(session, device, acked_reply)
        session.add(SyncPackage(package_id=header.package_id, direction="in", kind="changes", peer_id=device.device_id,
                                seq=header.seq, file_name=path.name, counts=dict(header["counts"]), status="imported",
                                report={"counts": dict(report.counts), "gap": gap}))
        uow.commit()
    return ImportResult(path, "imported", "", header.sender, header.seq, gap, report)


def _acknowledge_reply(session: Any, device: SyncDevice, seq: int) -> None:
    """The device has the replies up to `seq`: what they carried is now the shared state."""
    replies = session.scalars(select(SyncPackage).where(
        SyncPackage.direction == "out", SyncPackage.kind == "reply", SyncPackage.peer_id == device.device_id,
        SyncPackage.seq <= seq, SyncPackage.status == "written"))
    for reply in replies:
        for name, record_id, raw in (reply.report or {}).get("sent", []):
            person = session.get(Person, uuid.UUID(record_id)) if name == "person" else None
            if person is not None:
                values = {**raw, "area_id": str(person.area_id)}
                values.pop("area_code", None)
                remember_base(session, name, person.id, decode_row(name, values))
        reply.status, reply.acknowledged_at = "acknowledged", utcnow()
    device.reply_acked_seq = seq


# --- the county's reply (county → device) ----------------------------------------------------------


@dataclass(frozen=True)
class ReplyResult:
    device_id: str
    device_name: str
    path: Path
    seq: int
    acknowledged_seq: int
    records: int


def write_replies(ws: Workspace, store: SecretStore, out_dir: Path) -> list[ReplyResult]:
    """For each device with something to say: acknowledgements and the county's changes to its
    people (decided conflicts, new certificate holders, status changes), encrypted for it."""
    hub = load_identity(store, "hub", ws.device_id, create=False)
    if hub is None:
        raise SyncError(_("本工作区不是县级数据中心，或找不到数据中心的密钥"))
    results = []
    with ws.uow() as uow:
        session = uow.session
        for device in session.scalars(select(SyncDevice).where(SyncDevice.active.is_(True))):
            sent = _county_changes(uow, device)
            last_reply = session.scalars(select(func.max(SyncPackage.seq)).where(
                SyncPackage.direction == "out", SyncPackage.kind == "reply",
                SyncPackage.peer_id == device.device_id)).first() or 0
            acked_in_last = session.scalars(select(SyncPackage.report).where(
                SyncPackage.direction == "out", SyncPackage.kind == "reply", SyncPackage.peer_id == device.device_id,
                SyncPackage.seq == last_reply)).first()
            already = (acked_in_last or {}).get("ack", 0) if last_reply else 0
            if not sent and device.last_seq <= already:
                continue  # nothing new to say
            seq = device.next_reply_seq
            peer = PeerKeys(device.device_id, unb64(device.sign_public), unb64(device.box_public))
            path, header = write_package(
                out_dir, sender=hub, recipient=peer, kind="reply", seq=seq,
                fields={"ack": device.last_seq, "schema": db.HEAD_REVISION},
                records=iter([("person", wire_columns("person"), [[raw[c] for c in wire_columns("person")]
                                                                  for _name, _id, raw in sent])]),
                counts=dict(Counter(name for name, _i, _r in sent)),
                file_stem=f"liaison-reply-{device.device_id[:8]}-{seq:05d}",
            )
            session.add(SyncPackage(package_id=header.package_id, direction="out", kind="reply",
                                    peer_id=device.device_id, seq=seq, file_name=path.name,
                                    counts=dict(header["counts"]), status="written",
                                    report={"ack": device.last_seq, "sent": [[n, i, r] for n, i, r in sent]}))
            device.next_reply_seq = seq + 1
            results.append(ReplyResult(device.device_id, device.name, path, seq, device.last_seq, len(sent)))
        uow.commit()
    return results


def incoming_batches(uow: Any, batches: Iterator[tuple[str, list[str], list[list[Any]]]]) -> Iterator[
        tuple[str, list[list[Any]]]]:
    """Record batches as `apply_batches` takes them: areas turned from their codes into this
    workspace's area ids, every value checked (`wire_rows`); an unknown code (an area the county
    has not registered) refuses the package."""
    ids = {info.code: info.id.hex for info in area_directory(uow).values()}
    for name, columns, rows in batches:
        if name in AREA_TABLES and "area_code" in columns:
            at = columns.index("area_code")
            columns = [*columns[:at], "area_id", *columns[at + 1 :]]
            for row in rows:
                code = row[at] if isinstance(row, list) and len(row) > at else None
                if code is None and name == "institution":
                    continue
                if code not in ids:
                    raise PackageRefused(
                        _("数据包中的地区代码 {c} 在本工作区未登记，请先在县级数据中心登记该地区").format(c=code))
                row[at] = ids[code]
        yield name, wire_rows(name, columns, rows)


def _county_changes(uow: Any, device: SyncDevice) -> list[tuple[str, str, dict[str, Any]]]:
    """People of the device's area whose county record differs from what was last exchanged."""
    from liaison.core.models import SyncBase
    from liaison.core.services.areas import subtree_ids
    from liaison.core.services.audit import jsonable
    from liaison.core.services.sync_apply import FIXED, LOCAL

    session = uow.session
    area = get_area_by_code(uow, device.area_code)
    areas = subtree_ids(session, [area.id])
    bases = {b.entity_id: b.values for b in session.scalars(select(SyncBase).where(SyncBase.entity == "person"))}
    codes = {info.id: info.code for info in area_directory(uow).values()}
    sent = []
    for person in session.scalars(select(Person).where(Person.area_id.in_(areas))):
        values = current_values(person, "person")
        mine = {k: jsonable(v) for k, v in values.items() if k not in FIXED and k not in LOCAL}
        if bases.get(person.id) != mine:
            row = dict(zip(shared_columns("person"), wire_encoder("person")(
                [getattr(person, c) for c in shared_columns("person")]), strict=True))
            row["area_code"] = codes[person.area_id]
            del row["area_id"]
            sent.append(("person", str(person.id), row))
    return sent


def _import_reply(ws: Workspace, store: SecretStore, path: Path, header: Any, *, dry_run: bool,
                  today: date) -> ImportResult:
    hub = _hub_keys(ws)
    me = load_identity(store, "device", ws.device_id, create=False)
    if me is None:
        raise PackageRefused(_("找不到本设备的密钥，无法解密"))
    verify_signature(path, expected_sender=hub)
    with ws.uow() as uow:
        session = uow.session
        if session.get(SyncPackage, header.package_id) is not None:
            return ImportResult(path, "already-imported", _("该数据包已导入过，未作任何改动"), header.sender,
                                header.seq)
        last = int(settings.get_setting(session, REPLY_SEQ) or 0)
        if header.seq <= last:
            raise PackageRefused(_("{p} 的序号 {s} 不大于已导入的 {last}，疑为重放，已拒绝").format(
                p=path.name, s=header.seq, last=last))
        gap = list(range(last + 1, header.seq))
        actor = Actor(username="county", display_name=_("县残联（同步）"), role=UserRole.COUNTY_STAFF,
                      device_id=header.sender)
        batches = incoming_batches(uow, read_records(path, header, me))
        report = apply_batches(uow, actor, batches, device_id=header.sender, package_id=header.package_id,
                               today=today)
        if report.errors or dry_run:
            session.rollback()
            return ImportResult(path, "failed" if report.errors else "dry-run",
                                _("有记录无法导入，整个数据包未导入") if report.errors else _("试导入：未作任何改动"),
                                header.sender, header.seq, gap, report)
        ack = int(header.fields.get("ack") or 0)
        acknowledged = []
        newest_acked = None
        for package in session.scalars(select(SyncPackage).where(
                SyncPackage.direction == "out", SyncPackage.kind == "changes", SyncPackage.seq <= ack,
                SyncPackage.status == "written")):
            package.status, package.acknowledged_at = "acknowledged", utcnow()
            acknowledged.append(package.seq)
        for package in session.scalars(select(SyncPackage).where(
                SyncPackage.direction == "out", SyncPackage.kind == "changes", SyncPackage.seq <= ack)):
            if package.watermark is not None and (newest_acked is None or package.watermark > newest_acked):
                newest_acked = package.watermark
        if newest_acked is not None:
            # only now may the device forget what the county acknowledged
            settings.put_setting(session, ACKED, newest_acked.isoformat())
        settings.put_setting(session, REPLY_SEQ, header.seq)
        session.add(SyncPackage(package_id=header.package_id, direction="in", kind="reply", peer_id=header.sender,
                                seq=header.seq, file_name=path.name, counts=dict(header["counts"]),
                                status="imported", report={"counts": dict(report.counts), "ack": ack}))
        uow.commit()
    return ImportResult(path, "imported", "", header.sender, header.seq, gap, report, sorted(acknowledged))
