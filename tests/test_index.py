"""Index files: FAISS agrees with brute force, files are checked on load, staleness and corruption rebuild."""
from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from bot import index as index_mod
from bot.config import Config
from bot.engine import Engine
from bot.errors import IndexError_

QUESTIONS = ["What is the dose of gabapentin?", "Which imaging test is the gold standard?",
             "How can I prevent this?", "What causes groin pain?", "Is surgery always necessary?"]


def test_faiss_top1_equals_bruteforce_cosine(engine):
    idx = engine.ensure_index()
    for q in QUESTIONS:
        v = engine.embed_query(q)
        brute = idx.vectors @ v
        _, ids = idx.faiss.search(v.reshape(1, -1), 5)
        assert ids[0][0] == int(np.argmax(brute))
        assert np.allclose(np.linalg.norm(idx.vectors, axis=1), 1.0, atol=1e-4)


def test_manifest_describes_the_build(engine):
    m = engine.ensure_index().manifest
    for key in ("format_version", "model", "dimension", "corpus_sha256", "chunk_count", "calibration"):
        assert key in m
    assert m["dimension"] == 384 and m["chunk_count"] == len(engine.ensure_index().chunks)


@pytest.fixture()
def private_engine(tmp_path, engine):
    """An engine over a copy of the corpus and of the built index, so tests can break them."""
    corpus = tmp_path / "corpus"
    shutil.copytree(engine.config.corpus_dir, corpus)
    idx_dir = tmp_path / "index"
    shutil.copytree(engine.config.index_dir, idx_dir, ignore=shutil.ignore_patterns(".build-*", ".build.lock"))
    messages: list[str] = []
    eng = Engine(Config(corpus_dir=corpus, index_dir=idx_dir, data_dir=tmp_path / "data"), progress=messages.append,
                 onnx=False)
    return eng, messages


def test_fresh_index_loads_without_rebuilding(private_engine):
    eng, messages = private_engine
    eng.ensure_index()
    assert not any("Building" in m for m in messages)


def test_changed_corpus_triggers_rebuild(private_engine):
    eng, messages = private_engine
    art = eng.config.corpus_dir / "article.txt"
    art.write_text(art.read_text(encoding="utf-8") + "\nExtra Section\nA new paragraph about the spine.\n", encoding="utf-8")
    idx = eng.ensure_index()
    assert any("stale" in m for m in messages)
    assert any(c.title == "Extra Section" for c in idx.chunks)
    again = Engine(eng.config, progress=messages.append, onnx=False)
    messages.clear()
    again.ensure_index()
    assert not any("Building" in m for m in messages)


@pytest.mark.parametrize("damage", ["truncate_faiss", "drop_chunks", "other_model", "garbage_manifest"])
def test_damaged_index_is_detected_and_rebuilt(private_engine, damage):
    eng, messages = private_engine
    d = eng.config.index_dir
    if damage == "truncate_faiss":
        data = (d / "faiss.index").read_bytes()
        (d / "faiss.index").write_bytes(data[: len(data) // 3])
    elif damage == "drop_chunks":
        (d / "chunks.jsonl").unlink()
    elif damage == "other_model":
        m = json.loads((d / "manifest.json").read_text())
        m["model"] = "some-other-model"
        (d / "manifest.json").write_text(json.dumps(m))
    else:
        (d / "manifest.json").write_text("{not json")
    with pytest.raises(IndexError_):
        index_mod.load(d, eng.expected_manifest())
    ans = eng.ask("What is the dose of gabapentin?")
    assert "300 mg orally at bedtime" in ans.answer
    assert any("Building the index" in m for m in messages)
    index_mod.load(d, eng.expected_manifest())  # the rebuilt files are whole again
