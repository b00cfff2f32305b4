#!/usr/bin/env bash
# Set up everything on a fresh machine: a venv, the CPU torch wheel FIRST (an unpinned torch pulls a
# multi-GB CUDA build), the project with its test extras, and the index. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null 2>&1 || PY=python3
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv with $PY" >&2
  "$PY" -m venv .venv
fi
export PIP_DISABLE_PIP_VERSION_CHECK=1
if ! .venv/bin/python -c "import torch, sys; sys.exit(0 if torch.__version__.startswith('2.13.0') else 1)" 2>/dev/null; then
  echo "setup: installing torch==2.13.0 (CPU)" >&2
  .venv/bin/pip install -q "torch==2.13.0" 2>&1 | grep -v "is ignored" || true
fi
if ! .venv/bin/python -c "import bot, sentence_transformers, faiss, bm25s, gradio, onnxruntime, wordfreq, pytest, hypothesis, selenium" 2>/dev/null; then
  echo "setup: installing the project and its test tools" >&2
  .venv/bin/pip install -q -e ".[test]" 2>&1 | grep -v "is ignored" || true
fi
export HF_HUB_OFFLINE=1
echo "setup: checking the index (builds it when missing or stale, ~40 s)" >&2
.venv/bin/python -m bot index --if-needed
