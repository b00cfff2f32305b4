"""Settings: paths and tunables in one frozen object; defaults from the repo root, env overrides."""
from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Config:
    corpus_dir: Path = ROOT / "corpus"
    index_dir: Path = ROOT / "index"
    data_dir: Path = ROOT / "data"
    top_k: int = 5
    max_question_chars: int = 2000
    max_history: int = 5
    log_questions: bool = False
    onnx: bool = True  # the fast question encoder; FORAMEN_ONNX=0 forces the sentence-transformers path
    cache_size: int = 512  # question embeddings kept (LRU); FORAMEN_CACHE_SIZE=0 turns the cache off

    def with_(self, **changes: object) -> Config:
        return replace(self, **changes)  # type: ignore[arg-type]


def load_config() -> Config:
    """Build the config from defaults and FORAMEN_* environment overrides."""
    env = os.environ
    cfg = Config()
    if v := env.get("FORAMEN_CORPUS_DIR"):
        cfg = cfg.with_(corpus_dir=Path(v))
    if v := env.get("FORAMEN_INDEX_DIR"):
        cfg = cfg.with_(index_dir=Path(v))
    if v := env.get("FORAMEN_DATA_DIR"):
        cfg = cfg.with_(data_dir=Path(v))
    if env.get("FORAMEN_LOG_QUESTIONS", "").lower() in {"1", "true", "yes", "on"}:
        cfg = cfg.with_(log_questions=True)
    if env.get("FORAMEN_ONNX", "").lower() in {"0", "false", "no", "off"}:
        cfg = cfg.with_(onnx=False)
    if (v := env.get("FORAMEN_CACHE_SIZE", "")).isdigit():
        cfg = cfg.with_(cache_size=int(v))
    return cfg
