"""The README is for a newcomer: short, the two commands first, its tables generated from the
committed results (never typed), every local link pointing at a file that exists."""
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_readme_is_short_and_opens_with_the_two_commands():
    lines = (ROOT / "README.md").read_text().splitlines()
    assert len(lines) <= 210
    head = "\n".join(lines[:40])
    assert "make reproduce" in head and "make test" in head


def test_readme_tables_equal_what_the_committed_results_generate():
    run = subprocess.run([sys.executable, str(ROOT / "scripts" / "render_readme.py"), "--check"],
                         cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr


def test_readme_and_docs_links_point_at_files_that_exist():
    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", doc.read_text()):
            if target.startswith("http"):
                continue
            assert (doc.parent / target).exists(), f"{doc.name}: {target}"
