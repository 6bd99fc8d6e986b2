"""`make reproduce`: run the numbered notebooks in order with papermill.

Each notebook is executed with ``PROFILE`` (and, for notebooks 01-03, ``DATA``:
a folder of class sub-folders) injected into its ``parameters`` cell, written to
``build/<profile>/<name>.ipynb`` and rendered to HTML beside it, titled by the
notebook. The run stops at the first failing notebook, naming it and the cell,
and ends with a summary: wall time and peak memory (resident set of the
notebook's kernel and its children, sampled every half second) per notebook,
and what was skipped and why. It then writes the provenance manifest
(``results/<profile>/manifest.json``) and ``build/<profile>/index.html``, the page that
links every notebook, figure, table and claim (:mod:`medlib.manifest`).
"""
from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

from . import config

NOTEBOOKS_DIR = config.PROJECT_ROOT / "notebooks"
DATA_NOTEBOOKS = ("01", "02")  # the notebooks that take a user's folder (DATA); 03 takes a pair


def notebooks() -> list[Path]:
    return sorted(NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb"))


def to_html(executed: Path) -> Path:
    """Render an executed notebook to HTML titled by the notebook. Stream outputs are merged
    and progress-bar redraws (carriage returns) collapsed first, in the saved notebook too,
    so a bar reads as its last state, not as one line per redraw."""
    import nbformat
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import CoalesceStreamsPreprocessor

    nb = nbformat.read(executed, as_version=4)
    nb, _ = CoalesceStreamsPreprocessor().preprocess(nb, {})
    nbformat.write(nb, executed)
    title = nb.metadata.get("title") or executed.stem
    body, _ = HTMLExporter().from_notebook_node(nb, resources={"metadata": {"name": title}})
    out = executed.with_suffix(".html")
    out.write_text(body, encoding="utf-8")
    return out


class PeakMemory:
    """Peak resident memory of this process's children (the Jupyter kernel and anything it
    starts), sampled in a background thread while a notebook runs."""

    def __init__(self, interval: float = 0.5):
        self.interval, self.peak = interval, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self):
        import psutil

        me = psutil.Process()
        while not self._stop.is_set():
            total = 0
            for child in me.children(recursive=True):
                try:
                    total += child.memory_info().rss
                except psutil.Error:
                    pass
            self.peak = max(self.peak, total)
            self._stop.wait(self.interval)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def _ipc_kernel_manager():
    """Kernels talk to papermill over local IPC sockets, not TCP on localhost (and the kernel
    no longer prints its warning about unencrypted TCP into the run's log)."""
    from jupyter_client.manager import AsyncKernelManager

    class IPCKernelManager(AsyncKernelManager):
        def __init__(self, **kwargs):
            kwargs.setdefault("transport", "ipc")
            super().__init__(**kwargs)

    return IPCKernelManager


def run(profile: str = "quick", only: list[str] | None = None, data: str | None = None,
        data_target: str | None = None) -> int:
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    out_dir = config.PROJECT_ROOT / "build" / (profile if not data else f"{profile}-{Path(data).name}")
    out_dir.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("MEDLIB_PROGRESS", "text")  # kernels inherit it: text bars in the log
    summary = []
    for nb in notebooks():
        if only and not any(nb.name.startswith(o) for o in only):
            continue
        pair = bool(data and data_target and nb.name.startswith("03"))
        if data and not (nb.name.startswith(DATA_NOTEBOOKS) or pair):
            continue
        params = {"PROFILE": profile, **({"DATA": str(Path(data).resolve())} if data else {}),
                  **({"DATA_TARGET": str(Path(data_target).resolve())} if pair else {})}
        out = out_dir / nb.name
        print(f"[reproduce] {nb.name} (profile {profile}{', data ' + data if data else ''}) ...", flush=True)
        start = time.time()
        try:
            with PeakMemory() as mem:
                pm.execute_notebook(nb, out, parameters=params, kernel_name="python3",
                                    cwd=str(NOTEBOOKS_DIR), progress_bar=False, log_output=False,
                                    kernel_manager_class=_ipc_kernel_manager())
        except PapermillExecutionError as exc:
            print(f"\n[reproduce] FAILED in {nb.name}, cell {exc.exec_count} "
                  f"(index {exc.cell_index}): {exc.ename}: {exc.evalue}\n"
                  f"  executed copy with the traceback: {out}", file=sys.stderr)
            to_html(out)
            return 1
        html = to_html(out)
        summary.append((nb.name, time.time() - start, mem.peak, html))
    total = sum(s for _, s, _, _ in summary)
    print(f"\n[reproduce] profile {profile}: {len(summary)} notebook(s), {total / 60:.1f} min")
    print(f"  {'notebook':38s} {'wall':>9s} {'peak RSS':>10s}   report")
    for name, seconds, peak, html in summary:
        print(f"  {name:38s} {seconds:7.1f} s {peak / 2**30:7.2f} GiB   {html.relative_to(config.PROJECT_ROOT)}")
    print(f"  figures: {config.figures_dir(profile)}   results: {config.results_dir(profile)}")
    from .manifest import write_index, write_manifest

    print(f"  provenance: {write_manifest(profile)}\n  start reading at: {write_index(profile, out_dir)}")
    from .report import skipped

    print("\n[reproduce] skipped, and why:")
    for line in skipped(profile):
        print(f"  - {line}")
    return 0
