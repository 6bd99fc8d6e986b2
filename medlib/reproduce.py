"""`make reproduce`: run the numbered notebooks in order with papermill.

Each notebook is executed with ``PROFILE`` injected into its ``parameters``
cell, written to ``build/<profile>/<name>.ipynb`` and rendered to HTML beside
it. The run stops at the first failing notebook, naming it and the cell, and
ends with a summary of what ran and how long each notebook took.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

from . import config

NOTEBOOKS_DIR = config.PROJECT_ROOT / "notebooks"


def notebooks() -> list[Path]:
    return sorted(NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb"))


def to_html(executed: Path) -> Path:
    import nbformat
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter().from_notebook_node(nbformat.read(executed, as_version=4))
    out = executed.with_suffix(".html")
    out.write_text(body, encoding="utf-8")
    return out


def run(profile: str = "quick", only: list[str] | None = None) -> int:
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    out_dir = config.PROJECT_ROOT / "build" / profile
    out_dir.mkdir(parents=True, exist_ok=True)
    summary = []
    for nb in notebooks():
        if only and not any(nb.name.startswith(o) for o in only):
            continue
        out = out_dir / nb.name
        print(f"[reproduce] {nb.name} (profile {profile}) ...", flush=True)
        start = time.time()
        try:
            pm.execute_notebook(nb, out, parameters={"PROFILE": profile}, kernel_name="python3",
                                cwd=str(NOTEBOOKS_DIR), progress_bar=False)
        except PapermillExecutionError as exc:
            print(f"\n[reproduce] FAILED in {nb.name}, cell {exc.exec_count} "
                  f"(index {exc.cell_index}): {exc.ename}: {exc.evalue}\n"
                  f"  executed copy with the traceback: {out}", file=sys.stderr)
            to_html(out)
            return 1
        html = to_html(out)
        summary.append((nb.name, time.time() - start, html))
    total = sum(s for _, s, _ in summary)
    print(f"\n[reproduce] profile {profile}: {len(summary)} notebook(s), {total / 60:.1f} min")
    for name, seconds, html in summary:
        print(f"  {name:38s} {seconds:7.1f} s   {html.relative_to(config.PROJECT_ROOT)}")
    print(f"  figures: {config.figures_dir(profile)}   results: {config.results_dir(profile)}")
    from .report import skipped

    print("\n[reproduce] skipped, and why:")
    for line in skipped(profile):
        print(f"  - {line}")
    return 0
