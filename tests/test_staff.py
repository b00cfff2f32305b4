"""Staff review functions (bot/staff.py) on the real engine: golden runs and exports, coverage, feedback, password."""
from __future__ import annotations

import csv
import io
import json
import sys
import time
import uuid
from pathlib import Path

import pytest

from bot import staff
from bot.coverage import run_coverage
from bot.errors import InputError
from bot.evaluate import load_golden
from bot.feedback import FeedbackStore, open_store

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden" / "golden.jsonl"
KINDS = ("fact", "dose", "list", "oos")  # one item of each, plus a fact that cannot pass


def golden_lines(kinds: tuple[str, ...]) -> list[str]:
    """The first golden line of each kind, in `kinds` order."""
    lines = GOLDEN.read_text(encoding="utf-8").splitlines()
    return [next(line for line in lines if json.loads(line)["kind"] == k) for k in kinds]


@pytest.fixture(scope="module")
def golden_file(tmp_path_factory) -> Path:
    """Five real golden items; the last (a copy of the first) is made to fail, so there is one failure to show."""
    lines = golden_lines(KINDS)
    broken = json.loads(lines[0])
    broken.update(id="g-broken", expect={**broken["expect"], "section": "Anatomy & Definition",
                                          "contains_all": ["no article says this"]})
    path = tmp_path_factory.mktemp("golden") / "five.jsonl"
    path.write_text("\n".join([*lines, json.dumps(broken)]) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def golden_run(engine, golden_file, tmp_path_factory):
    calls: list[tuple[int, int]] = []
    out = tmp_path_factory.mktemp("exports")
    view = staff.run_golden_view(engine, golden_file, out, progress=lambda i, n: calls.append((i, n)))
    return view, calls, out


# ---- golden runs --------------------------------------------------------------------------------------------
def test_golden_run_tables_and_progress(golden_run):
    view, calls, _ = golden_run
    assert calls == [(i, 5) for i in range(1, 6)]  # run_golden's progress callback, once per question
    assert view.kinds.headers == ("kind", "n", "passed", "accuracy")
    by_kind = {row[0]: row for row in view.kinds.rows}
    assert set(by_kind) == {"fact", "dose", "list", "oos", "overall"}
    assert by_kind["dose"][1:] == (1, 1, "100.0%")
    assert by_kind["fact"][1:3] == (2, 1)  # g-fact-01 passes, g-broken cannot
    assert by_kind["overall"] == ("overall", 5, 4, "80.0%")
    assert "**Overall 80.0%** (4/5 passed)" in view.summary
    assert view.chart.count("<svg") == 1 and ">overall<" in view.chart


def test_golden_run_failures_show_expected_and_returned_sections(golden_run):
    view, _, _ = golden_run
    assert view.failures.headers == ("id", "kind", "question", "why it failed", "expected section",
                                     "returned sections (top 3)")
    [(fid, kind, question, why, expected, returned)] = view.failures.rows
    assert (fid, kind) == ("g-broken", "fact")
    assert question == json.loads(golden_lines(("fact",))[0])["question"]
    assert "missing ['no article says this']" in why and "section 'Anatomy & Definition' not in top-3" in why
    assert expected == "Anatomy & Definition"
    assert returned and returned != "none" and "Anatomy & Definition" not in returned


def test_golden_exports_jsonl_and_csv(golden_run, golden_file):
    view, _, out = golden_run
    assert (view.jsonl, view.csv) == (out / "golden-results.jsonl", out / "golden-results.csv")
    ids = [json.loads(line)["id"] for line in golden_file.read_text(encoding="utf-8").splitlines()]

    rows = [json.loads(line) for line in view.jsonl.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == ids
    assert [r["passed"] for r in rows] == [True, True, True, True, False]
    assert set(rows[0]) == {"id", "kind", "question", "history", "expect", "passed", "reasons", "latency_ms", "answer"}
    assert rows[2]["kind"] == "list" and rows[2]["answer"]["disclaimer"].startswith("Disclaimer:")

    table = list(csv.reader(io.StringIO(view.csv.read_text(encoding="utf-8"))))
    assert tuple(table[0]) == staff.CSV_HEADERS
    assert [r[0] for r in table[1:]] == ids
    assert [r[3] for r in table[1:]] == ["yes", "yes", "yes", "yes", "no"]
    broken = dict(zip(table[0], table[-1], strict=True))
    assert broken["expected_section"] == "Anatomy & Definition"
    assert "missing ['no article says this']" in broken["reasons"]
    assert broken["answer"] == rows[-1]["answer"]["answer"]  # the full answer text, commas and newlines intact
    oos = dict(zip(table[0], table[4], strict=True))
    assert (oos["kind"], oos["abstained"]) == ("oos", "True")


GOOD = golden_lines(("fact",))[0]


@pytest.mark.parametrize(("text", "message"), [
    (GOOD + "\n{not json\n", "five.jsonl line 2 is not JSON (Expecting property name enclosed in double quotes at column 2)"),
    ('{"id": "x", "kind": "fact", "history": [], "expect": {}}\n', "five.jsonl line 1 is missing the key 'question'"),
    (GOOD + "\n\n" + '{"question": "q"}\n', "five.jsonl line 3 is missing the key 'id'"),
    ('{"id": "x", "question": "q", "expect": "abstain"}\n', "five.jsonl line 1 is not a golden item"),
    ('["id", "question"]\n', "five.jsonl line 1 is not a golden item"),
    ("\n\n", "five.jsonl holds no golden items"),
])
def test_a_bad_golden_file_names_the_line_not_the_server_path(engine, tmp_path, text, message):
    path = tmp_path / "five.jsonl"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as exc:
        staff.run_golden_view(engine, path, tmp_path)
    assert str(exc.value).startswith(message)
    assert str(tmp_path) not in str(exc.value)
    assert '{"id", "kind", "question", "history": [], "expect": {…}}' in str(exc.value)  # what a line should be
    assert not (tmp_path / "golden-results.csv").exists()


def test_a_golden_file_that_is_not_utf8_says_so(tmp_path):
    path = tmp_path / "upload.jsonl"
    path.write_bytes(GOOD.replace("What", "Wh\xe4t").encode("latin-1"))
    with pytest.raises(InputError, match=r"^golden\.jsonl is not UTF-8 text"):
        staff.read_golden(path, name="golden.jsonl")


def test_read_golden_reuses_load_golden(golden_file):
    assert staff.read_golden(golden_file) == load_golden(golden_file)


# ---- coverage -----------------------------------------------------------------------------------------------
def test_coverage_view_from_the_real_probe(engine):
    cov = run_coverage(engine)
    view = staff.coverage_view(cov)
    assert [r[0] for r in view.sections.rows] == [r.section for r in cov.rows]
    assert sum(r[1] for r in view.sections.rows) == len(cov.entries)
    for row, r in zip(view.sections.rows, cov.rows, strict=True):
        assert row[2] + row[3] + row[4] == r.entries  # "What is" probe: first + top-3 + missed
    not_first = [(e, p) for e in cov.entries for p in e.probes if p.status != "first"]
    assert len(view.missed.rows) == len(not_first)
    statuses = [row[2] for row in view.missed.rows]
    assert statuses == sorted(statuses, key=lambda s: s != "missed")  # the misses first
    assert view.chart.count("<svg") == 2
    assert f"**{len(cov.entries)} entries probed.**" in view.summary
    assert "Golden set" not in view.summary  # no golden questions were asked


# ---- feedback review ----------------------------------------------------------------------------------------
def _vote(store: FeedbackStore, vote: str, reason: str = "", question: str | None = None) -> str:
    answer_id = str(uuid.uuid4())
    store.record(answer_id, vote, reason, question)
    time.sleep(0.01)  # distinct timestamps: the table is newest first
    return answer_id


def test_feedback_review_lists_dislikes_and_exports_candidates(tmp_path):
    store = open_store(tmp_path / "data", keep_questions=True)
    _vote(store, "up", "", "What is the dose of ibuprofen?")
    first = _vote(store, "down", "", "Does it cause numbness in the groin?")
    store.record(first, "down", "unclear", "Does it cause numbness in the groin?")  # the reason, sent after
    second = _vote(store, "down", "wrong section", "<b>List the tests</b>")
    taken_back = _vote(store, "down", "", "When should I see a doctor?")
    store.record(taken_back, "up")

    view = staff.feedback_view(store, tmp_path)
    assert view.table.headers == ("time", "reason", "question", "answer id")
    assert [r[1:] for r in view.table.rows] == [
        ("wrong section", "<b>List the tests</b>", second),  # newest first; text stays text
        ("unclear", "Does it cause numbness in the groin?", first),
    ]
    assert all(r[0].endswith(" UTC") for r in view.table.rows)
    assert view.summary.startswith("**2 disliked answers**, 2 with the question")
    assert view.candidates == tmp_path / "feedback-candidates.jsonl"
    got = [json.loads(line) for line in view.candidates.read_text(encoding="utf-8").splitlines()]
    empty = {"section": None, "contains_any": [], "contains_all": [], "items": [], "min_items": 0,
             "abstain": False, "urgent": False}
    assert got == [
        {"id": f"fb-{first[:8]}", "kind": "feedback", "question": "Does it cause numbness in the groin?",
         "history": [], "answer_id": first, "reason": "unclear", "expect": empty},
        {"id": f"fb-{second[:8]}", "kind": "feedback", "question": "<b>List the tests</b>",
         "history": [], "answer_id": second, "reason": "wrong section", "expect": empty},
    ]
    # a curated candidate file is a golden file: it loads as one
    assert [i.id for i in load_golden(view.candidates)] == [f"fb-{first[:8]}", f"fb-{second[:8]}"]
    assert len(store.rows()) == 6  # reviewing wrote nothing


def test_feedback_review_without_logged_questions(tmp_path):
    store = open_store(tmp_path, keep_questions=False)
    answer_id = _vote(store, "down", "not in article", "a private question")
    view = staff.feedback_view(store, tmp_path)
    assert [r[1:] for r in view.table.rows] == [("not in article", "(not logged)", answer_id)]
    [candidate] = staff.feedback_candidates(store.disliked())
    assert candidate["question"] == "" and candidate["reason"] == "not in article"
    assert "a private question" not in view.candidates.read_text(encoding="utf-8")


def test_feedback_review_of_an_empty_store(tmp_path):
    view = staff.feedback_view(open_store(tmp_path / "none"), tmp_path)
    assert (view.summary, view.table.rows, view.candidates) == ("No disliked answers yet.", (), None)


# ---- password -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("typed", "expected", "ok"), [
    ("s3cret-Pass", "s3cret-Pass", True),
    ("s3cret-pass", "s3cret-Pass", False),
    ("s3cret-Pass ", "s3cret-Pass", False),
    ("", "s3cret-Pass", False),
    (None, "s3cret-Pass", False),
    ("anything", None, False),  # unset: nothing unlocks
    ("", None, False),
    ("pässwörd", "pässwörd", True),  # compare_digest on str takes ASCII only; bytes take anything
    ("passwörd", "pässwörd", False),
])
def test_check_password(typed, expected, ok):
    assert staff.check_password(typed, expected) is ok


@pytest.mark.parametrize(("env", "password"), [
    ({}, None),
    ({"FORAMEN_STAFF_PASSWORD": ""}, None),
    ({"FORAMEN_STAFF_PASSWORD": "   "}, None),
    ({"FORAMEN_STAFF_PASSWORD": "s3cret"}, "s3cret"),
])
def test_staff_password_from_the_environment(env, password):
    assert staff.staff_password(env) == password


def _elem_ids(demo) -> set[str]:
    return {b.elem_id for b in demo.blocks.values() if getattr(b, "elem_id", None)}


def test_the_staff_tab_exists_only_with_a_password(engine, monkeypatch):
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import app

    monkeypatch.delenv("FORAMEN_STAFF_PASSWORD", raising=False)
    patients = _elem_ids(app.build_app(engine))
    assert "fm-chat" in patients and not {i for i in patients if i.startswith("fm-staff")}
    assert "fm-tabs" not in patients  # the patients' page is the chat alone, as before
    monkeypatch.setenv("FORAMEN_STAFF_PASSWORD", "s3cret")
    with_staff = _elem_ids(app.build_app(engine))
    assert {"fm-tabs", "fm-chat-tab", "fm-staff", "fm-staff-password", "fm-staff-tools"} <= with_staff
