"""Fast question encoder: the same MiniLM exported to ONNX, run with ONNX Runtime + tokenizers.

`export_onnx` (needs torch/transformers, imported lazily) writes model.onnx + tokenizer.json once;
`OnnxEncoder` reproduces sentence-transformers' Transformer -> mean Pooling -> Normalize with only
onnxruntime, tokenizers and numpy, so loading and using it never imports torch.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
from tokenizers import Tokenizer

INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")
OUTPUT_NAME = "last_hidden_state"
OPSET = 17


def _transformer_dir(model_dir: Path) -> Path:
    """Folder of the sentence-transformers Transformer module (modules.json; '' for this model)."""
    modules = model_dir / "modules.json"
    if modules.is_file():
        for mod in json.loads(modules.read_text()):
            if str(mod.get("type", "")).endswith(".Transformer"):
                return model_dir / mod.get("path", "")
    return model_dir


def export_onnx(model_dir: Path, out_dir: Path, *, dynamo: bool = False, fuse: bool = True) -> Path:
    """Export the transformer of the sentence-transformers model at model_dir to out_dir/model.onnx (fp32),
    with eager attention, dynamic batch/sequence axes, inputs input_ids/attention_mask/token_type_ids and
    output last_hidden_state; copy tokenizer.json beside it. Files are written to temp names and
    os.replace()d into place. Return the path of model.onnx.

    dynamo=False uses the TorchScript exporter at opset 17 (deprecated in torch>=2.9 but still present in
    2.13); its graph is the one ONNX Runtime's BERT fuser recognises. fuse=True then runs that fuser
    (onnxruntime.transformers, still fp32: fused Attention/EmbedLayerNorm/SkipLayerNorm) and keeps the plain
    graph if fusion fails."""
    import warnings

    import torch
    from transformers import AutoModel

    model_dir, out_dir = Path(model_dir), Path(out_dir)
    src = _transformer_dir(model_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    model = AutoModel.from_pretrained(str(src), attn_implementation="eager").eval()
    cfg = model.config

    class _Wrapper(torch.nn.Module):
        def __init__(self, inner: torch.nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):  # type: ignore[no-untyped-def]
            return self.inner(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids).last_hidden_state

    # Example batch with padding in one row, so the traced graph keeps the attention-mask path.
    ids = torch.tensor([[101, 7592, 2088, 102, 0, 0], [101, 7592, 2088, 2003, 2307, 102]], dtype=torch.long)
    example = (ids, (ids != 0).long(), torch.zeros_like(ids))
    axes = {n: {0: "batch", 1: "sequence"} for n in (*INPUT_NAMES, OUTPUT_NAME)}
    tmp = Path(tempfile.mkdtemp(prefix=".onnx-export-", dir=out_dir))
    try:
        raw = tmp / "raw.onnx"
        with warnings.catch_warnings(), torch.inference_mode():
            warnings.simplefilter("ignore")  # legacy-exporter DeprecationWarning, TracerWarnings
            # the two exporters differ only here: the dynamo one picks its own opset
            flavour: dict[str, Any] = {"external_data": False} if dynamo else {"opset_version": OPSET}
            torch.onnx.export(
                _Wrapper(model).eval(),
                example,
                str(raw),
                input_names=list(INPUT_NAMES),
                output_names=[OUTPUT_NAME],
                dynamic_axes=axes,
                dynamo=dynamo,
                **flavour,
            )
        final = raw
        if fuse:
            try:
                from onnxruntime.transformers.optimizer import optimize_model

                opt = optimize_model(
                    str(raw),
                    model_type="bert",
                    num_heads=cfg.num_attention_heads,
                    hidden_size=cfg.hidden_size,
                    opt_level=0,
                    use_gpu=False,
                )
                fused = tmp / "fused.onnx"
                opt.save_model_to_file(str(fused))
                final = fused
            except Exception:  # noqa: BLE001 - fusion is an optimisation; the plain graph is valid
                final = raw
        tok_tmp = tmp / "tokenizer.json"
        shutil.copyfile(src / "tokenizer.json", tok_tmp)
        os.replace(tok_tmp, out_dir / "tokenizer.json")
        os.replace(final, out_dir / "model.onnx")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out_dir / "model.onnx"


class OnnxEncoder:
    """all-MiniLM-L6-v2 sentence embeddings (mean pooling + L2 norm) from an ONNX export."""

    def __init__(self, onnx_path: Path, tokenizer_path: Path, max_length: int = 256, threads: int | None = None) -> None:
        self.max_length = max_length
        self.tokenizer = Tokenizer.from_file(str(tokenizer_path))
        # The shipped tokenizer.json truncates at 128 and pads every row to 128: override both.
        pad = self.tokenizer.padding or {}
        self.tokenizer.enable_truncation(max_length=max_length, strategy="longest_first")
        self.tokenizer.enable_padding(
            direction="right",
            pad_id=pad.get("pad_id", 0),
            pad_type_id=pad.get("pad_type_id", 0),
            pad_token=pad.get("pad_token", "[PAD]"),
            length=None,
        )
        opts = ort.SessionOptions()
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        opts.inter_op_num_threads = 1
        if threads is not None:  # None: ORT picks (physical cores)
            opts.intra_op_num_threads = threads
        self.session = ort.InferenceSession(str(onnx_path), opts, providers=["CPUExecutionProvider"])
        self._inputs = [i.name for i in self.session.get_inputs()]
        dim = self.session.get_outputs()[0].shape[-1]
        self.dim = dim if isinstance(dim, int) else 384

    def encode(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """float32 (n, dim): mean over attention-masked tokens, then L2-normalised, in input order."""
        if isinstance(texts, str):
            raise TypeError("encode() takes a list of strings, not a single str")
        texts = list(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))  # similar lengths batch together
        for start in range(0, len(order), max(1, batch_size)):
            idx = order[start : start + batch_size]
            encs = self.tokenizer.encode_batch([texts[i] for i in idx])
            feed_all = {
                "input_ids": np.array([e.ids for e in encs], dtype=np.int64),
                "attention_mask": np.array([e.attention_mask for e in encs], dtype=np.int64),
                "token_type_ids": np.array([e.type_ids for e in encs], dtype=np.int64),
            }
            hidden = self.session.run(None, {k: feed_all[k] for k in self._inputs})[0]
            mask = feed_all["attention_mask"][..., None].astype(np.float32)
            pooled = (hidden * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1e-9)
            norms = np.linalg.norm(pooled, axis=1, keepdims=True)
            out[idx] = pooled / np.maximum(norms, 1e-12)
        return out


def check_equivalence(encoder: OnnxEncoder, texts: list[str], reference: np.ndarray, min_cosine: float = 0.9999) -> float:
    """Return the minimum cosine between encoder.encode(texts) rows and reference rows; raise ValueError
    naming the worst text if below min_cosine."""
    ref = np.asarray(reference, dtype=np.float32)
    if ref.shape[0] != len(texts):
        raise ValueError(f"reference has {ref.shape[0]} rows for {len(texts)} texts")
    if not texts:
        return 1.0
    got = encoder.encode(texts)
    cos = (got * ref).sum(axis=1) / np.maximum(np.linalg.norm(got, axis=1) * np.linalg.norm(ref, axis=1), 1e-12)
    worst = int(np.argmin(cos))
    if cos[worst] < min_cosine:
        raise ValueError(
            f"ONNX encoder diverges from reference: cosine {cos[worst]:.6f} < {min_cosine} "
            f"for text #{worst}: {texts[worst][:200]!r}"
        )
    return float(cos[worst])
