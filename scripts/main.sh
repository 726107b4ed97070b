#!/usr/bin/env bash
# The main job on embedded defaults: the shipped student grades a bundled sample photo from a look request.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
mkdir -p out
.venv/bin/vibegrade edit sample:astronaut out/golden_hour.jpg "golden hour" --compare out/golden_hour_before_after.jpg
