"""Keep committed notebooks small: strip outputs, except `# NBVAL_CHECK_OUTPUT` cells.

Checked cells get their outputs from the smoke run in build/smoke/ (run
`python -m medlib reproduce --profile smoke` first), matched by cell source,
so nbval in `make test` compares against a real smoke execution.

    python scripts/sync_notebooks.py            # all notebooks
"""
from __future__ import annotations

import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent


def sync(nb_path: Path) -> None:
    nb = nbformat.read(nb_path, as_version=4)
    executed_path = ROOT / "build" / "smoke" / nb_path.name
    executed = {}
    if executed_path.exists():
        for cell in nbformat.read(executed_path, as_version=4).cells:
            if cell.cell_type == "code":
                executed[cell.source] = cell.get("outputs", [])
    checked = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        cell.execution_count = None
        cell.metadata.pop("execution", None)
        cell.metadata.pop("papermill", None)
        if "NBVAL_CHECK_OUTPUT" in cell.source:
            if cell.source not in executed:
                sys.exit(f"{nb_path.name}: no smoke output for a checked cell; run "
                         f"`python -m medlib reproduce --profile smoke` first")
            cell.outputs = [o for o in executed[cell.source] if o.get("name") != "stderr"]
            checked += 1
            cell.execution_count = checked  # nbval ignores outputs of cells never run
            for o in cell.outputs:
                if o.get("output_type") == "execute_result":
                    o["execution_count"] = checked
        else:
            cell.outputs = []
    nb.metadata.pop("papermill", None)
    nbformat.write(nb, nb_path)
    print(f"synced {nb_path.relative_to(ROOT)}")


if __name__ == "__main__":
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        sync(path)
