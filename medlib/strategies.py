"""The training strategies, as registered values: what each one trains, with which code and heads.

One :class:`Strategy` per strategy of s2.1 (and the one practitioners use), like
:data:`medlib.tables.TABLES`: its key, the function in :mod:`medlib.experiments.engine` that
trains it (a name, resolved there, so this module imports nothing), whether it needs ImageNet
weights, whether its backbone is frozen (features computed once and cached), which heads a
block gives it, whether the block's per-network precision and batch-norm pass reach its
training (and so its configuration hash), the paper table it fills and its colour in figures.
Code elsewhere asks these values instead of testing a strategy's name, so adding a strategy
is one entry here and, if it trains differently, one function in the engine.

* ``scratch``: the architecture only, every weight trained (s2.1.2, Table 7).
* ``off_the_shelf``: the frozen ImageNet backbone's features, a head trained on them (s2.1.1,
  Table 5), with a logistic-regression probe beside the paper's dense head.
* ``fine_tune``: ImageNet weights, the head warmed up on the frozen backbone, then the top
  layers unfrozen and trained at a low learning rate, batch-norm layers kept frozen (the
  keras-io transfer-learning guide's recipe). Not in the paper: the third arm practitioners use.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType


@dataclass(frozen=True)
class Strategy:
    key: str
    label: str
    fit: str                    # the engine function that trains a fold under it
    needs_weights: bool         # ImageNet weights (else the fold is "not run", with the reason)
    frozen_backbone: bool       # features computed once and cached; augmented views instead of epochs
    probe_heads: bool           # the block's heads (dense and a logistic probe); else the dense head only
    trains_backbone: bool       # the block's precision and batch-norm pass reach training and its hash
    paper_table: str | None     # the paper's table of it ("Table 5", "Table 7"), None where not in it
    colour: str
    # fine-tuning: the learning rate of the second stage and the share of backbone layers it opens
    tune_lr: float = 0.0
    tune_fraction: float = 0.0
    warmup_epochs: int = 0


STRATEGIES: Mapping[str, Strategy] = MappingProxyType({s.key: s for s in (
    Strategy("scratch", "from scratch", "fit_scratch_fold", needs_weights=False, frozen_backbone=False,
             probe_heads=False, trains_backbone=True, paper_table="Table 7", colour="tab:orange"),
    Strategy("off_the_shelf", "off-the-shelf", "fit_off_the_shelf_fold", needs_weights=True,
             frozen_backbone=True, probe_heads=True, trains_backbone=False, paper_table="Table 5",
             colour="tab:blue"),
    Strategy("fine_tune", "fine-tuned", "fit_fine_tune_fold", needs_weights=True, frozen_backbone=False,
             probe_heads=False, trains_backbone=True, paper_table=None, colour="tab:green",
             tune_lr=1e-5, tune_fraction=0.2, warmup_epochs=10),
)})  # read-only


def get(key: str) -> Strategy:
    try:
        return STRATEGIES[key]
    except KeyError:
        raise ValueError(f"strategy {key!r}; choose from {', '.join(STRATEGIES)}") from None


def heads(block) -> tuple[str, ...]:
    """The heads ``block`` trains: its own list where its strategy has probe heads, else the dense head."""
    return tuple(block.heads) if get(block.strategy).probe_heads else ("dense",)


def is_(block_or_key, key: str) -> bool:
    """Whether a block (or a strategy key) is of strategy ``key`` (an unknown ``key`` is an error)."""
    get(key)
    return getattr(block_or_key, "strategy", block_or_key) == key


__all__ = ["Strategy", "STRATEGIES", "get", "heads", "is_"]
