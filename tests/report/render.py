"""Render an LKj draft as a reader sees it: LibreOffice (headless, Debian's
`libreoffice-writer-nogui`) turns the .docx into PDF; for the README, `pdftoppm` (Debian's
`poppler-utils`) turns its first pages into PNGs.

    python3 -m tests.report.render docs/report     # (scripts/render-report.sh)

writes the sample draft (tests/report/figures.py, after DEP3's correction) and PNGs of its
first pages into that folder.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
PAGES = 5  # the README shows the cover, the summary, Bab II, Bab III's first table and chart


def render_pdf(docx: Path, out_dir: Path, timeout: float = 180) -> Path:
    """The PDF LibreOffice makes of `docx`, in `out_dir`. Its own profile folder, so it
    neither meets nor leaves a user's LibreOffice settings."""
    if SOFFICE is None:
        raise FileNotFoundError("soffice is missing (apt-get install -y libreoffice-writer-nogui)")
    with tempfile.TemporaryDirectory(prefix="lkj-soffice-") as profile:
        done = subprocess.run(
            [SOFFICE, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
             "--convert-to", "pdf", "--outdir", str(out_dir), str(docx)],
            capture_output=True, text=True, timeout=timeout, env={**os.environ, "HOME": profile})
    pdf = out_dir / (docx.stem + ".pdf")
    if done.returncode != 0 or not pdf.exists():
        raise RuntimeError(f"LibreOffice could not convert {docx}: {done.stdout} {done.stderr}")
    return pdf


def sample_draft() -> bytes:
    from engine.report.achievement import Scale
    from engine.report.data import report_data
    from engine.report.draft import build_draft
    from tests.report.figures import UNIT_NAMES, unit_data
    figures = report_data(2024, unit_data(corrected=True), UNIT_NAMES, Scale.from_file())
    return build_draft(figures, datetime(2025, 2, 3, 2, 0, tzinfo=timezone.utc))


def render_docs(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("draft-page-*.png"):
        old.unlink()
    docx = folder / "Draf awal LKj 2024.docx"
    docx.write_bytes(sample_draft())
    with tempfile.TemporaryDirectory() as work:
        pdf = render_pdf(docx, Path(work))
        subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", str(PAGES), str(pdf),
                        str(folder / "draft-page")], check=True, timeout=120)
    return sorted(folder.glob("draft-page-*.png"))


if __name__ == "__main__":
    for path in render_docs(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/report")):
        print(path)
