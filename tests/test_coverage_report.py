"""Coverage probe, HTML reports and eval-diff on the real engine and the shipped article."""
from __future__ import annotations

import json
import re
from dataclasses import replace
from html import escape
from pathlib import Path

import pytest

from bot.cli import main
from bot.coverage import STATUSES, entry_name, entry_probes, list_probes, run_coverage
from bot.engine import Engine
from bot.evaluate import load_golden, run_golden
from bot.report import coverage_html, diff_runs, eval_report, load_run

GOLDEN = Path(__file__).parent / "golden" / "golden.jsonl"
DOSED = {"Pharmacological Treatments", "Dietary Molecular Supplements", "Advanced Pharmacological Interventions"}


@pytest.fixture(scope="module")
def engine() -> Engine:
    eng = Engine(progress=lambda _msg: None)
    eng.ensure_index()
    return eng


@pytest.fixture(scope="module")
def entries(engine):
    return [c for c in engine.ensure_index().chunks if c.kind == "entry"]


@pytest.fixture(scope="module")
def coverage(engine):
    return run_coverage(engine, load_golden(GOLDEN))


@pytest.fixture(scope="module")
def small_run(engine):
    """The first 15 golden items, plus one that cannot pass and carries markup that must be escaped."""
    items = load_golden(GOLDEN)[:15]
    bad = replace(items[0], id="g-broken", kind="fact",
                  expect={**items[0].expect, "contains_all": ["<script>alert(1)</script>"]})
    return run_golden(engine, [*items, bad])


def _write_jsonl(path: Path, n: int) -> Path:
    path.write_text("".join(GOLDEN.read_text(encoding="utf-8").splitlines(keepends=True)[:n]), encoding="utf-8")
    return path


@pytest.mark.parametrize(("title", "name"), [
    ("Ibuprofen (NSAID)", "Ibuprofen"),
    ("Joint Mobilization (Maitland Grades I–IV)", "Joint Mobilization"),
    ("Obesity", "Obesity"),
    ("Paget’s Disease of Bone", "Paget’s Disease of Bone"),
])
def test_entry_name_drops_a_trailing_parenthetical(title, name):
    assert entry_name(title) == name


def test_probes_follow_the_article_structure(entries):
    by_title = {c.title: c for c in entries}
    assert [p.question for p in entry_probes(by_title["Ibuprofen (NSAID)"])] == [
        "What is Ibuprofen?", "What is Ibuprofen used for?", "What is the dose of Ibuprofen?"]
    assert [p.question for p in entry_probes(by_title["Obesity"])] == ["What is Obesity?", "What is Obesity used for?"]
    faq = next(c for c in entries if c.title.endswith("?"))
    assert [p.question for p in entry_probes(faq)] == [faq.title]
    advice = next(c for c in entries if c.section == ("Prevention Strategies",))
    assert [p.question for p in entry_probes(advice)] == [advice.title]
    dosed = {c.section_path for c in entries if any(p.kind == "dose" for p in entry_probes(c))}
    assert dosed == DOSED
    lists = {p.target: p.question for p in list_probes(entries)}
    assert lists["Causes"] == "What are the causes?"
    assert lists["Diagnostic Tests › E. Imaging Tests"] == "What are the imaging tests?"


def test_coverage_rows_add_up_to_the_entry_chunks(coverage, entries):
    assert len(coverage.entries) == len(entries)
    assert sum(r.entries for r in coverage.rows) == len(entries)
    assert [r.section for r in coverage.rows] == list(dict.fromkeys(c.section_path for c in entries))
    for r in coverage.rows:
        assert sum(r.what[s] for s in STATUSES) == r.entries
        mine = [e for e in coverage.entries if e.chunk.section_path == r.section]
        assert sum(r.probes.values()) == sum(len(e.probes) for e in mine)
        assert r.listing is not None and r.listing.entries == r.entries
    assert coverage.golden_n == len(load_golden(GOLDEN))


def test_what_is_probe_meets_the_target(coverage):
    misses = [(e.chunk.citation, e.what.returned) for e in coverage.entries if e.what.status != "first"]
    assert coverage.share("first") >= 0.95, misses


def test_coverage_html_is_self_contained(coverage):
    html = coverage_html(coverage)
    assert html.count("<svg") == 2
    for r in coverage.rows:
        assert escape(r.section) in html
    assert "<script" not in html
    assert not re.search(r"""(?:src|href)\s*=|@import|url\(""", html)


def test_eval_report_shows_kinds_and_failures(small_run, tmp_path):
    out = eval_report(small_run, tmp_path / "eval.html")
    html = out.read_text(encoding="utf-8")
    assert "<svg" in html and "Accuracy per kind" in html
    for kind in {r.item.kind for r in small_run}:
        assert f">{kind}</text>" in html
    failures = [r for r in small_run if not r.passed]
    assert any(r.item.id == "g-broken" for r in failures)
    for r in failures:
        assert escape(r.item.question) in html and escape(r.item.id) in html
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert re.search(r"p50 [\d.]+ ms, p95 [\d.]+ ms, max [\d.]+ ms", html)


def test_eval_diff_finds_flips(small_run, tmp_path, capsys):
    rows = [r.to_json() for r in small_run]
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(json.dumps(rows), encoding="utf-8")
    flipped = next(i for i, r in enumerate(rows) if r["passed"])
    rows[flipped] = {**rows[flipped], "passed": False}
    rows[-1] = {**rows[-1], "passed": True}  # g-broken: fail -> pass
    b.write_text(json.dumps(rows), encoding="utf-8")
    d = diff_runs(load_run(a), load_run(b))
    assert d.broke == (rows[flipped]["id"],) and d.fixed == ("g-broken",)
    assert main(["eval-diff", str(a), str(b)]) == 0
    out = capsys.readouterr().out.splitlines()
    n, passed_a = len(rows), sum(r.passed for r in small_run)
    assert out == [f"{a}: {passed_a / n:.1%} of {n}", f"{b}: {passed_a / n:.1%} of {n}",
                   f"pass->fail (1): {rows[flipped]['id']}", "fail->pass (1): g-broken"]


def test_eval_diff_rejects_a_bad_file(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text('{"not": "a list"}', encoding="utf-8")
    assert main(["eval-diff", str(bad), str(tmp_path / "missing.json")]) == 2
    assert "is not an `eval --json` output" in capsys.readouterr().err


def test_cli_eval_report(tmp_path, capsys):
    golden = _write_jsonl(tmp_path / "g.jsonl", 15)
    report = tmp_path / "r.html"
    code = main(["eval", str(golden), "--min", "0", "--report", str(report), "--json", str(tmp_path / "r.json")])
    assert code == 0
    assert "<svg" in report.read_text(encoding="utf-8")
    assert "overall" in capsys.readouterr().out


def test_cli_coverage(tmp_path, capsys, entries):
    out = tmp_path / "cov.html"
    assert main(["coverage", "--out", str(out), "--golden", str(_write_jsonl(tmp_path / "g.jsonl", 10))]) == 0
    captured = capsys.readouterr()
    assert f"| **all** | {len(entries)} |" in captured.out
    assert "## Entries no golden question covers" in captured.out
    assert re.search(r"coverage: 25/\d+ questions", captured.err)
    assert "<svg" in out.read_text(encoding="utf-8")
