"""Peak resident memory and wall time of each code cell of a notebook, for finding what holds memory.

``make reproduce`` prints one peak per notebook (the kernel's); this says which cell
reached it. It runs the notebook's code cells in order in this one process (no
kernel, no papermill), with ``PROFILE`` (and any ``--set NAME=VALUE``) appended to
the ``parameters`` cell, while a thread samples the process's RSS every 50 ms::

    .venv/bin/python scripts/notebook_memory.py notebooks/05_gradcam_crm.ipynb --profile quick

To see a fresh clone's peaks, delete the caches a cell would otherwise read
(``data/cache/features`` for the frozen-backbone features) first. Rich outputs are
not rendered (``display`` prints their repr), and figures use the Agg backend.

Run it under glibc's malloc (a plain ``.venv/bin/python``, not after ``. scripts/allocator.sh``):
tcmalloc and jemalloc keep freed memory resident, so a cell's ``after`` would read memory it
freed as still held, and a later cell could reuse it without its peak showing the allocation.
"""
from __future__ import annotations

import argparse
import ast
import json
import os
import threading
import time
from pathlib import Path


def _rss() -> int:
    import psutil

    return psutil.Process().memory_info().rss


class PeakSampler:
    """Highest RSS seen since the last :meth:`reset`, sampled by a daemon thread."""

    def __init__(self, every: float = 0.05):
        self.peak, self.every = _rss(), every
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self):
        while True:
            self.peak = max(self.peak, _rss())
            time.sleep(self.every)

    def reset(self) -> None:
        self.peak = _rss()


def code_cells(path: Path, assignments: dict) -> list[str]:
    """The notebook's code cells, with ``assignments`` appended to its ``parameters`` cell."""
    cells = []
    for cell in json.loads(path.read_text())["cells"]:
        if cell["cell_type"] != "code":
            continue
        src = "".join(cell["source"])
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            src += "\n" + "".join(f"{k} = {v!r}\n" for k, v in assignments.items())
        cells.append(src)
    return cells


def run(path: Path, assignments: dict, out=print) -> list[dict]:
    """Execute the cells in the notebook's folder; one row per cell (index, seconds, peak and
    final RSS in GiB, first line)."""
    os.environ.setdefault("MPLBACKEND", "Agg")
    from medlib.experiments.provenance import allocator

    if allocator() != "glibc":
        out("note: a caching allocator is preloaded (LD_PRELOAD): freed memory stays resident, so "
            "'after' overstates what a cell holds")
    sampler, namespace, rows = PeakSampler(), {"__name__": "__main__"}, []
    cwd = Path.cwd()
    os.chdir(path.parent)
    try:
        for i, src in enumerate(code_cells(path, assignments)):
            sampler.reset()
            start = time.perf_counter()
            exec(compile(src, f"{path.name}[cell {i}]", "exec"), namespace)
            sampler.peak = max(sampler.peak, _rss())
            row = {"cell": i, "seconds": time.perf_counter() - start, "peak_gib": sampler.peak / 2**30,
                   "after_gib": _rss() / 2**30, "first_line": (src.strip().splitlines() or [""])[0][:60]}
            rows.append(row)
            out(f"cell {i:2d} {row['seconds']:7.1f} s  peak {row['peak_gib']:5.2f} GiB  "
                f"after {row['after_gib']:5.2f} GiB  | {row['first_line']}")
    finally:
        os.chdir(cwd)
    top = max(rows, key=lambda r: r["peak_gib"]) if rows else None
    if top:
        out(f"highest: cell {top['cell']} at {top['peak_gib']:.2f} GiB")
    return rows


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("notebook", type=Path)
    ap.add_argument("--profile", default="smoke")
    ap.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                    help="another parameter (a Python literal, else a string)")
    args = ap.parse_args(argv)
    assignments = {"PROFILE": args.profile}
    for item in args.set:
        name, _, value = item.partition("=")
        try:
            assignments[name] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            assignments[name] = value
    run(args.notebook.resolve(), assignments)


if __name__ == "__main__":
    main()
