"""Tables of notebook 02 derived from the tidy fold rows, beside the paper's, with floors.

Every function takes the tidy table of :func:`medlib.experiments.transfer.collect`
(one row per fold; ``status`` ``ok`` or ``not run``; ``head`` ``dense``, the
paper's head, or ``logreg``, the probe; ``majority`` and ``diagnosis`` per fold)
and returns a DataFrame; nothing here is typed by hand except the papers' numbers
in :mod:`medlib.paper`. A group (dataset, network, strategy, head) whose mean
accuracy is within :data:`medlib.diagnose.FLOOR_MARGIN` points of its mean floor
is shown with its diagnosis and never picked as a best network or used in a
strategy comparison.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .. import paper, strategies
from ..diagnose import FLOOR_MARGIN, at_floor, join_diagnoses
from ..metrics import METRICS, paired_test

PAPER_HEAD = "dense"
EQUIVALENT_POINTS = 2.0  # the paper's run-to-run spread: differences under 2 points are ties


def ok_rows(df: pd.DataFrame) -> pd.DataFrame:
    return df[df["status"] == "ok"] if len(df) else df


def not_run(df: pd.DataFrame) -> pd.DataFrame:
    """One row per dataset/network/strategy that could not be trained, with the reason."""
    if not len(df):
        return pd.DataFrame(columns=["dataset", "network", "strategy", "reason"])
    bad = df[df["status"] != "ok"]
    if not len(bad):  # everything ran (e.g. a user's dataset with both networks' weights)
        return pd.DataFrame(columns=["dataset", "network", "strategy", "reason"])
    return (bad.groupby(["dataset", "network", "strategy"], as_index=False)["reason"].first()
            .assign(reason=lambda d: d["reason"].str.split("\n").str[0]))


UNUSED_VALIDATION = "last"
"""A fold row's ``selection`` when its validation images chose nothing (a fixed epoch count, the
last epoch kept): the learner never used them."""


def row_ratios(rows: pd.DataFrame) -> pd.Series:
    """Each fold row's test/train ratio, the n2/n1 of Nadeau & Bengio's corrected variance: test
    images over the images the learner used, the training images and the validation images
    where they chose something (an epoch, a probe's C: any ``selection`` but
    :data:`UNUSED_VALIDATION`; a row without the field, written before it existed, counts them).
    NaN where a row has no split sizes."""
    if not {"n_test", "n_train", "n_val"} <= set(rows.columns):
        return pd.Series(np.nan, index=rows.index)
    used_val = (rows["selection"] != UNUSED_VALIDATION) if "selection" in rows else True
    return rows["n_test"] / (rows["n_train"] + rows["n_val"] * used_val)


def test_train_ratio(df: pd.DataFrame, dataset: str | None = None) -> float:
    """The test/train ratio (:func:`row_ratios`) of ``dataset``'s trained fold rows (None: all of
    ``df``'s) for a paired difference of the arms ``df`` holds: averaged over each arm's folds
    (network, strategy, head), the largest arm's, as a difference is no less correlated across
    folds than its more correlated arm. Callers pass the two arms they compare; a single arm's
    interval takes its own rows (:func:`mean_metrics`). NaN without split sizes."""
    rows = df if dataset is None else df[df["dataset"] == dataset]
    if "status" in rows:
        rows = rows[rows["status"] == "ok"]
    ratio = row_ratios(rows).dropna()
    if not len(ratio):
        return float("nan")
    rows = rows.loc[ratio.index]
    arms = [c for c in ("network", "strategy", "head") if c in rows]
    return float(ratio.groupby([rows[c].fillna("") for c in arms]).mean().max() if arms else ratio.mean())


def arms_ratio(df: pd.DataFrame, dataset: str, network: str, strategies=("off_the_shelf", "scratch"),
               head: str | None = None) -> float:
    """:func:`test_train_ratio` of one paired comparison: ``network`` on ``dataset`` under
    ``strategies`` (at ``head`` where given), so a paired interval never takes another
    network's split."""
    mine = (df["dataset"] == dataset) & (df["network"] == network) & df["strategy"].isin(strategies)
    if head is not None and "head" in df:
        mine &= df["head"] == head
    return test_train_ratio(df[mine])


