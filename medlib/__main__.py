"""Command line.

    python -m medlib data [--download]        where every dataset was looked for, and the inventory
    python -m medlib reproduce [--profile P] [--only 02 03] [--data FOLDER [--data-target FOLDER]]
                                              run the notebooks with papermill (`make reproduce`)
    python -m medlib run --profile P [--datasets ...] [--networks ...] [--strategies ...]
                         [--folds 0 1] [--precision float32] [--shard i/n] [--rerun] [--list]
                                              fold jobs of notebook 02 without a notebook: background
                                              runs, and one shard per task of a SLURM job array
    python -m medlib collect --profile P      the tidy tables from the fold files on disk
"""
from __future__ import annotations

import argparse
import sys

import pandas as pd


def cmd_data(args) -> int:
    from .data import DATASETS, DatasetUnavailable, locate
    from .data.acquire import looked_in
    from .data.inventory import details, inventory

    if args.download:
        for key in DATASETS:
            try:
                print(f"{key}: {locate(key, download=True)}")
            except DatasetUnavailable as exc:
                print(exc)
    pd.set_option("display.width", 250, "display.max_colwidth", 120)
    inv = inventory()
    inv["looked in"] = [" | ".join(looked_in(DATASETS[k])) for k in inv["dataset"]]
    print("Datasets (paper Table 1 vs this machine)\n")
    print(inv.to_string(index=False))
    for key, table in details():
        print(f"\n{key}\n{table.to_string()}")
    return 0


def _selected_jobs(args):
    from .experiments.transfer import plan, select_shard

    jobs = plan(args.profile, args.datasets, args.networks, args.strategies, args.seed)
    if args.folds is not None:
        jobs = [j for j in jobs if j.fold in args.folds]
    if args.replicates is not None:
        jobs = [j for j in jobs if j.replicate in args.replicates]
    if args.precision is not None:
        jobs = [j for j in jobs if j.config()["precision"] in args.precision]
    return select_shard(jobs, args.shard)


def cmd_run(args) -> int:
    from .experiments.remaining import remaining_text
    from .experiments.transfer import run_jobs

    jobs = _selected_jobs(args)
    if args.list:
        for j in jobs:
            state = "done" if j.is_done() else "stale" if j.result_path().exists() else "pending"
            seed = f" (seed replicate {j.replicate})" if j.replicate else ""
            print(f"{state:8s} {j.dataset} {j.network} {j.strategy} {j.head} fold {j.fold}{seed}")
        from .experiments.transfer import done_text, hold_conditional

        print(done_text(jobs))

        jobs, held = hold_conditional(jobs)
        for what, why in held.items():
            print(f"held: {what}: not trained now, and not priced below ({why})")
        from .experiments.transfer import plan

        print(remaining_text(jobs, reference=plan(args.profile, seed=args.seed)))
        return 0
    if args.rerun:
        for j in jobs:
            for path in (j.result_path(), j.predictions_path(), j.model_path()):
                path.unlink(missing_ok=True)
    run_jobs(jobs, progress=not args.quiet)
    from .experiments.transfer import done_text

    print(f"[run] {done_text(jobs)} "
          f"(profile {args.profile}{', shard ' + args.shard if args.shard else ''})")
    return 0


def cmd_collect(args) -> int:
    from . import config, tables
    from .experiments.costs import block_costs, total_hours
    from .experiments.transfer import collect, config_report, learning_curves
    from .manifest import write_manifest
    from .report import claims_table

    df = collect(args.profile)
    hashes = config_report(args.profile)
    if not len(df):  # nothing to derive from: the tables on disk stay (a fresh clone has no fold files)
        stale = int(hashes.folds[~hashes.current].sum()) if len(hashes) else 0
        print(f"[collect] no current fold files under {config.results_dir(args.profile) / 'runs'} ({stale} "
              f"stale): nothing to collect; `make reproduce PROFILE={args.profile}` or `python -m medlib run "
              f"--profile {args.profile}` writes them. The tables on disk are left as they are.", file=sys.stderr)
        return 1
    out = tables.save(df, "transfer", args.profile)
    if len(hashes):
        stale = hashes[~hashes.current]
        print(f"[collect] configuration hashes: {hashes.config_hash[hashes.current].nunique()} current"
              f" over {int(hashes.folds[hashes.current].sum())} folds; {int(stale.folds.sum())} stale"
              f" fold file(s) left out (rerun them with `make run PROFILE={args.profile}`)")
    tables.save(learning_curves(args.profile), "learning_curves", args.profile)
    print(f"[collect] {len(df)} fold rows -> {out}")
    costs = block_costs(df)
    print(f"[collect] {total_hours(costs):.1f} h of training in {len(costs)} block x machine rows -> "
          f"{tables.save(costs, 'costs', args.profile)}")
    claims = claims_table(args.profile)
    print(f"[collect] {len(claims)} claims -> {tables.path('claims', args.profile)}: "
          + ", ".join(f"{v} {n}" for v, n in claims["verdict"].value_counts().items()))
    for path in collect_figures(args.profile):
        print(f"[collect] figure -> {path}")
    print(f"[collect] provenance -> {write_manifest(args.profile)}")
    return 0


