#!/usr/bin/env bash
# The test command: set up (idempotent), install the headless browser the browser tests drive, lint, test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if [ -f .ci/install-browser.sh ]; then bash .ci/install-browser.sh; fi
export HF_HUB_OFFLINE=1 GRADIO_ANALYTICS_ENABLED=False
.venv/bin/ruff check bot tests $( [ -f app.py ] && echo app.py )
.venv/bin/mypy bot
.venv/bin/python -m pytest "$@"
