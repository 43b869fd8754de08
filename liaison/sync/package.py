"""The package that travels on a USB stick: a zip (stored, not compressed) with exactly three
members — header.json, payload.bin, header.sig.

- header.json: format version, kind, sender and recipient, package id, sequence number, the
  recipient's key id, counts, schema version, and the content key wrapped for the recipient
  with HPKE (X25519, HKDF-SHA256, AES-256-GCM), the header without that field as context.
- payload.bin: zlib-compressed JSON lines, encrypted with AES-256-GCM in 1 MiB chunks; each
  chunk's nonce is a random prefix and its counter, its associated data the header's hash,
  the counter and whether it is the last, so cutting or reordering chunks is caught. Since
  format 2 each line is a batch of records of one table, positional:
  `[table, [column, ...], [[value, ...], ...]]` (the values in the forms of
  `core.sync_records`), so that a county-sized package is read a batch at a time without a
  dictionary per record.
- header.sig: Ed25519 over sha256(header.json) ‖ sha256(payload.bin), checked against the
  registered key of the sender BEFORE anything is decrypted.

Written to a hidden temporary name, flushed to disk, renamed, then read back and checked: a
stick pulled out at any moment leaves no file that looks valid. Reading never extracts: only the
three names are read, with size limits; anything else refuses the whole package.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import struct
import uuid
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hpke
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from liaison.core.errors import LiaisonError
from liaison.core.i18n import _
from liaison.sync.keys import Identity, PeerKeys, b64, unb64

FORMAT = 2  # 2: batches of positional records (1: one JSON object per record)
SUFFIX = ".lpkg"
MEMBERS = ("header.json", "payload.bin", "header.sig")
CHUNK = 1 << 20
TAG = 16
MAX_HEADER = 64 * 1024
MAX_PAYLOAD = 4 * 1024**3 - 1  # FAT32 holds no larger file
SUITE = hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)


class PackageRefused(LiaisonError):
    """The file is not an intact package for us from a trusted sender; nothing was read into
    the workspace."""


def canonical(data: dict[str, Any]) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


@dataclass(frozen=True)
class Header:
    raw: bytes  # header.json as stored (what is signed and hashed)
    fields: dict[str, Any]

    def __getitem__(self, key: str) -> Any:
        return self.fields[key]

    @property
    def package_id(self) -> str:
        return str(self.fields["package_id"])

    @property
    def sender(self) -> str:
        return str(self.fields["sender"])

    @property
    def seq(self) -> int:
        return int(self.fields["seq"])

    @property
    def kind(self) -> str:
        return str(self.fields["kind"])

    @property
    def sender_keys(self) -> PeerKeys:
        return PeerKeys(self.sender, unb64(self.fields["sender_sign_public"]), unb64(self.fields["sender_box_public"]))


# --- the container ----------------------------------------------------------------------------


class _Stream:
    """A write-only, unseekable file for zipfile: it then writes a fixed layout (sizes after
    each member), so the same three members always make the same bytes."""

    def __init__(self, write: Callable[[bytes], object]) -> None:
        self._write = write

    def write(self, data: bytes) -> int:
        self._write(data)
        return len(data)

    def flush(self) -> None:
        pass


def _member(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_STORED
    info.create_system = 3
    info.external_attr = 0o644 << 16
    return info


def _write_container(write: Callable[[bytes], object], header_raw: bytes, payload: Iterable[bytes],
                     signature: Callable[[], bytes]) -> None:
    with zipfile.ZipFile(_Stream(write), "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        archive.writestr(_member("header.json"), header_raw)
        with archive.open(_member("payload.bin"), "w", force_zip64=True) as out:
            for block in payload:
                out.write(block)
        archive.writestr(_member("header.sig"), signature())


# --- writing ------------------------------------------------------------------------------


# (table, column names, rows of values in that order): what a payload line holds
Batch = tuple[str, list[str], list[list[Any]]]


def _records_stream(batches: Iterable[Batch]) -> Iterator[bytes]:
    """zlib-compressed JSON lines, one batch each, in pieces."""
    compressor = zlib.compressobj(6)
    buffer = io.BytesIO()
    for table, columns, rows in batches:
        if not rows:
            continue
        buffer.write(json.dumps([table, columns, rows], ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
        buffer.write(b"\n")
        if buffer.tell() >= CHUNK:
            piece = compressor.compress(buffer.getvalue())
            buffer = io.BytesIO()
            if piece:
                yield piece
    piece = compressor.compress(buffer.getvalue()) + compressor.flush()
    if piece:
        yield piece


def _chunks(pieces: Iterator[bytes]) -> Iterator[tuple[bytes, bool]]:
    """Fixed CHUNK-sized plaintext blocks, the last marked (an empty payload is one empty block)."""
    pending = b""
    for piece in pieces:
        pending += piece
        while len(pending) > CHUNK:
            yield pending[:CHUNK], False
            pending = pending[CHUNK:]
    yield pending, True


def _aad(header_hash: bytes, counter: int, last: bool) -> bytes:
    return header_hash + struct.pack(">I?", counter, last)


def write_package(
    out_dir: Path,
    *,
    sender: Identity,
    recipient: PeerKeys,
    kind: str,
    seq: int,
    fields: dict[str, Any],
    records: Iterable[Batch],
    counts: dict[str, int],
    file_stem: str,
    check_space: Callable[[Path], None] | None = None,
    on_renamed: Callable[[Path], object] | None = None,
) -> tuple[Path, Header]:
    """Encrypt, sign and write one package; returns its path once read back and checked.

    `on_renamed` is called the moment the file has its final name: from then on a complete
    package may exist even if this call fails (the read-back, say, on a stick pulled out)."""
    if not out_dir.is_dir():
        raise LiaisonError(_("文件夹不存在：{p}").format(p=out_dir))
    if check_space is not None:
        check_space(out_dir)
    cek = AESGCM.generate_key(bit_length=256)
    prefix = os.urandom(8)
    core = {
        "v": FORMAT,
        "kind": kind,
        "package_id": uuid.uuid4().hex,
        "sender": sender.owner_id,
        "recipient": recipient.owner_id,
        "key_id": recipient.key_id,
        "seq": seq,
        "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "sender_sign_public": b64(sender.sign_public),
        "sender_box_public": b64(sender.box_public),
        "chunk_size": CHUNK,
        "nonce_prefix": b64(prefix),
        "counts": counts,
        **fields,
    }
    wrapped = SUITE.encrypt(cek, recipient.box(), info=canonical(core))
    header_raw = canonical({**core, "wrapped_key": b64(wrapped)})
    header_hash = hashlib.sha256(header_raw).digest()
    final = out_dir / f"{file_stem}{SUFFIX}"
    if final.exists():
        raise LiaisonError(_("{p} 已存在，不会覆盖").format(p=final.name))
    tmp = out_dir / f".{file_stem}.{core['package_id'][:8]}.part"
    aead = AESGCM(cek)
    payload_hash = hashlib.sha256()
    def sealed_chunks() -> Iterator[bytes]:
        for counter, (block, last) in enumerate(_chunks(_records_stream(records))):
            nonce = prefix + struct.pack(">I", counter)
            sealed = aead.encrypt(nonce, block, _aad(header_hash, counter, last))
            payload_hash.update(sealed)
            yield sealed

    try:
        with open(tmp, "xb") as f:
            _write_container(f.write, header_raw, sealed_chunks(),
                             lambda: sender.sign_key.sign(header_hash + payload_hash.digest()))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, final)
        if on_renamed is not None:
            on_renamed(final)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise LiaisonError(_("写入 {p} 失败：{e}（U 盘是否已拔出或已满？）").format(p=final.name, e=exc)) from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    try:
        # read back what the stick now holds: signature and every chunk's tag
        header = verify_signature(final, expected_sender=PeerKeys(sender.owner_id, sender.sign_public,
                                                                 sender.box_public))
    except PackageRefused as exc:
        final.unlink(missing_ok=True)
        raise LiaisonError(_("写入后读回校验失败，文件已删除：{e}").format(e=exc.message)) from exc
    return final, header


def free_space_check(estimate: int) -> Callable[[Path], None]:
    def check(folder: Path) -> None:
        free = shutil.disk_usage(folder).free
        if free < estimate:
            raise LiaisonError(_("{p} 剩余空间不足：需要约 {need} MB，只有 {free} MB").format(
                p=folder, need=estimate // 2**20 + 1, free=free // 2**20))

    return check


# --- reading ------------------------------------------------------------------------------

# what a damaged zip makes zipfile raise, besides BadZipFile
_DAMAGE = (OSError, zipfile.BadZipFile, ValueError, EOFError, struct.error, NotImplementedError, RuntimeError,
           zlib.error, KeyError, UnicodeDecodeError, OverflowError)


@contextmanager
def _reading(path: Path) -> Iterator[None]:
    try:
        yield
    except PackageRefused:
        raise
    except _DAMAGE as exc:
        raise PackageRefused(_("{p} 已损坏（文件可能被截断或改动），已拒绝").format(p=path.name)) from exc


def _open_members(path: Path) -> tuple[zipfile.ZipFile, dict[str, zipfile.ZipInfo]]:
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile, ValueError) as exc:
        raise PackageRefused(_("{p} 不是完整的数据包（文件可能被截断或损坏）").format(p=path.name)) from exc
    infos = archive.infolist()
    names = [i.filename for i in infos]
    if sorted(names) != sorted(MEMBERS) or len(set(names)) != len(names):
        archive.close()
        odd = [n for n in names if n not in MEMBERS]
        raise PackageRefused(_("{p} 的内容不符合数据包格式（多出或缺少文件：{odd}）").format(
            p=path.name, odd="、".join(odd) or _("缺少必需文件")))
    by_name = {i.filename: i for i in infos}
    if (by_name["header.json"].file_size > MAX_HEADER or by_name["header.sig"].file_size != 64
            or by_name["payload.bin"].file_size > MAX_PAYLOAD):
        archive.close()
        raise PackageRefused(_("{p} 的内容大小不符合数据包格式").format(p=path.name))
    return archive, by_name


def _read_header(archive: zipfile.ZipFile, path: Path) -> Header:
    try:
        raw = archive.read("header.json")
        fields = json.loads(raw)
        if not isinstance(fields, dict) or canonical(fields) != raw:
            raise ValueError("not canonical")
        if fields.get("v") != FORMAT:
            raise PackageRefused(_("{p} 是不支持的数据包版本（{v}），请升级程序").format(p=path.name, v=fields.get("v")))
        for key in ("kind", "package_id", "sender", "recipient", "key_id", "seq", "sender_sign_public",
                    "sender_box_public", "nonce_prefix", "wrapped_key", "chunk_size", "counts"):
            if key not in fields:
                raise ValueError(key)
        if fields["chunk_size"] != CHUNK or not isinstance(fields["seq"], int):
            raise ValueError("chunk")
    except PackageRefused:
        raise
    except (ValueError, KeyError, zipfile.BadZipFile, OSError, zlib.error) as exc:
        raise PackageRefused(_("{p} 的文件头已损坏").format(p=path.name)) from exc
    return Header(raw, fields)


def _payload_digest(archive: zipfile.ZipFile) -> bytes:
    digest = hashlib.sha256()
    with archive.open("payload.bin") as payload:
        while block := payload.read(CHUNK):
            digest.update(block)
    return digest.digest()


def peek_header(path: Path) -> Header:
    """The header, unverified: who sent it and to whom (to find the sender's registered key)."""
    with _reading(path):
        archive, _infos = _open_members(path)
        with archive:
            return _read_header(archive, path)


def verify_signature(path: Path, *, expected_sender: PeerKeys) -> Header:
    """Header checked against the sender's registered signing key (nothing decrypted)."""
    with _reading(path):
        return _verify_signature(path, expected_sender)


def _verify_signature(path: Path, expected_sender: PeerKeys) -> Header:
    archive, _infos = _open_members(path)
    with archive:
        header = _read_header(archive, path)
        if header.sender != expected_sender.owner_id or unb64(header["sender_sign_public"]) != \
                expected_sender.sign_public:
            raise PackageRefused(_("{p} 的发送方密钥与登记的不一致，已拒绝").format(p=path.name))
        try:
            signature = archive.read("header.sig")
            payload_hash = _payload_digest(archive)
        except (zipfile.BadZipFile, OSError, zlib.error) as exc:
            raise PackageRefused(_("{p} 已损坏（校验和不符）").format(p=path.name)) from exc
    try:
        expected_sender.verifier().verify(signature, hashlib.sha256(header.raw).digest() + payload_hash)
    except InvalidSignature:
        raise PackageRefused(_("{p} 的签名无效：文件被改动过，已拒绝").format(p=path.name)) from None
    _check_layout(path, header.raw, signature)
    return header


def _check_layout(path: Path, header_raw: bytes, signature: bytes) -> None:
    """The file must be exactly what the writer makes of its three members: a change anywhere
    in the zip structure (dates, flags, comments) is refused too, not just in the content."""
    expected, actual = hashlib.sha256(), hashlib.sha256()
    archive, _infos = _open_members(path)
    with archive, archive.open("payload.bin") as payload:
        _write_container(expected.update, header_raw, iter(lambda: payload.read(CHUNK), b""), lambda: signature)
    with open(path, "rb") as f:
        while block := f.read(CHUNK):
            actual.update(block)
    if expected.digest() != actual.digest():
        raise PackageRefused(_("{p} 的文件结构被改动过，已拒绝").format(p=path.name))


def read_records(path: Path, header: Header, recipient: Identity) -> Iterator[Batch]:
    """Decrypt and yield the record batches of a package whose signature was checked, one
    decrypted chunk at a time (the payload is never whole in memory)."""
    with _reading(path):
        yield from _read_records(path, header, recipient)


def _batch(line: bytes, path: Path) -> Batch:
    batch = json.loads(line)
    if (not isinstance(batch, list) or len(batch) != 3 or not isinstance(batch[0], str)
            or not isinstance(batch[1], list) or not isinstance(batch[2], list)):
        raise PackageRefused(_("{p} 的内容格式不对").format(p=path.name))
    return batch[0], batch[1], batch[2]


def _read_records(path: Path, header: Header, recipient: Identity) -> Iterator[Batch]:
    if header["recipient"] != recipient.owner_id or header["key_id"] != recipient.key_id:
        raise PackageRefused(_("{p} 不是发给本机的（收件方 {r}），无法解密").format(p=path.name, r=header["recipient"]))
    core = {k: v for k, v in header.fields.items() if k != "wrapped_key"}
    try:
        cek = SUITE.decrypt(unb64(header["wrapped_key"]), recipient.box_key, info=canonical(core))
    except (InvalidTag, ValueError) as exc:
        raise PackageRefused(_("{p} 无法解密（密钥不符）").format(p=path.name)) from exc
    aead, prefix = AESGCM(cek), unb64(header["nonce_prefix"])
    header_hash = hashlib.sha256(header.raw).digest()
    archive, infos = _open_members(path)
    size = infos["payload.bin"].file_size
    decompressor = zlib.decompressobj()
    pending = b""
    with archive, archive.open("payload.bin") as payload:
        counter, consumed = 0, 0
        while True:
            sealed = payload.read(CHUNK + TAG)
            consumed += len(sealed)
            last = consumed >= size
            try:
                block = aead.decrypt(prefix + struct.pack(">I", counter), sealed, _aad(header_hash, counter, last))
            except InvalidTag:
                raise PackageRefused(_("{p} 的内容校验失败（被截断或改动），已拒绝").format(p=path.name)) from None
            try:
                pending += decompressor.decompress(block)
            except zlib.error as exc:
                raise PackageRefused(_("{p} 的内容已损坏").format(p=path.name)) from exc
            *lines, pending = pending.split(b"\n")
            for line in lines:
                yield _batch(line, path)
            counter += 1
            if last:
                break
    if pending.strip() or not decompressor.eof:
        raise PackageRefused(_("{p} 的内容不完整").format(p=path.name))