def mean_metrics(df: pd.DataFrame) -> pd.DataFrame:
    """Mean and SD over folds of every metric per dataset/network/strategy/head (ok folds only),
    with the mean floor, the margin above it, ``at_floor`` and the diagnoses seen. Seed
    replicates of a fold are averaged first: a fold is one test set, however many training
    seeds ran on it (``folds`` counts test sets, ``seeds`` the replicates per fold). The accuracy
    interval is a t over folds with the Nadeau-Bengio corrected variance ``(1/J + n_test/n_train)
    s^2`` (folds share most of their training images; the plain ``s^2/J`` where the rows carry no
    split sizes). Where it is undefined (one fold) or empty (every fold the same accuracy, all
    images right, say), the exact binomial interval over the folds' pooled test images, which
    describes the fitted models on those images."""
    ok = ok_rows(df)
    if not len(ok):
        return pd.DataFrame(columns=["dataset", "network", "strategy", "head", *METRICS, "majority"])
    keys = ["dataset", "network", "strategy", "head"]
    metrics = [m for m in METRICS if m in ok]
    if "fold" in ok:
        numeric = metrics + ["majority"] + (["n_test"] if "n_test" in ok else [])
        per = ok.groupby(keys + ["fold"])
        ok = pd.concat([per[numeric].mean(), per.size().rename("seeds"),
                        per["diagnosis"].agg(join_diagnoses)], axis=1).reset_index()
    else:
        ok = ok.assign(seeds=1)
    g = ok.groupby(keys)
    out = pd.concat([g[metrics].mean(), g[metrics].std().add_suffix("_sd"), g["majority"].mean(),
                     g.size().rename("folds"), g["seeds"].max(),
                     g["diagnosis"].agg(join_diagnoses)],
                    axis=1).reset_index()
    out["above_floor"] = out["accuracy"] - out["majority"]
    out["at_floor"] = [at_floor(a, m) for a, m in zip(out["accuracy"], out["majority"])]
    from scipy import stats as st

    n = out["folds"].to_numpy(float)
    trained = ok_rows(df)
    own = row_ratios(trained).groupby([trained[k] for k in keys]).mean()  # each arm its own split
    ratio = np.array([own.get(tuple(k), np.nan) for k in out[keys].itertuples(index=False)], float)
    ratio = np.where(np.isfinite(ratio), ratio, 0.0)
    half = np.where(n > 1, st.t.ppf(0.975, np.maximum(n - 1, 1)) * out["accuracy_sd"]
                    * np.sqrt(1.0 / np.maximum(n, 1) + ratio), np.nan)
    # a Student-t interval of a few folds near 100 % can pass it; an accuracy cannot
    out["accuracy_ci_low"] = np.clip(out["accuracy"] - half, 0.0, 100.0)
    out["accuracy_ci_high"] = np.clip(out["accuracy"] + half, 0.0, 100.0)
    if "n_test" in ok:  # one fold, or folds without spread: the exact binomial over their test images
        from ..stats import proportion_interval

        flat = ~(half > 0)
        hits = (ok["accuracy"] / 100 * ok["n_test"]).groupby([ok[k] for k in keys]).sum()
        images = ok["n_test"].groupby([ok[k] for k in keys]).sum()
        for i in out.index[flat]:
            key = tuple(out.loc[i, keys])
            if images.get(key, 0) > 0:
                out.loc[i, ["accuracy_ci_low", "accuracy_ci_high"]] = proportion_interval(hits[key], images[key])
    out["one_image"] = (100.0 / g["n_test"].min()).to_numpy() if "n_test" in ok else np.nan
    return out


def _paper_head(means: pd.DataFrame, strategy: str) -> pd.DataFrame:
    return means[(means["strategy"] == strategy) & (means["head"] == PAPER_HEAD)]


def accuracy_beside_paper(df: pd.DataFrame, strategy: str) -> pd.DataFrame:
    """Tables 5 / 7 in long form: ours (paper's head, mean over folds) beside its floor and
    diagnosis, the probe (off-the-shelf), the paper's number, and ours - paper."""
    means = mean_metrics(df)
    ours = _paper_head(means, strategy)[["dataset", "network", "accuracy", "accuracy_sd", "accuracy_ci_low",
                                         "accuracy_ci_high", "one_image", "folds", "majority", "at_floor",
                                         "diagnosis"]]
    probe = means[(means["strategy"] == strategy) & (means["head"] == "logreg")]
    ours = ours.merge(probe[["dataset", "network", "accuracy"]].rename(columns={"accuracy": "probe"}),
                      on=["dataset", "network"], how="left")
    ref = paper.accuracy_table(strategy).stack().rename("paper").reset_index()
    out = ours.merge(ref, on=["dataset", "network"], how="left").rename(columns={"accuracy": "ours"})
    out["diff"] = out["ours"] - out["paper"]
    return out[["dataset", "network", "ours", "accuracy_ci_low", "accuracy_ci_high", "one_image", "folds",
                "majority", "at_floor", "probe", "paper", "diff", "diagnosis"]]


