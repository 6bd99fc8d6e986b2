"""Run fold jobs on a GPU machine that has JAX but neither TensorFlow nor the raw data.

The route for a lent accelerator (and for any machine set up the same way): Keras 3 on
JAX, each fold in the precision its block names (as on the CPU; float32 exact, not TF32),
the preprocessed arrays of the chosen datasets packed here (the machine reads them through
``MEDLIB_ARRAYS``; no mirror, no decoding there), the published splits and, for
off-the-shelf blocks, the ImageNet weights. Every fold job
writes its usual small JSON, so what comes back is unpacked into ``results/<profile>/``
beside the CPU's results, and ``make reproduce PROFILE=<profile>`` then only collects.

    # here: pack what the jobs need (refuses above the transfer limit, 64 MiB by default)
    python scripts/device_run.py pack --profile full --datasets cells2 --strategies scratch
    # prints the device command; on the machine (in the repository root):
    python3 scripts/device_run.py execute --profile full --datasets cells2 --strategies scratch
    # here again: the returned archive into results/full/
    python scripts/device_run.py unpack path/to/folds.tar.gz

``execute`` writes ``$OUT/folds.tar.gz`` (the fold files the run finished) and
``$OUT/throughput.csv`` (training images per second per network of those folds). The pack
lives in ``.device/`` (ignored by git); carry it with the call.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACK = Path(os.environ.get("MEDLIB_DEVICE_PACK", ROOT / ".device"))
LIMIT_MIB = 64
DEVICE_PYTHON = "3.12"
# what the machine's image lacks (it has numpy, pandas, scikit-learn, h5py, pillow, tqdm, psutil)
WHEELS = ("keras==3.15.*", "namex", "optree")


def _selected_blocks(args):
    sys.path.insert(0, str(ROOT))
    from medlib.profiles import get_profile

    profile = get_profile(args.profile)
    blocks = [b for b in profile.blocks if (not args.datasets or b.dataset in args.datasets)
              and (not args.strategies or b.strategy in args.strategies)]
    if args.networks:
        blocks = [b for b in blocks if set(b.networks) & set(args.networks)]
    return profile, blocks


def weights_needed(blocks, networks=None) -> list[str]:
    """The networks whose ImageNet weights must travel: those of every selected block whose
    strategy starts from them (off-the-shelf and fine-tuning), within ``networks`` if given."""
    from medlib import strategies

    return sorted({n for b in blocks if strategies.get(b.strategy).needs_weights for n in b.networks
                   if not networks or n in networks})


def _size_mib(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20


def _tree_mib() -> float:
    """What travels anyway: tracked and untracked-not-ignored files."""
    out = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT,
                         capture_output=True, check=True).stdout.split(b"\0")
    return sum((ROOT / p.decode()).stat().st_size for p in out if p and (ROOT / p.decode()).is_file()) / 2**20


def pack(args) -> int:
    from medlib import config, strategies
    from medlib.data import get_spec, load_dataset
    from medlib.data.dataset import packed_path, write_npz
    from medlib.experiments.transfer import block_splits
    from medlib.models.weights import MIRROR_FILES, WeightsUnavailable, imagenet_weights
    from medlib.models.zoo import ARCHITECTURES

    profile, blocks = _selected_blocks(args)
    if not blocks:
        print("no block of the profile matches the selection", file=sys.stderr)
        return 2
    shutil.rmtree(PACK, ignore_errors=True)
    (PACK / "arrays").mkdir(parents=True)
    os.environ["MEDLIB_ARRAYS"] = str(PACK / "arrays")
    for b in blocks:
        size = tuple(b.size or get_spec(b.dataset).image_size)
        target = packed_path(b.dataset, size, b.per_class)
        if not target.exists():
            os.environ.pop("MEDLIB_ARRAYS")
            ds = load_dataset(b.dataset, size=size, per_class=b.per_class, progress=False)
            os.environ["MEDLIB_ARRAYS"] = str(PACK / "arrays")
            write_npz(ds, target, compressed=True)
            block_splits(profile, ds, b, args.seed)  # the folds the machine will use, made here
            print(f"packed {b.dataset} at {size[0]}x{size[1]}: {len(ds)} images, "
                  f"{target.stat().st_size / 2**20:.1f} MiB")
    for n in weights_needed(blocks, args.networks):
        app = ARCHITECTURES[n].app
        try:
            src = Path(imagenet_weights(app))
        except WeightsUnavailable:
            continue
        (PACK / "weights").mkdir(exist_ok=True)
        shutil.copy(src, PACK / "weights" / MIRROR_FILES.get(app, src.name))
    print(f"splits: {config.results_dir(profile.name) / 'splits'} (commit them with the results)")
    (PACK / "wheels").mkdir()
    if args.wheels:
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:",
                        "--python-version", DEVICE_PYTHON, "--implementation", "cp", "--platform",
                        "manylinux_2_28_x86_64", "--platform", "manylinux_2_17_x86_64", "--platform",
                        "manylinux2014_x86_64", "-d", str(PACK / "wheels"), *WHEELS], check=True)
    total = _size_mib(PACK) + _tree_mib()
    print(f"\npack {_size_mib(PACK):.1f} MiB + working tree {_tree_mib():.1f} MiB = {total:.1f} MiB "
          f"(limit {LIMIT_MIB} MiB)")
    if total > args.max_mib:
        print("too large for one call: select fewer datasets or strategies", file=sys.stderr)
        return 3
    sel = " ".join(f"--{k} {' '.join(map(str, v))}" for k, v in (("datasets", args.datasets),
                   ("networks", args.networks), ("strategies", args.strategies)) if v)
    print("\ncarry: ['.device']\ncommand:\n  " + device_command(args.profile, sel))
    return 0


def device_command(profile: str, selection: str) -> str:
    return ("python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade "
            "--target /tmp/site .device/wheels/*.whl && export PYTHONPATH=/tmp/site:. PYTHONUNBUFFERED=1 "
            f"&& python3 scripts/device_run.py execute --profile {profile} {selection}")


def execute(args) -> int:
    """On the machine: Keras on JAX, arrays from the pack; every selected job, in the order the
    datasets are named, none started after ``--budget-s`` seconds (counted from this process's
    start: leave the longest fold's time between it and the machine's limit). The archive holds
    the fold files finished by this run; it is rewritten after every fold, so even a kill
    leaves the folds finished before it, and once more however the run ends."""
    started = time.monotonic()
    os.environ.setdefault("KERAS_BACKEND", "jax")
    os.environ["MEDLIB_ARRAYS"] = str(PACK / "arrays")
    os.environ["MEDLIB_DATA_MIRROR"] = str(PACK)  # the packed weights/ folder
    os.environ.setdefault("MEDLIB_PROGRESS", "text")
    sys.path.insert(0, str(ROOT))
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # a time limit's TERM, as Ctrl-C
    import jax
    import keras
    import pandas as pd

    from medlib import config
    from medlib.experiments.transfer import plan, run_jobs, select_shard
    from medlib.strategies import STRATEGIES

    jobs = select_shard(plan(args.profile, args.datasets, args.networks, args.strategies, args.seed), args.shard)
    if args.datasets:  # the order asked for (a stable sort keeps the plan's order within a dataset)
        jobs.sort(key=lambda j: args.datasets.index(j.dataset))
    fresh = [j for j in jobs if not j.is_done()]  # what this run may add (the rest travelled here)
    root, out = config.results_dir(args.profile), Path(os.environ.get("OUT", ROOT / "build" / "device"))
    out.mkdir(parents=True, exist_ok=True)
    target = out / "folds.tar.gz"
    rc = 0
    try:
        run_jobs(fresh, deadline=None if args.budget_s is None else started + args.budget_s,
                 on_fold=lambda _: archive(fresh, root, target, quiet=True))
    except KeyboardInterrupt:
        print("[device] interrupted: archiving the folds finished so far")
        rc = 130
    finally:
        archive(fresh, root, target)
        print(f"[device] {time.monotonic() - started:.0f} s on {keras.backend.backend()} "
              f"({jax.devices()[0].device_kind})")
    rows = [json.loads(j.result_path().read_text()) for j in fresh if j.is_done()]
    ok = pd.DataFrame([r for r in rows if r.get("status") == "ok"
                       and STRATEGIES[r.get("strategy", "scratch")].trains_backbone])
    if len(ok):
        rate = ok.assign(images_per_s=ok["n_train"] * ok["epochs_run"] / ok["seconds"])
        rate.groupby(["dataset", "network", "input_size"])["images_per_s"].mean().round(1).to_csv(
            out / "throughput.csv")
        print(rate.groupby(["dataset", "network"])["images_per_s"].mean().round(1).to_string())
    return rc


def archive(jobs, root: Path, target: Path, quiet: bool = False) -> int:
    """The jobs' finished fold files (a current row and its predictions) into ``target``,
    written beside it and renamed, so a kill mid-write leaves the previous archive whole."""
    n = 0
    tmp = target.with_name(target.name + ".tmp")
    with tarfile.open(tmp, "w:gz") as tar:
        for j in jobs:
            if not j.is_done():
                continue
            for p in (j.predictions_path(), j.result_path()):
                if p.exists():
                    tar.add(p, arcname=str(p.relative_to(root)))
                    n += 1
    os.replace(tmp, target)
    if not quiet:
        print(f"[device] {n} file(s) in {target.name}")
    return n


def unpack(args) -> int:
    from medlib import config

    root = config.results_dir(args.profile)
    added = 0
    with tarfile.open(args.archive) as tar:
        for member in tar.getmembers():
            target = (root / member.name).resolve()
            if not str(target).startswith(str(root.resolve())) or not member.isfile():
                raise SystemExit(f"refusing archive member {member.name!r}")
            if target.exists():
                continue
            data = tar.extractfile(member).read()
            if not member.name.endswith(".pred.json"):
                row_profile = json.loads(data).get("profile")
                if row_profile != args.profile:
                    raise SystemExit(f"{member.name} is a fold of profile {row_profile!r}, not "
                                     f"{args.profile!r}: unpack with --profile {row_profile}")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            added += 1
    print(f"[unpack] {added} new fold file(s) under {root}")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("pack", "execute"):
        p = sub.add_parser(name)
        p.add_argument("--profile", default="full")
        p.add_argument("--datasets", nargs="*")
        p.add_argument("--networks", nargs="*")
        p.add_argument("--strategies", nargs="*")
        p.add_argument("--seed", type=int, default=20221)
        if name == "pack":
            p.add_argument("--max-mib", type=float, default=LIMIT_MIB)
            p.add_argument("--no-wheels", dest="wheels", action="store_false",
                           help="skip the wheels the machine lacks (a machine that has Keras)")
        else:
            p.add_argument("--shard")
            p.add_argument("--budget-s", type=float, help="start no fold job after this many seconds "
                           "(a lent machine's time limit; the fold in flight finishes)")
    u = sub.add_parser("unpack")
    u.add_argument("archive")
    u.add_argument("--profile", default="full")
    args = parser.parse_args(argv)
    return {"pack": pack, "execute": execute, "unpack": unpack}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
