"""Packages that must be refused, with nothing changed: every single-byte flip, a truncated
file, extra or path-traversing member names, a package not for us, a replay."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from liaison.sync import exchange, package
from liaison.sync.keys import load_identity
from tests.dbfiles import connect
from tests.sync.conftest import Site
from tests.sync.test_exchange import TODAY, add_person, counts, export, fingerprint, import_at


@pytest.fixture
def small_package(county: Site, village: Site, tmp_path: Path) -> Path:
    add_person(village, name="李四")
    return export(village, tmp_path / "stick").path


def test_the_package_holds_exactly_three_stored_members(small_package):
    with zipfile.ZipFile(small_package) as archive:
        assert [i.filename for i in archive.infolist()] == ["header.json", "payload.bin", "header.sig"]
        assert all(i.compress_type == zipfile.ZIP_STORED for i in archive.infolist())
    assert b"\xe6\x9d\x8e\xe5\x9b\x9b" not in small_package.read_bytes()  # 李四 is not readable in it


def test_every_single_byte_flip_is_refused_and_changes_nothing(county, village, small_package, tmp_path):
    data = small_package.read_bytes()
    accept = fingerprint(village)
    before = counts(county)
    bad = tmp_path / "flipped.lpkg"
    outcomes = set()
    for position in range(len(data)):
        flipped = bytearray(data)
        flipped[position] ^= 0xFF
        bad.write_bytes(bytes(flipped))
        result = import_at(county, bad, accept_device=accept)
        assert result.status in ("refused", "failed"), (position, result.status, result.message)
        outcomes.add(result.message.split("：")[0][:12])
    assert counts(county) == before
    assert len(data) > 500 and outcomes  # a real package, refused for several reasons
    assert import_at(county, small_package, accept_device=accept).status == "imported"  # the original is fine


@pytest.mark.parametrize("keep", [0.0, 0.3, 0.9, 0.999])
def test_a_truncated_package_is_refused(county, village, small_package, tmp_path, keep):
    data = small_package.read_bytes()
    cut = tmp_path / "cut.lpkg"
    cut.write_bytes(data[: int(len(data) * keep)])
    before = counts(county)
    result = import_at(county, cut, accept_device=fingerprint(village))
    assert result.status == "refused" and result.message
    assert counts(county) == before


def rebuild(source: Path, out: Path, extra: dict[str, bytes] | None = None, rename: dict[str, str] | None = None) -> Path:
    with zipfile.ZipFile(source) as archive, zipfile.ZipFile(out, "w") as target:
        for info in archive.infolist():
            target.writestr((rename or {}).get(info.filename, info.filename), archive.read(info.filename))
        for name, content in (extra or {}).items():
            target.writestr(name, content)
    return out


@pytest.mark.parametrize(("extra", "rename"), [
    ({"../../evil.txt": b"x"}, None),
    ({"/etc/passwd": b"x"}, None),
    ({"notes.txt": b"hello"}, None),
    (None, {"payload.bin": "../payload.bin"}),
    (None, {"header.sig": "header.sig.bak"}),
])
def test_extra_or_path_traversing_members_refuse_the_package(county, village, small_package, tmp_path, extra, rename):
    odd = rebuild(small_package, tmp_path / "odd.lpkg", extra, rename)
    before = counts(county)
    result = import_at(county, odd, accept_device=fingerprint(village))
    assert result.status == "refused" and "不符合数据包格式" in result.message
    assert counts(county) == before
    assert not (tmp_path.parent / "evil.txt").exists()


def test_a_rezipped_package_with_the_same_members_is_still_refused(county, village, small_package, tmp_path):
    """Same bytes inside, different container (dates, flags): refused as altered."""
    odd = rebuild(small_package, tmp_path / "rezipped.lpkg")
    result = import_at(county, odd, accept_device=fingerprint(village))
    assert result.status == "refused" and "文件结构被改动" in result.message


def test_a_signature_from_another_device_is_refused(county, village, make_site, small_package, tmp_path):
    import_at(county, small_package, accept_device=fingerprint(village))
    impostor = make_site("impostor")
    impostor_ws = impostor.ws
    exchange.enrol(impostor_ws, impostor.store, tmp_path / "setup.json", area_code="220202100001")
    # the impostor claims to be the registered village
    conn = connect(impostor.path)
    conn.execute("UPDATE setting SET value = ? WHERE key = 'device_id'", (f'"{village.ws.device_id}"',))
    conn.commit()
    conn.close()
    identity = load_identity(impostor.store, "device", impostor_ws.device_id, create=False)
    hub = exchange._hub_keys(impostor_ws)
    forged_identity = type(identity)(village.ws.device_id, identity.sign_key, identity.box_key)
    forged, _header = package.write_package(
        tmp_path / "stick", sender=forged_identity, recipient=hub, kind="changes", seq=2,
        fields={"area_code": "220202100001", "schema": "0004", "acked_reply_seq": 0, "watermark": None},
        records=iter([]), counts={}, file_stem="forged")
    before = counts(county)
    result = import_at(county, forged)
    assert result.status == "refused" and "密钥与登记的不一致" in result.message
    assert counts(county) == before


def test_a_package_for_a_device_cannot_be_imported_at_the_county(county, village, small_package, tmp_path):
    import_at(county, small_package, accept_device=fingerprint(village))
    [reply] = exchange.write_replies(county.ws, county.store, small_package.parent)
    result = import_at(county, reply.path)
    assert result.status == "refused" and "本工作区未加入数据中心" in result.message


def test_a_replayed_reply_changes_nothing(county, village, small_package):
    import_at(county, small_package, accept_device=fingerprint(village))
    [reply] = exchange.write_replies(county.ws, county.store, small_package.parent)
    assert import_at(village, reply.path).status == "imported"
    before = counts(village)
    assert import_at(village, reply.path).status == "already-imported"
    assert counts(village) == before


def test_an_unknown_format_version_is_refused(county, small_package, tmp_path, monkeypatch):
    monkeypatch.setattr(package, "FORMAT", package.FORMAT + 1)  # a reader of a newer format
    result = exchange.import_package(county.ws, county.store, small_package, today=TODAY)
    assert result.status == "refused" and "不支持的数据包版本" in result.message
