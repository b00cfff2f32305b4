"""Shared fixtures: the real engine over the shipped article, built once per test session."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden" / "golden.jsonl"
HOLDOUT = ROOT / "tests" / "golden" / "holdout.jsonl"


@pytest.fixture(scope="session")
def engine():
    from bot.engine import Engine

    eng = Engine()
    eng.ensure_index()
    return eng


@pytest.fixture(scope="session")
def article_doc():
    from bot.corpus import load_corpus

    docs, problems = load_corpus(ROOT / "corpus")
    assert problems == []
    return docs[0]