def accuracy_grid(df: pd.DataFrame, strategy: str) -> pd.DataFrame:
    """Tables 5 / 7 shape: dataset x network cells 'ours (paper)', ours marked '†' at its floor,
    'not run' where untrained; a ``floor`` column with each dataset's majority rate."""
    long = accuracy_beside_paper(df, strategy)
    cells = {}
    for r in long.itertuples():
        ref = "" if pd.isna(r.paper) else f" ({r.paper:.1f})"
        cells[(r.dataset, r.network)] = f"{r.ours:.1f}{'†' if r.at_floor else ''}{ref}"
    ref = paper.accuracy_table(strategy)
    for r in not_run(df).itertuples():
        if strategies.is_(r.strategy, strategy):
            p = ref.loc[r.dataset, r.network] if r.dataset in ref.index else np.nan
            cells[(r.dataset, r.network)] = "not run" + ("" if pd.isna(p) else f" ({p:.1f})")
    if not cells:
        return pd.DataFrame()
    grid = pd.Series(cells).unstack()
    cols = [c for c in paper.NETWORK_COLUMNS if c in grid.columns]
    grid = grid[cols].rename_axis(index="dataset", columns="network")
    floors = long.groupby("dataset")["majority"].mean()
    grid["floor"] = [f"{floors[d]:.1f}" if d in floors else "" for d in grid.index]
    return grid


def best_beside_paper(df: pd.DataFrame, strategy: str) -> pd.DataFrame:
    """Tables 6 / 8: our best network per dataset (paper's head, among groups above their
    floor) with all metrics, and the paper's best row."""
    ours = _paper_head(mean_metrics(df), strategy)
    if not len(ours):
        return pd.DataFrame()
    ref = paper.best_network_table(strategy)
    rows = []
    for dataset, g in ours.groupby("dataset"):
        above = g[~g["at_floor"]]
        if len(above):
            r = above.loc[above["accuracy"].idxmax()]
            rows.append({"dataset": dataset, "source": "ours", "network": r["network"],
                         **{m: r[m] for m in METRICS}, "majority": r["majority"]})
        else:
            rows.append({"dataset": dataset, "source": "ours", "network": "none above its floor",
                         "majority": g["majority"].mean()})
        if dataset in ref.index:
            p = ref.loc[dataset]
            rows.append({"dataset": dataset, "source": "paper", "network": p["network"],
                         **{m: p.get(m, np.nan) for m in METRICS}})
    return pd.DataFrame(rows).set_index(["dataset", "source"])


def folds_text(n: int) -> str:
    """'1 fold' / '5 folds': every mean shown with the number of folds it is over."""
    return f"{n} fold{'s' if n != 1 else ''}"


def shared_folds(df: pd.DataFrame) -> pd.DataFrame:
    """Ok rows of the paper's head on the folds where the same dataset and network ran both
    strategies. Folds differ in difficulty (COV_CT from scratch: 57-80% on three folds of one
    split), so means over different folds would compare the folds as much as the strategies;
    every profile runs the first k folds of one saved split, so fold ids pair up."""
    ok = ok_rows(df)
    if not len(ok):
        return ok
    ok = ok[ok["head"] == PAPER_HEAD]
    both = (ok.groupby(["dataset", "network", "fold"])["strategy"]
            .transform(lambda s: {"scratch", "off_the_shelf"} <= set(s)))
    return ok[both.astype(bool)]


def networks_on_common_folds(df: pd.DataFrame, strategy: str) -> pd.DataFrame:
    """Ok rows of the paper's head under ``strategy``, per dataset only on the folds that every
    network of that dataset ran: a ranking of networks is made on the same test images."""
    ok = ok_rows(df)
    if not len(ok):
        return ok
    ok = ok[(ok["strategy"] == strategy) & (ok["head"] == PAPER_HEAD)]
    networks = ok.groupby("dataset")["network"].transform("nunique")
    on_fold = ok.groupby(["dataset", "fold"])["network"].transform("nunique")
    return ok[on_fold == networks]


