"""Regenerate the README's tables from committed results, never by hand (``tests/test_readme.py``
fails when the README and this script disagree).

* verdicts: every claim of the ``claims`` tables of ``extended`` and ``quick``, each
  from the strongest profile that tested it (extended before quick);
* coverage: every claim of the registry (``medlib.claims``), its verdict or why it is not tested;
* departures: ``medlib.departures``;
* power: the central claim's power table from the committed ``extended`` folds;
* readings: every second reading of an ambiguous passage, its folds and its rule's decision
  (``medlib.report.second_reading_decisions`` on the committed ``extended`` folds).

Each table sits between ``<!-- name:begin -->`` and ``<!-- name:end -->`` markers.

    .venv/bin/python scripts/render_readme.py          # rewrite README.md
    .venv/bin/python scripts/render_readme.py --check  # exit 1 if README.md is out of date
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
PROFILES = ("extended", "quick")  # strongest first
NETWORK_SD_ALT = 3.0  # the between-network SD the power table also shows (points; an earlier look's estimate)


def strongest_claims(root: Path = ROOT) -> pd.DataFrame:
    """One row per claim key: the first profile's row (in :data:`PROFILES`) that tested it, else the
    first profile's row."""
    from medlib import tables

    paths = [root / "results" / p / tables.TABLES["claims"].file for p in PROFILES]
    frames = [pd.read_csv(p) for p in paths if p.exists()]
    rows = []
    for key in dict.fromkeys(k for f in frames for k in f["key"]):
        candidates = [f[f["key"] == key].iloc[0] for f in frames if key in set(f["key"])]
        tested = [r for r in candidates if not str(r["verdict"]).startswith("not tested")]
        placed = [r for r in candidates if r["profile"] != "-"]  # a profile looked, and says why not
        rows.append((tested or placed or candidates)[0])
    return pd.DataFrame(rows).reset_index(drop=True)


def _cell(text) -> str:
    return str(text).replace("|", "/").replace("\n", " ") if isinstance(text, str) else ""


def verdict_table(claims: pd.DataFrame) -> str:
    from medlib.claim_rows import estimate_format, format_number as _num

    lines = ["| claim | verdict | estimate [95% CI] | across datasets | sensitivity (at-floor runs out; repeat spread: its most influential block out) | profile |",
             "|---|---|---|---|---|---|"]
    for r in claims.itertuples():
        fmt = estimate_format(r._asdict())  # points (signed for a paired difference), or map scores in [0, 1]
        est = (f"{_num(r.estimate, fmt)} [{_num(r.ci_low, fmt)}, {_num(r.ci_high, fmt)}]"
               if _num(r.ci_low) else _num(r.estimate, fmt))
        of = _cell(getattr(r, "estimate_of", ""))
        est += f" ({of})" if est and of else ""
        tau_high = getattr(r, "tau_high", float("nan"))  # a claims table written before the column
        bound = f" (95 % upper bound {_num(tau_high, '{:.1f}')})" if _num(tau_high) else ""
        across = (f"{int(r.n_datasets)} datasets, tau {_num(r.tau, '{:.1f}')}{bound}, prediction "
                  f"[{_num(r.pred_low)}, {_num(r.pred_high)}]" if _num(r.pred_low) else
                  (f"{int(r.n_datasets)} dataset(s)" if _num(r.n_datasets, "{:.0f}") else ""))
        design = _cell(getattr(r, "design", ""))
        across += f"; {design}" if across and design else ""
        sens = (f"{_cell(r.sens_verdict)} {_num(r.sens_estimate, fmt)} [{_num(r.sens_low, fmt)}, {_num(r.sens_high, fmt)}]"
                if _num(r.sens_low) else _cell(r.sens_verdict))
        lines.append(f"| {_cell(r.claim)} | **{_cell(r.verdict)}** | {est} | {across} | {sens} | {r.profile} |")
    return "\n".join(lines)


def coverage_table(claims: pd.DataFrame) -> str:
    from medlib.report import coverage

    cov = coverage(claims)
    gaps = cov[cov["gap"] != ""]
    lines = [f"{len(cov) - len(gaps)} of {len(cov)} registered claims are tested (verdicts above); the "
             f"other {len(gaps)}, and why (notebook 06 prints all {len(cov)}):", "",
             "| paper | claim (key) | verdict | gap | why not tested |", "|---|---|---|---|---|"]
    for r in gaps.itertuples():
        why = _cell(r.why_not_tested)
        lines.append(f"| {r.paper} | `{r.key}` | {_cell(r.verdict)} | {_cell(r.gap)} | "
                     f"{why[:220] + ('...' if len(why) > 220 else '')} |")
    return "\n".join(lines)


def departures_table() -> str:
    from medlib.departures import DEPARTURES

    lines = ["| topic | the paper | this study | why | can move |", "|---|---|---|---|---|"]
    lines += [f"| {d.topic} | {_cell(d.paper)} | {_cell(d.ours)} | {_cell(d.why)} | {_cell(d.moves)} |"
              for d in DEPARTURES]
    return "\n".join(lines)


def extended_folds(root: Path = ROOT) -> pd.DataFrame | None:
    """The committed ``extended`` fold table (defaults filled), read once for every block that
    needs it; None where it is not committed."""
    from medlib import report, tables

    path = root / "results" / "extended" / tables.TABLES["transfer"].file
    return report.with_defaults(pd.read_csv(path)) if path.exists() else None


