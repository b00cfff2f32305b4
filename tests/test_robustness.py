"""Bad input, corpus faults and index faults: a clear answer or message, never a traceback, bounded work."""
from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.config import Config
from bot.engine import Engine
from bot.schema import Answer

ROOT = Path(__file__).resolve().parent.parent


def assert_sound(ans: Answer, article_doc) -> None:
    assert isinstance(ans, Answer)
    assert ans.disclaimer == article_doc.disclaimer
    for frag in ans.quotes:
        assert frag in article_doc.clean_text
    assert len(ans.answer) < 6000


@pytest.mark.parametrize("question", [
    "", "   \n\t ", "?!?!...", "🙂🙂🙂 🔥", "\x00\x01\x02 dose of gabapentin \x7f", "ibuprofen\x00dose",
    "¿Cuál es la dosis de gabapentina?", "Wie hoch ist die Dosis von Ibuprofen?", "布洛芬的剂量是多少？",
    "<script>alert(1)</script> what is the dose of ibuprofen", "**bold** [link](http://x) # heading",
    "'; DROP TABLE feedback; --", "SELECT * FROM answers WHERE 1=1",
])
def test_strange_questions_answer_politely(engine, article_doc, question):
    ans = engine.ask(question)
    assert_sound(ans, article_doc)
    if not question.strip():
        assert ans.abstained


def test_huge_question_is_shortened_with_a_note(engine, article_doc):
    t = time.perf_counter()
    ans = engine.ask("What is the dose of ibuprofen? " + "blah " * 20000)
    assert time.perf_counter() - t < 2.0
    assert_sound(ans, article_doc)
    assert "shortened" in ans.answer and ans.notice


def test_huge_history_is_bounded(engine, article_doc):
    t = time.perf_counter()
    ans = engine.ask("What are its side effects?", ["x " * 50000, "What is the dose of pregabalin?", None, 42])  # type: ignore[list-item]
    assert time.perf_counter() - t < 2.0
    assert "weight gain, peripheral edema" in ans.answer


@settings(max_examples=60, deadline=2000, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=400), st.lists(st.text(max_size=80), max_size=4))
def test_any_text_keeps_the_invariants(engine, article_doc, question, history):
    t = time.perf_counter()
    ans = engine.ask(question, history)
    assert time.perf_counter() - t < 1.5
    assert_sound(ans, article_doc)


def test_corpus_faults_name_the_file_and_spare_the_rest(tmp_path, engine):
    corpus = tmp_path / "corpus"
    shutil.copytree(engine.config.corpus_dir, corpus)
    (corpus / "empty.txt").write_text("")
    (corpus / "noheadings.txt").write_text("just a sentence of text without any headings at all.\n")
    (corpus / "binary.txt").write_bytes(bytes(range(256)))
    (corpus / "latin1.txt").write_bytes("Caf\xe9 heading\nSome text.\n".encode("latin-1"))
    messages: list[str] = []
    eng = Engine(Config(corpus_dir=corpus, index_dir=tmp_path / "index"), progress=messages.append, onnx=False)
    ans = eng.ask("What is the dose of gabapentin?")
    assert "300 mg orally at bedtime" in ans.answer
    joined = "\n".join(messages)
    for name in ("empty.txt", "noheadings.txt", "binary.txt", "latin1.txt"):
        assert name in joined


def test_unwritable_index_dir_builds_in_memory(tmp_path, engine):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the index folder should be")
    messages: list[str] = []
    eng = Engine(Config(corpus_dir=engine.config.corpus_dir, index_dir=blocker / "index"), progress=messages.append, onnx=False)
    ans = eng.ask("What is the dose of gabapentin?")
    assert "300 mg orally at bedtime" in ans.answer
    assert any("in memory" in m for m in messages)


def test_two_processes_building_at_once_leave_a_whole_index(tmp_path, engine):
    idx = tmp_path / "index"
    code = ("import sys;from pathlib import Path;from bot.config import load_config;from bot.engine import Engine;"
            "e=Engine(load_config().with_(index_dir=Path(sys.argv[1])),progress=lambda m:None,onnx=False);"
            "print(e.ask('What is the dose of gabapentin?').sources[0].title)")
    procs = [subprocess.Popen([sys.executable, "-c", code, str(idx)], stdout=subprocess.PIPE, text=True, cwd=ROOT)
             for _ in range(2)]
    outs = [p.communicate(timeout=300)[0] for p in procs]
    assert all(p.returncode == 0 for p in procs)
    assert all("Gabapentin" in o for o in outs)
    from bot import index as index_mod

    index_mod.load(idx, Engine(Config(corpus_dir=engine.config.corpus_dir, index_dir=idx)).expected_manifest())
    assert not list(idx.glob(".build-*"))