def collect_figures(profile: str) -> list:
    """The figures drawn from a profile's fold table alone, by the functions notebooks 02 and 06
    call (one owner each): Table 7's Figures 4 and 3 and the central claim's forest plot, so the
    committed figures move with the committed folds."""
    from . import config, report
    from .claim_rows import load
    from .viz import result_figures as figs

    found = {profile: load(profile)}
    paths = [p for _, _, ps in figs.table7_by_profile(found, config.figures_dir()) for p in ps]
    prof, central = report.central_evidence(found)
    if central is not None:
        paths.append(figs.forest_figure(central, prof, config.figures_dir()))
    return paths


def cmd_cross(args) -> int:
    """Notebook 03's cross-device pairs without the notebook (a long run's step): every cross block
    of the profile whose precision this CPU computes natively, tables saved as notebook 03 does."""
    from dataclasses import replace

    from . import strategies, tables
    from .experiments import cross_device as xd
    from .experiments.provenance import native_bfloat16
    from .profiles import get_profile

    profile = get_profile(args.profile)
    blocks = []
    for b in profile.cross:
        nets = tuple(n for n in b.networks if not strategies.get(b.strategy).trains_backbone
                     or native_bfloat16() or b.precision_for(n) == "float32")
        if len(nets) < len(b.networks):
            print(f"[cross] {b.strategy} {', '.join(sorted(set(b.networks) - set(nets)))}: bfloat16 without "
                  "AVX512-BF16 on this CPU, left for a machine that has it")
        if nets:
            blocks.append(replace(b, networks=nets))
    if not blocks:
        return 0
    cross, folds, absent = xd.run_pairs(replace(profile, cross=tuple(blocks)), seed=args.seed,
                                        progress=not args.quiet)
    if len(cross):
        print(f"[cross] {len(cross)} cross-domain rows -> {tables.save(cross, 'cross', args.profile)}")
        tables.save(folds, "cross_folds", args.profile)
    return 0


def cmd_gate(args) -> int:
    """Exit 0 when registered condition ``args.condition`` (:data:`medlib.readings.CONDITIONS`, a
    block's ``when``) holds on the profile's current fold files, else 1; the reason printed either
    way. Reads the fold files, writes nothing."""
    from .experiments.transfer import collect
    from .readings import CONDITIONS

    run, why = CONDITIONS[args.condition](collect(args.profile), args.profile)
    print(f"[gate] {args.condition}: {why}")
    return 0 if run else 1


def main(argv=None) -> int:
    from .profiles import PROFILES
    from .readings import CONDITIONS

    parser = argparse.ArgumentParser(prog="python -m medlib", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    data = sub.add_parser("data", help="locate datasets and print the inventory")
    data.add_argument("--download", action="store_true", help="download direct-access datasets")
    data.set_defaults(func=cmd_data)
    rep = sub.add_parser("reproduce", help="run the notebooks with papermill")
    rep.add_argument("--profile", default="quick", choices=list(PROFILES))
    rep.add_argument("--only", nargs="*", help="notebook name prefixes, e.g. 01 02")
    rep.add_argument("--data", help="a folder of class sub-folders: run notebooks 01-02 on it")
    rep.add_argument("--data-target", help="a second folder, same classes: notebook 03 on the pair")
    rep.set_defaults(func=lambda a: __import__("medlib.reproduce", fromlist=["run"]).run(
        a.profile, a.only, a.data, a.data_target))
    run = sub.add_parser("run", help="run (or list) fold jobs of a profile without a notebook")
    run.add_argument("--profile", required=True, choices=list(PROFILES))
    run.add_argument("--datasets", nargs="*")
    run.add_argument("--networks", nargs="*")
    run.add_argument("--strategies", nargs="*")
    run.add_argument("--folds", nargs="*", type=int)
    run.add_argument("--replicates", nargs="*", type=int,
                     help="seed replicates to run (0: each fold's first run; default: all the profile plans)")
    run.add_argument("--precision", nargs="*", choices=["float32", "mixed_bfloat16"],
                     help="only the jobs trained under this policy (a CPU without AVX512-BF16 "
                          "emulates bfloat16 at a fifth to a tenth of float32's speed)")
    run.add_argument("--seed", type=int, default=20221)
    run.add_argument("--shard", help="i/n: this machine runs jobs i, i+n, ... of the plan (0-based)")
    run.add_argument("--rerun", action="store_true", help="delete the selected fold files first")
    run.add_argument("--list", action="store_true", help="print the selected jobs and their state")
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    run.set_defaults(func=cmd_run)
    crs = sub.add_parser("cross", help="run the profile's cross-device pairs (notebook 03's runs) and save the tables")
    crs.add_argument("--profile", required=True, choices=list(PROFILES))
    crs.add_argument("--seed", type=int, default=20221)
    crs.add_argument("--quiet", action="store_true")
    crs.set_defaults(func=cmd_cross)
    col = sub.add_parser("collect", help="write the tidy tables from the fold files")
    col.add_argument("--profile", required=True, choices=list(PROFILES))
    col.set_defaults(func=cmd_collect)
    gate = sub.add_parser("gate", help="whether a block's registered condition holds (exit 0) or not (1)")
    gate.add_argument("condition", choices=list(CONDITIONS), help="a condition a profile block waits for")
    gate.add_argument("--profile", default="extended", choices=list(PROFILES))
    gate.set_defaults(func=cmd_gate)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