def power_table(df: pd.DataFrame | None) -> str:
    """The central claim's power (``medlib.evidence.power_table`` on the committed ``extended``
    folds, as notebook 06 prints it): the smallest pooled effect 5 folds x 2 seeds detect at 80 %
    power on 6, 8 and 11 datasets, the datasets +5 and +7 points need and a tie (equivalence within
    +-2) needs, per between-dataset SD, and the half-width of the registered design's interval."""
    from scipy.stats import t as student_t

    from medlib import evidence, meta, report, stats
    from medlib.profiles import PROFILES, WITH_WEIGHTS

    if df is None:
        return "(no committed extended folds)"
    result = report.strategy_comparison(df, "off_the_shelf", "scratch", WITH_WEIGHTS)
    if result is None:
        return "(no dataset has both arms)"
    comp, table = evidence.power_table(df, result, network_taus=(NETWORK_SD_ALT,), datasets=(6, 8, 11),
                                       folds=(5,), seeds=(2,))
    plan = PROFILES["extended"].planned_units("off_the_shelf", "scratch", WITH_WEIGHTS)
    n_datasets = len({u["dataset"] for u in plan})
    folds, seeds = min(u["folds"] for u in plan), min(u["replicates_b"] for u in plan)
    half = student_t.ppf(0.975, n_datasets - 1) * meta.pooled_se(comp, n_datasets, folds, seeds)
    arms = evidence.seed_sd_by_arm(df, result)
    p = result.primary
    alt, observed_net = NETWORK_SD_ALT, round(float(comp.network ** 0.5), 1)
    lines = [f"Observed: fold SD {comp.fold ** 0.5:.1f} points (one network), seed SD {comp.seed ** 0.5:.1f} "
             f"(pooled over {' and '.join(f'{a} {v:.1f}' for a, v in arms.items())}; a replicate shares its fold's "
             f"initial weights, so a lower bound), between a dataset's networks {comp.network ** 0.5:.1f} "
             f"(95 % upper bound {p.tau2_unit_high ** 0.5:.1f}, profile likelihood), between datasets "
             f"{comp.dataset ** 0.5:.1f} (up to {p.tau2_dataset_high ** 0.5:.1f}); the total tau's upper bound is {p.tau_high:.1f} "
             f"(Q-profile over the units, treated as independent), at which a new unit could land in "
             f"[{p.pred_low_tau_high:+.1f}, {p.pred_high_tau_high:+.1f}]. "
             f"Complete, the registered design ({n_datasets} datasets x {len(WITH_WEIGHTS)} networks x {folds} folds x "
             f"{seeds} seeds) gives an interval of about +-{half:.1f} points at the observed components: wide "
             f"enough to decide a large effect, far too wide to show a tie within +-{stats.MARGIN:g} (last "
             "column); the power that chose the design, fixed before its first fold, is in the plan. "
             + report.robustness_text(result),
             "", "| between-dataset SD" + (f" (in brackets: between-network SD {alt:g}, not the observed "
                                       f"{observed_net:g})" if alt != observed_net else "")
             + " | 6 datasets | 8 | 11 | datasets for +5 | for +7 | for a tie (equivalence) |",
             "|---|---|---|---|---|---|---|"]
    for tau, g in table.groupby("tau_dataset"):
        base = g[g["tau_network"] == observed_net].set_index("datasets")
        more = g[g["tau_network"] == alt].set_index("datasets")

        def cell(col, d=None):
            a, b = (t.loc[d, col] if d is not None else t[col].iloc[0] for t in (base, more))
            fmt = (lambda x: f"{x:.1f}") if d is not None else str
            return fmt(a) + (f" ({fmt(b)})" if alt != observed_net else "")
        lines.append(f"| {tau:.1f} | " + " | ".join(cell("detectable_points", d) for d in (6, 8, 11))
                     + f" | {cell('datasets_for_5')} | {cell('datasets_for_7')} | {cell('datasets_for_equivalence')} |")
    return "\n".join(lines)


def readings_table(df: pd.DataFrame | None) -> str:
    """Each second reading (``medlib.report.second_reading_decisions``): what it reads, the fold
    runs committed, its rule's decision (interim until its planned folds) and each network's
    paired difference from the first reading."""
    from medlib import report
    from medlib.second_readings import DISPLAY_HEADERS

    if df is None:
        df = pd.DataFrame(columns=["dataset", "network", "status"])
    lines = ["| " + " | ".join(DISPLAY_HEADERS.values()) + " |", "|" + "---|" * len(DISPLAY_HEADERS)]
    for r in report.second_reading_decisions(df).itertuples():
        lines.append(f"| `{r.reading}`: {_cell(r.label)} | {r.fold_runs} | {_cell(r.decision)} | {_cell(r.differences)} |")
    return "\n".join(lines)


def render(text: str, root: Path = ROOT) -> str:
    claims, folds = strongest_claims(root), extended_folds(root)
    blocks = {"verdicts": verdict_table(claims), "coverage": coverage_table(claims),
              "departures": departures_table(), "power": power_table(folds),
              "readings": readings_table(folds)}
    for name, table in blocks.items():
        pattern = re.compile(rf"(<!-- {name}:begin -->\n).*?(<!-- {name}:end -->)", re.S)
        if not pattern.search(text):
            raise ValueError(f"README.md has no <!-- {name}:begin --> ... <!-- {name}:end --> block")
        text = pattern.sub(lambda m: m.group(1) + table + "\n" + m.group(2), text)
    return text


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    readme = ROOT / "README.md"
    old = readme.read_text()
    new = render(old)
    if args.check:
        if new != old:
            print("README.md is out of date: run scripts/render_readme.py", file=sys.stderr)
            return 1
        return 0
    readme.write_text(new)
    print(f"wrote {readme.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