def strategy_change(df: pd.DataFrame) -> pd.DataFrame:
    """Figure 3: accuracy(scratch) - accuracy(off-the-shelf), paper's head, per dataset and
    network, ours on the ``folds`` both strategies ran at the same input size (paired, with
    the Nadeau-Bengio corrected 95 % interval of the mean per-fold difference, the claims' own,
    ``ci_low``/``ci_high``) and the paper's; ``comparable`` is False where either side is at its
    floor on those folds (an outcome all the same: drawn, hatched) or the two ran at different
    input sizes (``note`` says which)."""
    from ..stats import corrected_fold_interval, one_image

    cols = ["dataset", "network", "folds", "scratch", "off_the_shelf", "ours", "ci_low", "ci_high",
            "one_image", "paper", "comparable", "note"]
    p5, p7 = paper.accuracy_table("off_the_shelf"), paper.accuracy_table("scratch")
    pairs = fold_pairs(df, "strategy", "off_the_shelf", "scratch", ("dataset", "network"))
    rows = []
    for (dataset, network), g in (pairs.groupby(["dataset", "network"]) if len(pairs) else ()):
        ref = (p7.loc[dataset, network] - p5.loc[dataset, network]
               if dataset in p5.index and network in p5.columns else np.nan)
        floor = [s for s, col in (("scratch", "b"), ("off_the_shelf", "a"))
                 if at_floor(g[col].mean(), g[f"majority_{col}"].mean())]
        ratio = arms_ratio(df, dataset, network, head=PAPER_HEAD)
        iv = corrected_fold_interval(g["diff"], ratio if np.isfinite(ratio) else 0.0)
        rows.append({"dataset": dataset, "network": network, "folds": len(g), "scratch": g["b"].mean(),
                     "off_the_shelf": g["a"].mean(), "ours": iv.estimate, "ci_low": iv.low,
                     "ci_high": iv.high, "one_image": one_image(g["n_test_a"]), "paper": ref,
                     "comparable": not floor, "note": "; ".join(f"{s} at its floor" for s in floor)})
    paired = {(r["dataset"], r["network"]) for r in rows}
    both = shared_folds(df)
    for (dataset, network), g in (both.groupby(["dataset", "network"]) if len(both) else ()):
        if (dataset, network) not in paired:
            sizes = " vs ".join(f"{s} {', '.join(sorted(map(str, g[g['strategy'] == s]['input_size'].unique())))}"
                                for s in ("scratch", "off_the_shelf")) if "input_size" in g else ""
            rows.append({"dataset": dataset, "network": network, "folds": 0, "comparable": False,
                         "note": f"not paired: input sizes differ ({sizes})"})
    return pd.DataFrame(rows, columns=cols)


def _paper_head_both(means: pd.DataFrame) -> pd.DataFrame:
    return means[means["head"] == PAPER_HEAD]


def paired_strategy_tests(df: pd.DataFrame, metric: str = "accuracy") -> pd.DataFrame:
    """Scratch vs off-the-shelf (paper's head) on the folds both ran, per dataset and network:
    the mean difference with the Nadeau-Bengio corrected 95 % interval and its two-sided p (the
    claims' own; folds share most of their training images), and the plain paired t and
    Wilcoxon p, which treat folds as independent and are printed to show how much that
    overstates (``t_p`` is smaller than ``corrected_p`` wherever the folds vary)."""
    from ..stats import corrected_fold_interval

    ok = shared_folds(df)
    rows = []
    for (dataset, network), g in ok.groupby(["dataset", "network"]):
        wide = g.pivot_table(index="fold", columns="strategy", values=metric)
        if {"scratch", "off_the_shelf"} <= set(wide.columns):
            wide = wide.dropna()
            if len(wide) >= 2:
                ratio = arms_ratio(df, dataset, network, head=PAPER_HEAD)
                iv = corrected_fold_interval(wide["scratch"] - wide["off_the_shelf"],
                                             ratio if np.isfinite(ratio) else 0.0)
                two_sided = 2 * min(iv.p, 1 - iv.p) if np.isfinite(iv.p) else np.nan
                rows.append({"dataset": dataset, "network": network,
                             **paired_test(wide["off_the_shelf"], wide["scratch"]),
                             "corrected_low": iv.low, "corrected_high": iv.high, "corrected_p": two_sided})
    cols = ["dataset", "network", "n_folds", "mean_diff", "corrected_low", "corrected_high", "corrected_p",
            "t_p", "wilcoxon_p"]
    return pd.DataFrame(rows, columns=cols)


