"""The benchmark runs at a small scale in every test run, so it cannot rot."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench" / "run.py"


@pytest.fixture
def bench(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("bench_run", BENCH)
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "bench_run", module)  # dataclasses look their module up
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "CACHE", tmp_path / "cache")
    monkeypatch.setattr(module, "RESULTS", tmp_path / "results.json")
    monkeypatch.setattr(module, "REPORT", tmp_path / "BENCHMARKS.md")
    return module


def test_bench_runs_at_small_scale_and_reports_every_figure(bench):
    figures = bench.run(persons=300, samples=5, write=True, gui=True)
    values = figures.values
    assert values["demo_visits"] > 300
    assert set(values["search"]) == {"name_hanzi", "name_pinyin", "initials", "id_tail", "id_birth_date"}
    for stats in values["search"].values():
        assert stats["n"] > 0 and 0 < stats["p50_ms"] <= stats["p95_ms"] <= stats["max_ms"]
    assert values["search_p95_ms"] == max(s["p95_ms"] for s in values["search"].values())
    gui = values["gui"]
    assert 0 < gui["window_shown_s"] <= gui["roster_ready_s"] and gui["keystroke_n"] > 0
    assert values["cold_start_s"] == gui["window_shown_s"]
    assert values["person_file"]["people"] > 0 and 0 < values["open_person_ms"] and 0 < values["save_visit_ms"]
    assert values["import"]["rows"] > 0 and values["import_ratio_vs_sqlite"] > 0 and values["import_peak_mb"] > 0
    assert set(values["case_lists"]) == {"modification", "referral"}
    assert all(v["cases"] > 0 for v in values["case_lists"].values())
    for scope in ("township", "county"):
        monthly = values["monthly"][scope]
        assert values[f"{scope}_pdf_s"] >= monthly["query_s"] and monthly["pages"] >= 2
    assert values["monthly"]["county"]["people"] >= values["monthly"]["township"]["people"] > 0
    report = bench.REPORT.read_text()
    assert "monthly summary (月报) PDF, one township" in report and "the whole county" in report
    assert "search keystroke" in report and "demo generation" in report and "cold start" in report
    assert "search_p95_ms" in bench.RESULTS.read_text() and "county_pdf_s" in bench.RESULTS.read_text()
    # a second run reuses the cached county instead of building it again
    again = bench.run(persons=300, samples=5, write=False, gui=False)
    assert "demo_s" not in again.values and again.notes


def test_the_scaling_line_runs_at_small_scale_and_keeps_the_other_figures(bench):
    bench.RESULTS.write_text('{"search_p95_ms": 1.0, "details": {}}\n')
    bench.REPORT.write_text("# Benchmarks\n\nthe main table\n")
    scaling = bench.measure_scaling((100, 300), samples=3)
    bench.write_scaling(scaling)
    small, large = scaling["points"]
    assert (small["persons"], large["persons"]) == (100, 300) and 0 < small["visits"] < large["visits"]
    for point in scaling["points"]:
        assert point["rows"] > point["visits"] and point["import_s"] > 0 and point["import_peak_mb"] > 0
        assert point["raw_sqlite_s"] > 0 and point["export_all_s"] > 0 and point["search_p95_ms"] > 0
        assert point["county_pdf_s"] > 0 and point["county_pdf_s_per_1000_people"] > 0
    assert set(scaling["unit_cost_growth"]) >= {"import_us_per_row", "export_us_per_row", "search_p95_ms"}
    import json

    results = json.loads(bench.RESULTS.read_text())
    assert results["search_p95_ms"] == 1.0 and results["scaling"]["points"][1]["persons"] == 300
    report = bench.REPORT.read_text()
    assert report.startswith("# Benchmarks\n\nthe main table") and report.count(bench.SCALING_MARK) == 1
    assert "µs per row" in report and "100 people" in report and "300 people" in report
    bench.write_scaling(scaling)  # a second run replaces the section instead of adding one
    assert bench.REPORT.read_text().count(bench.SCALING_MARK) == 1
