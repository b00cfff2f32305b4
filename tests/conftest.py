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


# ---- the web app (tests/test_app_api.py, tests/test_browser.py) ---------------------------------------------
def free_port() -> int:
    """A TCP port nobody listens on right now (the OS picks it)."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def app_factory(tmp_path_factory):
    """start(**env) -> RunningApp: the real app (real engine, real index) served on a free 127.0.0.1 port.
    `env` holds FORAMEN_* settings (e.g. FORAMEN_LOG_QUESTIONS="1"); FORAMEN_DATA_DIR defaults to a fresh
    tmp dir. They are read through bot.config from the environment, which is restored right after."""
    import sys
    from dataclasses import dataclass

    if str(ROOT) not in sys.path:  # app.py lives at the repo root, next to bot/
        sys.path.insert(0, str(ROOT))
    import app as app_module
    from bot.engine import Engine
    from bot.feedback import FeedbackStore, open_store

    @dataclass(frozen=True)
    class RunningApp:
        url: str
        data_dir: Path
        store: FeedbackStore
        demo: object

    started: list[RunningApp] = []

    def start(**env: str) -> RunningApp:
        env.setdefault("FORAMEN_DATA_DIR", str(tmp_path_factory.mktemp("data")))
        with pytest.MonkeyPatch.context() as mp:
            for key, value in env.items():
                mp.setenv(key, value)
            eng = Engine()
        eng.ensure_index()
        store = open_store(eng.config.data_dir, keep_questions=eng.config.log_questions)
        demo = app_module.build_app(eng, store)
        url = app_module.launch(demo, "127.0.0.1", free_port(), block=False)
        running = RunningApp(url.rstrip("/") + "/", eng.config.data_dir, store, demo)
        started.append(running)
        return running

    yield start
    for running in started:
        running.demo.close()  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def app_server(app_factory):
    """One app with the default settings (question logging off), shared by the API tests."""
    return app_factory()
