#!/usr/bin/env bash
# Fuzz every public form endpoint with 10,000 hypothesis examples (make test runs 300).
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZ_EXAMPLES=${FUZZ_EXAMPLES:-10000} .venv/bin/python -m pytest -q -p no:logging tests/contact/test_fuzz.py "$@"
