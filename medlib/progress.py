"""Progress bars that show wherever medlib runs: JupyterLab, papermill logs and a terminal.

``tqdm(disable=None)`` switches itself off when stderr is not a terminal, which
is the case inside a Jupyter kernel, so a long cell used to sit silent. Here a
bar is on unless the caller turns it off:

* in a live Jupyter front end (JupyterLab, Notebook, VS Code) with ipywidgets
  installed: the widget bar of ``tqdm.auto``;
* elsewhere (papermill under ``make reproduce``, pytest, a terminal, a log
  file): a text bar (on stdout inside a kernel, stderr otherwise), redrawn at
  most every few seconds so logs stay short. ``MEDLIB_PROGRESS=text`` forces text bars, ``MEDLIB_PROGRESS=off``
  turns every bar off.
"""
from __future__ import annotations

import os
import sys


def _in_live_frontend() -> bool:
    """True inside an IPython kernel that a front end is attached to (not papermill)."""
    if "ipykernel" not in sys.modules or os.environ.get("PAPERMILL_EXECUTION") or \
            os.environ.get("MEDLIB_PROGRESS") == "text":
        return False
    try:
        import ipywidgets  # noqa: F401
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


def progress_bar(iterable=None, desc: str = "", total: int | None = None, disable: bool = False,
                 **kwargs):
    """A tqdm bar over ``iterable`` (see the module docstring for where it renders)."""
    if os.environ.get("MEDLIB_PROGRESS") == "off":
        disable = True
    if _in_live_frontend():
        from tqdm.auto import tqdm

        return tqdm(iterable, desc=desc, total=total, disable=disable, **kwargs)
    from tqdm import tqdm

    # a kernel without a live front end (papermill): stdout, so the bar is not a red stderr
    # block in the report; position 0: nested bars take turns on one line instead of moving
    # the cursor with escape codes, which a log or a notebook cannot replay
    stream = sys.stdout if "ipykernel" in sys.modules else sys.stderr
    return tqdm(iterable, desc=desc, total=total, disable=disable, file=stream, position=0,
                mininterval=kwargs.pop("mininterval", 5.0), ascii=True, dynamic_ncols=False,
                ncols=100, **kwargs)
