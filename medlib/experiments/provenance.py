"""What produced a fold file: its configuration hash, and (for the record) commit and CPU.

A fold's result is a pure function of its *configuration* (the block's settings
that reach training, the precision policy, the seed, and :data:`RECIPE_VERSION`),
its fold index and the data. :func:`fold_config` writes that configuration down
and :func:`config_hash` names it; a finished fold file is reused only when its
``config_hash`` equals the one the profile plans now (:func:`is_current`), so a
changed block setting or a recipe bump reruns the fold, and an ordinary commit
(which changes nothing a fold computes) does not. The commit and CPU model are
recorded beside the hash, never compared: a reader can tell what produced a row,
and where bit-for-bit equality may be expected (same CPU, same library versions).

Fold files written before hashes existed carry none: they are stale everywhere.
"""
from __future__ import annotations

import functools
import hashlib
import json
import os
import platform
import subprocess
from pathlib import Path

from .. import config, strategies

# Bumped on purpose whenever training semantics change, so every fold trained the old
# way is stale. History:
#   1  (no hash in the file) before 2026-12-02
#   2  a fold's seed is set after its model is built or restored, so a fold gives the same row
#      alone, after other folds, resumed or in a shard (the first fold of a process used to
#      train under the build seed's random stream instead of its own)
RECIPE_VERSION = 2

# Block fields that change nothing a fold computes: what the block is *for*, not how it trains.
_NOT_CONFIG = ("note", "networks", "folds", "save_models", "learning_rates", "precisions", "heads",
               "replicates", "bn_passes", "input_scales", "when")


# Block fields added after hashes existed enter the hash only when set away from their default,
# so adding an option leaves every existing fold's hash (and hours of folds) as it was.
_ADDED_LATER = {"class_weight": None}
_STRATEGY_SETTINGS = ("tune_lr", "tune_fraction", "warmup_epochs")  # Strategy fields that change its training


def fold_config(block, profile, network: str, strategy: str, head: str, seed: int,
                size=None) -> dict:
    """Everything a fold's row depends on, besides its fold index and the data. ``size``: the
    input size the block resolves to when it names none (the registry's)."""
    from dataclasses import asdict

    trains = strategies.get(strategy).trains_backbone  # its precision and batch-norm pass reach training
    settings = {k: v for k, v in asdict(block).items() if k not in _NOT_CONFIG
                and not (k in _ADDED_LATER and v == _ADDED_LATER[k])}
    size = block.size or size
    settings["size"] = list(size) if size else None
    settings["learning_rate"] = block.lr_for(network)
    cfg = {"recipe": RECIPE_VERSION, "network": network, "strategy": strategy, "head": head,
           "seed": seed, "precision": block.precision_for(network) if trains else "float32",
           "split": "official" if block.folds == "official" else f"k{profile.cv_folds}",
           "val_fraction": profile.val_fraction, **settings}
    if trains and block.bn_pass_for(network) != "eager":  # added later: only when set
        cfg["bn_pass"] = block.bn_pass_for(network)
    if not strategies.get(strategy).needs_weights and block.input_scale_for(network):  # scratch; only when set
        cfg["input_scale"] = block.input_scale_for(network)
    cfg.update(strategy_settings(strategy))
    return cfg


def strategy_settings(strategy: str) -> dict:
    """The registered strategy's own training settings (:class:`medlib.strategies.Strategy`:
    fine-tuning's second-stage learning rate, opened share, warm-up epochs), those away from
    their defaults only: editing fine-tuning makes its fold files stale, and the strategies
    without such settings keep the hashes they had before these entered it."""
    from dataclasses import fields

    s = strategies.get(strategy)
    return {f"strategy_{f.name}": getattr(s, f.name) for f in fields(s)
            if f.name in _STRATEGY_SETTINGS and getattr(s, f.name) != f.default}


def config_hash(cfg: dict) -> str:
    """A short, stable name of a configuration (sorted-key JSON, SHA-256, 12 hex digits)."""
    return hashlib.sha256(json.dumps(cfg, sort_keys=True, default=str).encode()).hexdigest()[:12]


def current_row(path: Path, expected_hash: str) -> dict | None:
    """The row of the fold file at ``path`` if it was written under configuration
    ``expected_hash``; None when absent, stale, torn or unreadable (then it is rerun). One read
    of the file: callers that need both "is it done" and the row ask this once."""
    try:
        row = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return row if isinstance(row, dict) and row.get("config_hash") == expected_hash else None


def is_current(path: Path, expected_hash: str) -> bool:
    """``path`` is a finished fold file of configuration ``expected_hash`` (else: absent or stale)."""
    return current_row(path, expected_hash) is not None


