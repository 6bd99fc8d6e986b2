"""What each block of a run cost: seconds per epoch and per fold job, and hours in all, by
the machine kind that trained the folds.

CPU hours are what this study is short of, so the price of every block is read from its
own fold files rather than quoted from a benchmark: a fold's ``seconds`` is its wall time
(data, training, batch-norm passes, prediction of the test fold), and ``epochs_run`` the
epochs it trained. Per epoch is ``sum(seconds) / sum(epochs_run)``, the whole fold's time
spread over its epochs, so early stopping is not read as speed. Folds are grouped by the
kind of machine that trained them (``cpu_kind``, with the allocator where it was not glibc's,
or the accelerator where one was used): two "AMD EPYC" machines of this project differ 5.8
times on the same fold, one CPU 2.4 times between allocators, and an average over both would
time neither. A fold that ran beside other work (a CI run, a benchmark)
is slower than a quiet one; the table reports what was measured, so read it as an upper
bound of the block's cost on a quiet machine of that kind.
"""
from __future__ import annotations

import pandas as pd

from .provenance import trained_on

COLUMNS = ["dataset", "network", "strategy", "head", "precision", "machine", "fold_jobs", "epochs_per_job",
           "s_per_epoch", "s_per_job", "hours"]


def block_costs(df: pd.DataFrame) -> pd.DataFrame:
    """One row per block and machine kind from the tidy results table (``collect``): fold
    jobs (folds x training seeds) that trained, mean epochs per job, seconds per epoch,
    mean seconds per job and total hours. Rows not trained (``status`` other than ok) or
    without recorded seconds cost nothing here."""
    ok = df[df["status"].eq("ok") & df["seconds"].notna()] if len(df) else df
    if not len(ok):
        return pd.DataFrame(columns=COLUMNS)
    machine = ok.apply(trained_on, axis=1).fillna("unrecorded")  # "unrecorded": files before the kind was
    ok = ok.assign(machine=machine, epochs_run=ok["epochs_run"] if "epochs_run" in ok else float("nan"))
    keys = ["dataset", "network", "strategy", "head", "precision", "machine"]
    g = ok.groupby(keys, dropna=False)
    out = g.agg(fold_jobs=("seconds", "size"), seconds=("seconds", "sum"), epochs=("epochs_run", "sum"),
                epochs_per_job=("epochs_run", "mean"), s_per_job=("seconds", "mean")).reset_index()
    out["s_per_epoch"] = (out["seconds"] / out["epochs"].where(out["epochs"] > 0)).round(1)
    out["hours"] = (out["seconds"] / 3600).round(2)
    out["s_per_job"] = out["s_per_job"].round(0)
    out["epochs_per_job"] = out["epochs_per_job"].round(1)
    return out[COLUMNS].sort_values(keys, ignore_index=True)


def total_hours(costs: pd.DataFrame, by: str | None = None) -> pd.Series | float:
    """Hours in all (``by``: a column to total them per, e.g. "dataset" or "machine")."""
    return float(costs["hours"].sum()) if by is None else costs.groupby(by)["hours"].sum().round(2)


__all__ = ["block_costs", "total_hours"]
