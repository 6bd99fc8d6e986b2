"""Tables of notebook 02 derived from the tidy fold rows, beside the paper's.

Every function takes the tidy table of :func:`medlib.experiments.transfer.collect`
(one row per fold; ``status`` is ``ok`` or ``not run``) and returns a DataFrame;
nothing here is typed by hand except the paper's numbers in :mod:`medlib.paper`.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .. import paper
from ..metrics import METRICS, paired_test


def ok_rows(df: pd.DataFrame) -> pd.DataFrame:
    return df[df["status"] == "ok"] if len(df) else df


def not_run(df: pd.DataFrame) -> pd.DataFrame:
    """One row per dataset/network/strategy that could not be trained, with the reason."""
    if not len(df):
        return pd.DataFrame(columns=["dataset", "network", "strategy", "reason"])
    bad = df[df["status"] != "ok"]
    return (bad.groupby(["dataset", "network", "strategy"], as_index=False)["reason"].first()
            .assign(reason=lambda d: d["reason"].str.split("\n").str[0]))


def mean_metrics(df: pd.DataFrame) -> pd.DataFrame:
    """Mean and SD over folds of every metric per dataset/network/strategy (ok folds only)."""
    ok = ok_rows(df)
    g = ok.groupby(["dataset", "network", "strategy"])
    mean = g[list(METRICS)].mean()
    sd = g[list(METRICS)].std().add_suffix("_sd")
    return pd.concat([mean, sd, g.size().rename("folds")], axis=1).reset_index()


def accuracy_beside_paper(df: pd.DataFrame, strategy: str) -> pd.DataFrame:
    """Tables 5 / 7 in long form: ours (mean over folds), the paper's, and ours - paper."""
    ours = mean_metrics(df)
    ours = ours[ours["strategy"] == strategy][["dataset", "network", "accuracy", "accuracy_sd", "folds"]]
    ref = paper.accuracy_table(strategy).stack().rename("paper").reset_index()
    out = ours.merge(ref, on=["dataset", "network"], how="left").rename(columns={"accuracy": "ours"})
    out["diff"] = out["ours"] - out["paper"]
    return out[["dataset", "network", "ours", "accuracy_sd", "paper", "diff", "folds"]]


def accuracy_grid(df: pd.DataFrame, strategy: str) -> pd.DataFrame:
    """Tables 5 / 7 shape: dataset x network cells 'ours (paper)'; 'not run' where untrained."""
    long = accuracy_beside_paper(df, strategy)
    cells = {}
    for r in long.itertuples():
        ref = "" if pd.isna(r.paper) else f" ({r.paper:.1f})"
        cells[(r.dataset, r.network)] = f"{r.ours:.1f}{ref}"
    ref = paper.accuracy_table(strategy)
    for r in not_run(df).itertuples():
        if r.strategy == strategy:
            p = ref.loc[r.dataset, r.network] if r.dataset in ref.index else np.nan
            cells[(r.dataset, r.network)] = "not run" + ("" if pd.isna(p) else f" ({p:.1f})")
    if not cells:
        return pd.DataFrame()
    s = pd.Series(cells)
    grid = s.unstack()
    cols = [c for c in paper.NETWORK_COLUMNS if c in grid.columns]
    return grid[cols].rename_axis(index="dataset", columns="network")


def best_beside_paper(df: pd.DataFrame, strategy: str) -> pd.DataFrame:
    """Tables 6 / 8: our best network per dataset with all metrics, and the paper's best row."""
    ours = mean_metrics(df)
    ours = ours[ours["strategy"] == strategy]
    if not len(ours):
        return pd.DataFrame()
    best = ours.loc[ours.groupby("dataset")["accuracy"].idxmax()].set_index("dataset")
    ref = paper.best_network_table(strategy)
    rows = []
    for dataset, r in best.iterrows():
        rows.append({"dataset": dataset, "source": "ours", "network": r["network"],
                     **{m: r[m] for m in METRICS}})
        if dataset in ref.index:
            p = ref.loc[dataset]
            rows.append({"dataset": dataset, "source": "paper", "network": p["network"],
                         **{m: p.get(m, np.nan) for m in METRICS}})
    return pd.DataFrame(rows).set_index(["dataset", "source"])


