"""The command line through main(argv): exit codes and exact JSON shape."""
from __future__ import annotations

import io
import json
import sys

from bot.cli import main

KEYS = {"question", "answer", "sources", "abstained", "urgent", "disclaimer"}


def test_ask_json_shape(capsys):
    assert main(["ask", "--json", "What is the dose of gabapentin?"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == KEYS
    assert out["sources"][0]["section"] == "Pharmacological Treatments"
    assert set(out["sources"][0]) == {"section", "title", "quote", "score"}
    assert "300 mg orally at bedtime initially; titrate up to 1800–3600 mg/day" in out["answer"]


def test_ask_out_of_scope(capsys):
    assert main(["ask", "--json", "What is the capital of France?"]) == 0
    assert json.loads(capsys.readouterr().out)["abstained"] is True


def test_ask_without_question_is_a_usage_error(capsys):
    assert main(["ask"]) == 2
    assert "give a question" in capsys.readouterr().err


def test_ask_jsonl_answers_each_line_and_survives_bad_ones(capsys, monkeypatch):
    lines = [
        json.dumps({"question": "What is the dose of pregabalin?", "history": []}).encode(),
        b"\xff\xfe not utf-8",
        b"{not json",
        json.dumps({"question": "What are its side effects?", "history": ["What is the dose of pregabalin?"]}).encode(),
    ]
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"\n".join(lines) + b"\n")))
    assert main(["ask", "--jsonl"]) == 0
    outs = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert len(outs) == 4
    assert set(outs[0]) == KEYS and "75 mg orally twice daily" in outs[0]["answer"]
    assert "error" in outs[1] and "error" in outs[2]
    assert "weight gain, peripheral edema" in outs[3]["answer"]


def test_eval_exit_code_follows_min(tmp_path, capsys):
    f = tmp_path / "g.jsonl"
    f.write_text(json.dumps({"id": "x1", "kind": "dose", "question": "What is the dose of gabapentin?", "history": [],
                             "expect": {"section": "Pharmacological Treatments", "contains_any": ["300 mg orally"],
                                        "contains_all": [], "items": [], "min_items": 0, "abstain": False,
                                        "urgent": False}}) + "\n" +
                 json.dumps({"id": "x2", "kind": "oos", "question": "What is the dose of gabapentin?", "history": [],
                             "expect": {"section": None, "contains_any": [], "contains_all": [], "items": [],
                                        "min_items": 0, "abstain": True, "urgent": False}}) + "\n")
    assert main(["eval", str(f), "--min", "0.5"]) == 0
    out = capsys.readouterr().out
    assert "overall" in out and "50.0%" in out
    assert main(["eval", str(f), "--min", "0.9"]) == 1


def test_eval_missing_file_is_a_clear_error(capsys):
    assert main(["eval", "/nonexistent/golden.jsonl"]) == 2
    assert "does not exist" in capsys.readouterr().err
