#!/usr/bin/env bash
# Regenerates docs/report/: the sample LKj draft (tests/report/figures.py) as .docx and PNGs
# of its first pages, shown in the README. Needs LibreOffice and poppler-utils (Debian:
# apt-get install -y libreoffice-writer-nogui poppler-utils).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m tests.report.render docs/report