def strategy_change(df: pd.DataFrame) -> pd.DataFrame:
    """Figure 3: accuracy(scratch) - accuracy(off-the-shelf) per dataset and network, ours and paper."""
    ours = mean_metrics(df).pivot_table(index=["dataset", "network"], columns="strategy",
                                        values="accuracy")
    rows = []
    p5, p7 = paper.accuracy_table("off_the_shelf"), paper.accuracy_table("scratch")
    for (dataset, network), r in ours.iterrows():
        if {"scratch", "off_the_shelf"} <= set(r.dropna().index):
            ref = (p7.loc[dataset, network] - p5.loc[dataset, network]
                   if dataset in p5.index and network in p5.columns else np.nan)
            rows.append({"dataset": dataset, "network": network,
                         "ours": r["scratch"] - r["off_the_shelf"], "paper": ref})
    return pd.DataFrame(rows, columns=["dataset", "network", "ours", "paper"])


def paired_strategy_tests(df: pd.DataFrame, metric: str = "accuracy") -> pd.DataFrame:
    """Scratch vs off-the-shelf on the same folds (paired t and Wilcoxon), per dataset/network."""
    ok = ok_rows(df)
    rows = []
    for (dataset, network), g in ok.groupby(["dataset", "network"]):
        wide = g.pivot_table(index="fold", columns="strategy", values=metric)
        if {"scratch", "off_the_shelf"} <= set(wide.columns):
            wide = wide.dropna()
            if len(wide) >= 2:
                rows.append({"dataset": dataset, "network": network,
                             **paired_test(wide["off_the_shelf"], wide["scratch"])})
    return pd.DataFrame(rows)


def best_overall(df: pd.DataFrame) -> pd.DataFrame:
    """Figure 4: best network and strategy per dataset (ours), with the paper's best of both tables."""
    ours = mean_metrics(df)
    if not len(ours):
        return pd.DataFrame()
    best = ours.loc[ours.groupby("dataset")["accuracy"].idxmax()]
    refs = {s: paper.best_network_table(s) for s in ("off_the_shelf", "scratch")}
    rows = []
    for r in best.itertuples():
        row = {"dataset": r.dataset, "network": r.network, "strategy": r.strategy,
               "accuracy": r.accuracy}
        cands = [(t.loc[r.dataset], s) for s, t in refs.items() if r.dataset in t.index]
        if cands:
            p, s = max(cands, key=lambda c: c[0]["accuracy"])
            row.update(paper_network=p["network"], paper_strategy=s, paper_accuracy=p["accuracy"])
        rows.append(row)
    return pd.DataFrame(rows)


EQUIVALENT_POINTS = 2.0  # the paper's run-to-run spread: differences under 2 points are ties


def claims(df: pd.DataFrame) -> list[str]:
    """The paper's claims of s3.1-3.2, each checked on ``df``; sentences with the numbers."""
    out = []
    change = strategy_change(df)
    if len(change):
        d = change["ours"]
        better, worse = int((d > EQUIVALENT_POINTS).sum()), int((d < -EQUIVALENT_POINTS).sum())
        ties = len(d) - better - worse
        pd_ = change["paper"].dropna()
        out.append(f"Scratch vs off-the-shelf (ties within {EQUIVALENT_POINTS:g} points): scratch better in "
                   f"{better}, tie in {ties}, worse in {worse} of {len(d)} dataset/network pairs that ran "
                   f"both ways (paper, same pairs: better in {int((pd_ > EQUIVALENT_POINTS).sum())} of "
                   f"{len(pd_)}).")
    else:
        out.append("Scratch vs off-the-shelf: not testable, no network ran both strategies.")
    means = mean_metrics(df)
    for strategy in ("scratch", "off_the_shelf"):
        m = means[means["strategy"] == strategy]
        for dataset, g in m.groupby("dataset"):
            top = g.loc[g["accuracy"].idxmax()]
            ff = g[g["network"] == "ff_vgg19"]
            if len(ff):
                gap = top["accuracy"] - ff["accuracy"].iloc[0]
                verdict = "holds" if gap <= EQUIVALENT_POINTS else "does not hold"
                out.append(f"FF-VGG19 best or tied on {dataset} ({strategy}): {verdict}; FF-VGG19 "
                           f"{ff['accuracy'].iloc[0]:.1f}% vs best {top['network']} {top['accuracy']:.1f}%.")
            else:
                out.append(f"FF-VGG19 best on {dataset} ({strategy}): not testable, FF-VGG19 not run "
                           f"({'no VGG19 ImageNet weights offline' if strategy == 'off_the_shelf' else 'not in profile'}).")
    vgg = change[change["network"] == "vgg19"] if len(change) else change
    if not len(vgg):
        out.append("VGG19 better off-the-shelf than from scratch: not testable here "
                   "(no VGG19 ImageNet weights offline).")
    return out
