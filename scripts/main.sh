#!/usr/bin/env bash
# The main job on embedded defaults: grade a bundled sample image with the bundled example look.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
mkdir -p out
.venv/bin/vibegrade demo --output out/demo.jpg --compare out/demo_before_after.jpg