def best_overall(df: pd.DataFrame) -> pd.DataFrame:
    """Figure 4: best network and strategy per dataset (paper's head, above its floor), with
    the folds its mean is over (a 1-fold best is a lead, not a ranking) and the paper's best
    of Tables 6 and 8."""
    means = _paper_head_both(mean_metrics(df))
    if not len(means):
        return pd.DataFrame()
    refs = {s: paper.best_network_table(s) for s in ("off_the_shelf", "scratch")}
    rows = []
    for dataset, g in means.groupby("dataset"):
        above = g[~g["at_floor"]]
        row = {"dataset": dataset, "majority": g["majority"].mean()}
        if len(above):
            r = above.loc[above["accuracy"].idxmax()]
            row.update(network=r["network"], strategy=r["strategy"], accuracy=r["accuracy"],
                       folds=int(r["folds"]))
        else:
            row.update(network="none above its floor", strategy="", accuracy=np.nan)
        cands = [(t.loc[dataset], s) for s, t in refs.items() if dataset in t.index]
        if cands:
            p, s = max(cands, key=lambda c: c[0]["accuracy"])
            row.update(paper_network=p["network"], paper_strategy=s, paper_accuracy=p["accuracy"])
        rows.append(row)
    out = pd.DataFrame(rows)
    if "folds" in out:
        out["folds"] = out["folds"].astype("Int64")
    return out


def heads_compared(df: pd.DataFrame) -> pd.DataFrame:
    """Off-the-shelf: the paper's dense head beside the logistic probe on the same features."""
    m = mean_metrics(df)
    m = m[m["strategy"] == "off_the_shelf"]
    if not len(m):
        return pd.DataFrame()
    wide = m.pivot_table(index=["dataset", "network"], columns="head", values=["accuracy", "auc"])
    wide.columns = [f"{metric}_{head}" for metric, head in wide.columns]
    floors = m.groupby(["dataset", "network"])["majority"].mean().rename("majority")
    return wide.join(floors).reset_index()


def medmnist_beside_paper(df: pd.DataFrame) -> pd.DataFrame:
    """Ours on PneumoniaMNIST / BreastMNIST (official test split) beside MedMNIST v2 Table 3."""
    ours = mean_metrics(df)
    ours = ours[ours["dataset"].isin(["pneumoniamnist", "breastmnist"])]
    rows = [{"dataset": r.dataset, "method": f"ours: {r.network} {r.strategy} ({r.head})",
             "accuracy": r.accuracy, "auc": r.auc, "majority": r.majority, "at_floor": r.at_floor}
            for r in ours.itertuples()]
    ref = paper.medmnist_baselines().assign(method=lambda d: "MedMNIST v2: " + d["method"])
    out = pd.concat([pd.DataFrame(rows), ref], ignore_index=True)
    floors = ours.groupby("dataset")["majority"].first()
    out["majority"] = out["dataset"].map(floors)
    return out.sort_values(["dataset", "accuracy"], ascending=[True, False], ignore_index=True)


__all__ = ["ok_rows", "not_run", "row_ratios", "test_train_ratio", "arms_ratio", "mean_metrics", "accuracy_beside_paper", "accuracy_grid",
           "best_beside_paper", "folds_text", "networks_on_common_folds", "shared_folds",
           "strategy_change", "paired_strategy_tests", "best_overall", "heads_compared",
           "medmnist_beside_paper", "EQUIVALENT_POINTS", "FLOOR_MARGIN"]


# --- paired evidence (issue 20): the same folds, test images, input size and configuration ---

