"""The fast ONNX question path and the torch reference give the same answers; without the export, torch answers."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import Config
from bot.embed import StEncoder
from bot.engine import Engine
from bot.evaluate import load_golden

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def torch_engine(engine):
    eng = Engine(engine.config, progress=lambda m: None, onnx=False)
    eng.ensure_index()
    assert isinstance(eng.retriever.encode.__self__, StEncoder)  # type: ignore[attr-defined]
    return eng


def test_onnx_path_is_in_use(engine):
    assert engine.ensure_index().manifest["onnx"]["ok"] is True
    assert type(engine.retriever.encode.__self__).__name__ == "OnnxEncoder"  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", ["golden.jsonl", "holdout.jsonl"])
def test_same_top_source_for_every_golden_question(engine, torch_engine, name):
    for item in load_golden(ROOT / "tests" / "golden" / name):
        a = engine.ask(item.question, list(item.history))
        b = torch_engine.ask(item.question, list(item.history))
        top_a = a.sources[0].title if a.sources else None
        top_b = b.sources[0].title if b.sources else None
        assert (top_a, a.abstained, a.urgent) == (top_b, b.abstained, b.urgent), item.id
        assert a.answer == b.answer, item.id


def test_missing_onnx_export_falls_back_with_a_notice(tmp_path, engine):
    idx = tmp_path / "index"
    shutil.copytree(engine.config.index_dir, idx, ignore=shutil.ignore_patterns(".build*", "onnx"))
    code = ("import sys;from pathlib import Path;from bot.config import load_config;from bot.engine import Engine;"
            "e=Engine(load_config().with_(index_dir=Path(sys.argv[1])));"
            "print(e.ask('What is the dose of gabapentin?').sources[0].title)")
    out = subprocess.run([sys.executable, "-c", code, str(idx)], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "Gabapentin" in out.stdout
    assert "using sentence-transformers" in out.stderr


def test_question_path_never_imports_torch(engine):
    code = ("import sys;from bot.engine import Engine;e=Engine(progress=lambda m:None);"
            "e.ask('What is the dose of gabapentin?');print('torch' in sys.modules, 'sentence_transformers' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert out.stdout.split() == ["False", "False"], out.stderr[-2000:]


def test_cli_ask_does_not_import_gradio():
    code = ("import sys,io,contextlib;from bot.cli import main;buf=io.StringIO();"
            "r=contextlib.redirect_stdout(buf);r.__enter__();main(['ask','What is the dose of ibuprofen?']);r.__exit__(None,None,None);"
            "print('gradio' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert out.stdout.strip().endswith("False"), out.stderr[-2000:]


def test_config_without_onnx_is_respected(engine):
    cfg = Config(corpus_dir=engine.config.corpus_dir, index_dir=engine.config.index_dir, onnx=False)
    assert Engine(cfg).use_onnx is False


@pytest.mark.parametrize("size", [0, 2])
def test_embedding_cache_is_bounded_by_its_setting(engine, size):
    eng = Engine(engine.config.with_(cache_size=size), progress=lambda m: None)
    first = eng.ask("What is the dose of ibuprofen?")
    for q in ("What are the causes?", "Is surgery always necessary?", "What is the dose of ibuprofen?"):
        eng.ask(q)
    assert len(eng._cache) == size
    assert eng.ask("What is the dose of ibuprofen?").to_json() == first.to_json()  # a cached vector answers the same