@functools.lru_cache(maxsize=1)
def commit() -> str:
    """The checkout's commit (``+dirty`` when tracked files differ), or ``unknown``."""
    try:
        run = functools.partial(subprocess.run, cwd=config.PROJECT_ROOT, capture_output=True,
                                text=True, timeout=10)
        head = run(["git", "rev-parse", "--short=12", "HEAD"]).stdout.strip()
        dirty = run(["git", "status", "--porcelain", "--untracked-files=no", "--", "medlib"]).stdout.strip()
        return (head + ("+dirty" if dirty else "")) or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


@functools.lru_cache(maxsize=1)
def cpu_model() -> str:
    """The CPU's model name (``/proc/cpuinfo``), for the record."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def native_bfloat16() -> bool:
    """Whether this CPU computes bfloat16 natively (AVX512-BF16): without it TensorFlow emulates
    it, at a fifth to a tenth of float32's speed (``results/bench/precision_avx2.csv``)."""
    return cpu_kind() == "avx512_bf16"


KINDS = (("avx512_bf16", "avx512_bf16"), ("avx512", "avx512f"), ("avx2", "avx2"))  # (kind, flag), best first


CPU_KINDS = frozenset({kind for kind, _ in KINDS} | {"other"})
ALLOCATORS = ("tcmalloc", "jemalloc")  # the malloc replacements scripts/allocator.sh preloads


def trained_on(row) -> str | None:
    """The machine kind a fold row was trained on: its accelerator where it had one (a GPU
    fold is timed under the GPU, not its host's CPU), else its ``cpu_kind``, with ``+tcmalloc``
    or ``+jemalloc`` where it trained under that allocator (2-2.4x glibc's speed on one CPU, so
    its seconds are another machine's); None where the file predates both. ``row``: a fold
    file's dict or a results-table row (NaN = absent; files before the allocator was recorded
    trained under glibc)."""
    for field in ("accelerator", "cpu_kind"):
        if isinstance(value := row.get(field), str) and value:
            alloc = row.get("allocator")
            if field == "cpu_kind" and isinstance(alloc, str) and alloc in ALLOCATORS:
                return f"{value}+{alloc}"
            return value
    return None


def machine_kind() -> str:
    """This machine's kind as :func:`trained_on` names a fold it trains: its CPU kind, with the
    allocator this process runs under where it is not glibc's."""
    alloc = allocator()
    return cpu_kind() + ("" if alloc == "glibc" else f"+{alloc}")


def base_kind(kind: str) -> str:
    """The hardware part of a machine kind (``avx2+tcmalloc`` -> ``avx2``)."""
    return kind.split("+", 1)[0]


def kind_of(flags) -> str:
    """The kind of a CPU with these ``/proc/cpuinfo`` flags: ``avx512_bf16`` (AVX-512 with native
    bfloat16), ``avx512``, ``avx2`` or ``other``, the first that applies."""
    flags = set(flags)
    return next((kind for kind, flag in KINDS if flag in flags), "other")


@functools.lru_cache(maxsize=1)
def cpu_kind() -> str:
    """This CPU's kind (:func:`kind_of`). Two machines both named "AMD EPYC" trained the same
    COV_CT ResNet50 fold in about 18 and 100 minutes (the second had no AVX-512), so a fold's
    seconds are read beside it (``remaining.estimate``)."""
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return "other"
    return kind_of(next((line.split(":", 1)[1].split() for line in lines if line.startswith("flags")), []))


def allocator(preload: str | None = None) -> str:
    """The memory allocator this process runs under: ``tcmalloc`` or ``jemalloc`` where
    ``LD_PRELOAD`` (or ``preload``) names its library, else ``glibc``. Recorded, not hashed: it
    leaves every number as it is (``scripts/bench_allocator.py`` compares losses and predictions
    bit for bit) but moves a fold's seconds 2-2.4 times on this project's CPUs, where glibc hands
    TensorFlow's freed tensors back to the kernel and faults them in again."""
    names = (os.environ.get("LD_PRELOAD", "") if preload is None else preload).replace(":", " ").split()
    return next((a for a in ALLOCATORS for n in names if a in Path(n).name), "glibc")


def stamp(cfg: dict) -> dict:
    """The fields every fold file carries: ``config_hash``, ``precision``, ``recipe``, ``commit``,
    ``cpu``, ``cpu_kind`` and the ``allocator`` (timing context, outside the hash)."""
    return {"config_hash": config_hash(cfg), "precision": cfg["precision"], "recipe": cfg["recipe"],
            "commit": commit(), "cpu": cpu_model(), "cpu_kind": cpu_kind(), "allocator": allocator()}


__all__ = ["RECIPE_VERSION", "fold_config", "config_hash", "current_row", "is_current", "commit", "cpu_model", "cpu_kind",
           "kind_of", "native_bfloat16", "stamp", "allocator", "ALLOCATORS", "machine_kind", "base_kind", "trained_on"]
