"""Keep committed notebooks small and stable: strip outputs, normalise metadata.

* Outputs are stripped, except in `# NBVAL_CHECK_OUTPUT` cells, which get their
  outputs from the smoke run in build/smoke/ (run
  `python -m medlib reproduce --profile smoke` first), matched by cell source, so
  nbval in `make test` compares against a real smoke execution.
* Notebook metadata is set to what JupyterLab writes when it saves a notebook
  running on the project's kernel (`make env` installs it as "Python 3 (medlib)"),
  plus the notebook's title (the HTML reports' title): opening and saving a
  notebook in Lab then creates no diff. Cell ids are kept (Lab keeps them).

    python scripts/sync_notebooks.py            # all notebooks
"""
from __future__ import annotations

import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
KERNELSPEC = {"display_name": "Python 3 (medlib)", "language": "python", "name": "python3"}


def language_info() -> dict:
    """What an IPython kernel of this Python reports (and Lab writes on save)."""
    return {"codemirror_mode": {"name": "ipython", "version": 3}, "file_extension": ".py",
            "mimetype": "text/x-python", "name": "python", "nbconvert_exporter": "python",
            "pygments_lexer": "ipython3", "version": ".".join(map(str, sys.version_info[:3]))}


def title(nb, path: Path) -> str:
    first = nb.cells[0].source.splitlines()[0] if nb.cells and nb.cells[0].cell_type == "markdown" else ""
    return first.lstrip("# ").split(":")[0].strip() or path.stem


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
        cell.metadata.pop("execution", None)
        cell.metadata.pop("papermill", None)
        if cell.cell_type != "code":
            continue
        cell.execution_count = None
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
    nb.metadata = nbformat.from_dict({"kernelspec": KERNELSPEC, "language_info": language_info(),
                                      "title": title(nb, nb_path)})
    nbformat.write(nb, nb_path)
    print(f"synced {nb_path.relative_to(ROOT)}")


if __name__ == "__main__":
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        sync(path)