def fold_pairs(df: pd.DataFrame, side: str, a: str, b: str, within: tuple[str, ...],
               metric: str = "accuracy") -> pd.DataFrame:
    """Ok rows of the paper's head paired by ``within + ("fold",)``: one row per fold both
    ``side == a`` and ``side == b`` ran, with ``a``, ``b``, ``diff = b - a``, each side's
    floor, test size, input size and configuration hash. Pairs whose sides differ in input
    size or test size are dropped (they would compare two things at once)."""
    ok = ok_rows(df)
    if not len(ok):
        return pd.DataFrame()
    ok = ok[ok["head"] == PAPER_HEAD].copy()
    for col, default in (("config_hash", ""), ("input_size", ""), ("n_test", np.nan), ("diagnosis", "")):
        if col not in ok:
            ok[col] = default
    ok["config_hash"] = ok["config_hash"].fillna("")
    keys = list(within) + ["fold"]
    ok["diagnosis"] = ok["diagnosis"].fillna("")
    if "replicate" not in ok:
        ok["replicate"] = 0
    # replicates (other training seeds on the same fold) are averaged into their fold first
    ok = (ok.groupby(keys + [side], as_index=False, dropna=False)
          .agg(**{metric: (metric, "mean"), "majority": ("majority", "first"), "n_test": ("n_test", "first"),
                  "input_size": ("input_size", "first"), "diagnosis": ("diagnosis", join_diagnoses),
                  "config_hash": ("config_hash", lambda h: " ".join(sorted(set(h)))),
                  "replicates": ("replicate", "nunique")}))
    cols = keys + [metric, "majority", "n_test", "input_size", "config_hash", "diagnosis", "replicates"]
    left = ok[ok[side] == a][cols]
    right = ok[ok[side] == b][cols]
    out = left.merge(right, on=keys, suffixes=("_a", "_b"))
    def same(col):  # unknown on both sides (tables written before the column) counts as same
        x, y = out[f"{col}_a"], out[f"{col}_b"]
        return (x == y) | (x.isna() & y.isna())

    out = out[same("input_size") & same("n_test")]
    out = out.rename(columns={f"{metric}_a": "a", f"{metric}_b": "b"})
    out["diff"] = out["b"] - out["a"]
    out["side"], out["side_a"], out["side_b"] = side, a, b
    return out.reset_index(drop=True)


def image_correctness(profile: str, dataset: str, network: str, strategy: str, fold: int,
                      head: str = PAPER_HEAD) -> pd.Series | None:
    """Per test image (index in the dataset), whether the fold's model got it right (the share of
    its replicates that did, where the fold ran with more than one training seed), read from the
    fold's out-of-fold predictions; None where they are not on this machine."""
    import json

    from .transfer import FoldJob

    hits = []
    for r in range(100):
        path = FoldJob(dataset, network, strategy, int(fold), profile, head=head, replicate=r).predictions_path()
        if not path.exists():
            break
        p = json.loads(path.read_text())
        proba = np.asarray(p["proba"], float)
        hits.append(pd.Series((proba.argmax(1) == np.asarray(p["y_true"])).astype(float), index=p["test_index"]))
    return sum(hits) / len(hits) if hits else None


def paired_images(pairs: pd.DataFrame, profile: str, within: tuple[str, ...],
                  fixed: dict) -> tuple[np.ndarray, np.ndarray] | None:
    """Correctness of both sides on every test image of ``pairs`` (pooled out-of-fold, aligned
    by image), or None if any fold's predictions are missing. ``fixed``: the row fields that
    are the same on both sides (e.g. ``{"strategy": "scratch"}`` when networks are compared)."""
    a_all, b_all = [], []
    for r in pairs.to_dict("records"):
        sides = []
        for s in ("a", "b"):
            fields = {**fixed, **{k: r[k] for k in within}, r["side"]: r[f"side_{s}"]}
            sides.append(image_correctness(profile, fields["dataset"], fields["network"],
                                           fields["strategy"], r["fold"]))
        if sides[0] is None or sides[1] is None or not sides[0].index.equals(sides[1].index):
            return None
        a_all.append(sides[0].to_numpy())
        b_all.append(sides[1].to_numpy())
    if not a_all:
        return None
    return np.concatenate(a_all), np.concatenate(b_all)


def pairs_text(pairs: pd.DataFrame, within: tuple[str, ...]) -> str:
    """'xception cells2 folds 0-4 [hash a / hash b]; ...': the rows a verdict used."""
    parts = []
    for key, g in pairs.groupby(list(within)):
        key = key if isinstance(key, tuple) else (key,)
        folds = sorted(int(f) for f in g["fold"])
        span = f"{folds[0]}-{folds[-1]}" if folds == list(range(folds[0], folds[-1] + 1)) and len(folds) > 1 \
            else ",".join(map(str, folds))
        hashes = f"{g['config_hash_a'].iloc[0] or 'no hash'} / {g['config_hash_b'].iloc[0] or 'no hash'}"
        parts.append(f"{' '.join(map(str, key))} folds {span} [{hashes}]")
    return "; ".join(parts)
