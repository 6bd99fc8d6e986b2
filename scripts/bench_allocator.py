"""Benchmark (not a test): does the memory allocator decide a fold's CPU hours?

A fold from scratch on this machine spent about 45 % of its CPU time in the kernel (``top``:
42 % system time while training Xception on PneumoniaMNIST, 2026-12-07), on about 320 000 minor
page faults a second: glibc returns large freed tensors to the kernel (``munmap``) and the next
step faults the same pages in again, two threads contending for one memory map. An allocator
that keeps freed memory (glibc with raised mmap/trim thresholds, jemalloc, tcmalloc) should
not. This times the same training steps of one real fold under each allocator, each in its own
process (an allocator is chosen when a process starts), the variants interleaved over
``--rounds`` so a slower minute of the machine hits each alike, and prints per variant the
seconds a step, user and system CPU, minor faults a second, the ratio to glibc's default, and
whether the losses equal the default's bit for bit (an allocator must not change the numbers).

    .venv/bin/python scripts/bench_allocator.py [--dataset pneumoniamnist] [--network xception] [--steps 15]

Allocators not installed are reported as such (``apt-get install libjemalloc2
libtcmalloc-minimal4``). Writes ``--out`` (CSV). ``scripts/allocator.sh`` (sourced by
``long_run.sh`` and the Makefile) preloads tcmalloc, else jemalloc never purging; each child here
starts from an environment without any preload, whatever the calling shell sourced.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

LIBDIRS = ("/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib")
# glibc's own allocator told to keep freed memory: blocks up to 32 MiB (the most glibc accepts on
# 64-bit) come from the heap, not from mmap, and the heap's top is never trimmed
GLIBC_KEEP = "glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=4294967296"
ALLOCATOR_ENV = ("LD_PRELOAD", "MALLOC_CONF", "GLIBC_TUNABLES", "TCMALLOC_LARGE_ALLOC_REPORT_THRESHOLD")
PARTS = ("fit", "bn", "predict")  # an epoch: training pass, batch-norm re-estimate, validation
VARIANTS = {
    "glibc": {},
    "glibc_keep": {"GLIBC_TUNABLES": GLIBC_KEEP},
    "jemalloc": {"LD_PRELOAD": "libjemalloc.so.2"},
    # jemalloc never returning freed pages to the kernel (its default returns them after 10 s)
    "jemalloc_keep": {"LD_PRELOAD": "libjemalloc.so.2", "MALLOC_CONF": "dirty_decay_ms:-1,muzzy_decay_ms:-1"},
    "tcmalloc": {"LD_PRELOAD": "libtcmalloc_minimal.so.4"},
}


def find_library(name: str) -> str | None:
    """The path of shared library ``name`` in the usual directories, or None."""
    for d in LIBDIRS:
        p = Path(d) / name
        if p.exists():
            return str(p)
    return None


def variant_env(name: str) -> dict | None:
    """The environment additions of variant ``name``; None where its library is not installed."""
    env = dict(VARIANTS[name])
    if "LD_PRELOAD" in env:
        path = find_library(env["LD_PRELOAD"])
        if path is None:
            return None
        env["LD_PRELOAD"] = path
    return env


def child(args) -> None:
    """Time one epoch's three parts on fold 0, as a fold runs them (:func:`medlib.experiments.
    training.fit_scratch`): ``model.fit`` over ``args.steps`` augmented batches (after one
    untimed fit of ``args.warmup`` batches that traces it), the batch-norm re-estimate on the
    training images and the validation predict (each after one untimed call); print one JSON line
    with each part's seconds, CPU user and system seconds and minor faults, the epoch they add up
    to at the fold's full number of batches, and the losses and validation scores (to compare)."""
    import resource
    import time

    import keras
    import numpy as np

    from medlib.data import make_augmenter
    from medlib.experiments import training
    from medlib.experiments.engine import _compiled
    from medlib.experiments.transfer import FoldJob, fold_data
    from medlib.models import build_model

    job = FoldJob(args.dataset, args.network, "scratch", 0, args.profile, args.seed)
    block, data = job.block(), fold_data(job)
    ds, train, val = data.ds, data.train, data.val
    keras.backend.clear_session()
    keras.utils.set_random_seed(args.seed)
    precision = args.precision or block.precision_for(args.network)
    with training.dtype_policy(precision):
        model = _compiled(build_model(args.network, tuple(ds.images.shape[1:]), ds.spec.n_classes, "scratch"),
                          block.lr_for(args.network))
    aug = ds.spec.augmentation
    augment = None if aug.is_identity else make_augmenter(aug, args.seed)
    traced = block.bn_pass_for(args.network) == "traced"
    n = block.batch_size

    def batches(first, count):
        rows = train[first * n:(first + count) * n]
        return training.Batches(ds.images[rows], ds.targets[rows], n, augment, args.seed)

    def timed(fn):
        before, start = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
        out = fn()
        seconds, after = time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF)
        return out, {"seconds": seconds, "user": after.ru_utime - before.ru_utime,
                     "system": after.ru_stime - before.ru_stime, "minflt": after.ru_minflt - before.ru_minflt}

    model.fit(batches(0, args.warmup), epochs=1, verbose=0)  # traces fit's step
    training.recompute_batchnorm(model, ds.images[train], traced=traced)
    training.predict(model, ds.images[val])
    hist, fit = timed(lambda: model.fit(batches(args.warmup, args.steps), epochs=1, verbose=0))
    _, bn = timed(lambda: training.recompute_batchnorm(model, ds.images[train], traced=traced))
    proba, pred = timed(lambda: training.predict(model, ds.images[val]))
    full = -(-len(train) // n)
    epoch = fit["seconds"] / args.steps * full + bn["seconds"] + pred["seconds"]
    print(json.dumps({"fit": fit, "bn": bn, "predict": pred, "epoch_s": epoch, "batches_per_epoch": full,
                      "batch": n, "precision": precision, "losses": hist.history["loss"],
                      "val_sum": float(np.asarray(proba, np.float64).sum())}), flush=True)


def main():
    import numpy as np
    import pandas as pd

    ap = argparse.ArgumentParser()
    ap.add_argument("--profile", default="extended")
    ap.add_argument("--dataset", default="pneumoniamnist")
    ap.add_argument("--network", default="xception")
    ap.add_argument("--precision", default="float32", help="float32 or mixed_bfloat16 (default: float32)")
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--seed", type=int, default=20221)
    ap.add_argument("--variants", nargs="*", default=list(VARIANTS))
    ap.add_argument("--out", default="results/bench/allocator.csv")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        return child(args)

    from medlib.experiments.provenance import cpu_kind, cpu_model

    envs = {}
    for v in args.variants:
        envs[v] = variant_env(v)
        if envs[v] is None:
            print(f"{v}: not installed ({VARIANTS[v]['LD_PRELOAD']}), skipped", flush=True)
    envs = {v: e for v, e in envs.items() if e is not None}
    cmd = [sys.executable, __file__, "--child", "--profile", args.profile, "--dataset", args.dataset,
           "--network", args.network, "--precision", args.precision, "--steps", str(args.steps),
           "--warmup", str(args.warmup), "--seed", str(args.seed)]
    # a shell that sourced scripts/allocator.sh exports a preload: each variant sets only its own
    base = {k: v for k, v in os.environ.items() if k not in ALLOCATOR_ENV}
    runs = []
    for r in range(args.rounds):
        for v, extra in envs.items():
            env = {**base, "TF_CPP_MIN_LOG_LEVEL": "2", **extra}
            out = subprocess.run(cmd, env=env, capture_output=True, text=True)
            line = [x for x in out.stdout.splitlines() if x.startswith("{")]
            if out.returncode or not line:
                raise SystemExit(f"{v} failed (exit {out.returncode}):\n{out.stderr[-2000:]}")
            m = json.loads(line[-1])
            runs.append({"variant": v, "round": r, **m,
                         **{f"{p}_{k}": m[p][k] for p in PARTS for k in ("seconds", "user", "system", "minflt")}})
            cpu = {k: sum(m[p][k] for p in PARTS) for k in ("seconds", "user", "system", "minflt")}
            print(f"round {r} {v:10s} fit {m['fit']['seconds'] / args.steps:5.2f} s/step, batch-norm "
                  f"{m['bn']['seconds']:5.1f} s, predict {m['predict']['seconds']:5.1f} s; epoch about "
                  f"{m['epoch_s']:5.0f} s; system {cpu['system'] / (cpu['user'] + cpu['system']):.0%} of its CPU, "
                  f"{cpu['minflt'] / cpu['seconds']:,.0f} minor faults/s", flush=True)
    df = pd.DataFrame(runs)
    for k in ("seconds", "user", "system", "minflt"):
        df[k] = sum(df[f"{p}_{k}"] for p in PARTS)
    base = df[df["variant"] == "glibc"]
    reference = (base["losses"].iloc[0], base["val_sum"].iloc[0]) if len(base) else None
    rows = []
    for v, g in df.groupby("variant", sort=False):
        rows.append({"variant": v, "env": json.dumps(VARIANTS[v]), "dataset": args.dataset,
                     "network": args.network, "precision": g["precision"].iloc[0], "batch": int(g["batch"].iloc[0]),
                     "steps": args.steps, "rounds": len(g),
                     "fit_s_per_step": round(float(np.median(g["fit_seconds"])) / args.steps, 3),
                     "bn_s": round(float(np.median(g["bn_seconds"])), 2),
                     "predict_s": round(float(np.median(g["predict_seconds"])), 2),
                     "epoch_s": round(float(np.median(g["epoch_s"])), 1),
                     "system_share": round(float((g["system"] / (g["user"] + g["system"])).median()), 3),
                     "minor_faults_per_s": round(float((g["minflt"] / g["seconds"]).median())),
                     "same_numbers_as_glibc": (None if reference is None else
                                               all(ls == reference[0] and vs == reference[1]
                                                   for ls, vs in zip(g["losses"], g["val_sum"]))),
                     "cpu": cpu_model(), "cpu_kind": cpu_kind()})
    table = pd.DataFrame(rows)
    if len(base):
        table["speedup_vs_glibc"] = (table.loc[table["variant"] == "glibc", "epoch_s"].iloc[0]
                                     / table["epoch_s"]).round(2)
    print(table.drop(columns=["env", "cpu"]).to_string(index=False))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out, index=False)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
