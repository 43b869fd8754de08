"""The sync commands as a county clerk and a village officer type them."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

from liaison.cli.main import run_cli
from tests.sync.conftest import VILLAGE, Site
from tests.sync.test_exchange import add_person, add_visit

TODAY = "2026-11-25"


def cli(site: Site, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = run_cli(["--db", str(site.path), "--today", TODAY, *argv])
    return code, out.getvalue(), err.getvalue()


def test_hub_enrol_export_import_reply_by_command(make_site, tmp_path):
    county, village = make_site("county"), make_site("village")
    setup = tmp_path / "setup.json"
    code, out, _err = cli(county, "hub", "init", "--out", str(setup), "--county", "昌邑区", "--json")
    assert code == 0 and json.loads(out)["fingerprint"]
    code, out, err = cli(village, "enrol", str(setup), "--area", VILLAGE, "--json")
    assert code == 0, err
    device_fp = json.loads(out)["fingerprint"]
    pid = add_person(village, name="王秀兰")
    add_visit(village, pid)
    stick = tmp_path / "stick"
    stick.mkdir()
    code, out, err = cli(village, "sync", "export", "--out", str(stick), "--json")
    assert code == 0, err
    exported = json.loads(out)
    assert exported["seq"] == 1 and exported["counts"]["person"] == 1
    package = exported["path"]
    code, out, err = cli(county, "sync", "import", package)
    assert code == 1 and "未登记的设备" in out and device_fp in out
    report = tmp_path / "导入报告.pdf"
    code, out, err = cli(county, "sync", "import", package, "--accept-device", device_fp, "--json",
                         "--report", str(report))
    assert code == 0, (out, err)
    import subprocess

    text = subprocess.run(["pdftotext", "-layout", str(report), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "数据包导入报告" in text and "已导入" in text and Path(package).name in text
    result = json.loads(out)["packages"][0]
    assert result["status"] == "imported" and result["counts"] == {"created": 3}
    code, out, _err = cli(county, "sync", "import", package)
    assert code == 0 and "已导入过" in out
    code, out, _err = cli(county, "sync", "reply", "--out", str(stick), "--json")
    [reply] = json.loads(out)["replies"]
    assert reply["acknowledged_seq"] == 1
    code, out, _err = cli(village, "sync", "import", reply["path"], "--json")
    assert json.loads(out)["packages"][0]["acknowledged"] == [1]
    code, out, _err = cli(village, "sync", "status", "--json")
    status = json.loads(out)
    assert status["role"] == "device" and status["fingerprint"] == device_fp
    assert {p["status"] for p in status["packages"]} == {"acknowledged", "imported"}
    code, out, _err = cli(county, "sync", "conflicts")
    assert code == 0 and "没有待处理" in out


def test_import_of_a_file_that_is_not_a_package(make_site, tmp_path):
    county = make_site("county")
    cli(county, "hub", "init", "--out", str(tmp_path / "setup.json"))
    junk = tmp_path / "junk.lpkg"
    junk.write_bytes(b"not a zip at all")
    code, out, _err = cli(county, "sync", "import", str(junk), "--json")
    assert code == 1 and json.loads(out)["packages"][0]["status"] == "refused"


def test_export_before_enrolment_says_what_to_do(make_site, tmp_path):
    village = make_site("village")
    code, _out, err = cli(village, "sync", "export", "--out", str(tmp_path))
    assert code == 1 and "liaison enrol" in err


def test_enrol_with_a_file_that_is_not_a_setup(make_site, tmp_path):
    village = make_site("village")
    bad = tmp_path / "setup.json"
    bad.write_text("{}", "utf-8")
    code, _out, err = cli(village, "enrol", str(bad), "--area", VILLAGE)
    assert code == 1 and "不是县级数据中心的配置文件" in err
