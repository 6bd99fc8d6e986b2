"""Are two runs' result tables the same? Every table of medlib.tables present in both folders,
compared in all columns but timings and provenance (seconds, commit, CPU, versions), rows
matched after sorting, numbers within a relative 1e-9 (CSV round trip).

    python scripts/compare_results.py results/quick ../fresh-clone/results/quick
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from medlib.tables import TABLES

IGNORED = {"seconds", "commit", "cpu", "cpu_kind", "python", "keras", "backend", "numpy", "tensorflow", "jax",
           "accelerator", "jax_matmul_precision", "written", "allocator"}


def _frame(path: Path) -> pd.DataFrame:
    df = pd.read_csv(path)
    df = df[sorted(c for c in df.columns if c not in IGNORED)]
    return df.sort_values(list(df.columns), ignore_index=True, na_position="first", key=lambda s: s.astype(str))


def compare(a: Path, b: Path) -> list[tuple[str, str]]:
    out = []
    for key, t in TABLES.items():
        pa, pb = a / t.file, b / t.file
        if not (pa.exists() and pb.exists()):
            out.append((t.file, "only in " + (str(a) if pa.exists() else str(b)) if pa.exists() or pb.exists()
                        else "in neither"))
            continue
        x, y = _frame(pa), _frame(pb)
        if list(x.columns) != list(y.columns):
            out.append((t.file, f"columns differ: {sorted(set(x.columns) ^ set(y.columns))}"))
            continue
        if x.shape != y.shape:
            out.append((t.file, f"shapes differ: {x.shape} vs {y.shape}"))
            continue
        bad = []
        for c in x.columns:
            u, v = x[c], y[c]
            if pd.api.types.is_numeric_dtype(u) and pd.api.types.is_numeric_dtype(v):
                same = np.isclose(u.to_numpy(float), v.to_numpy(float), rtol=1e-9, atol=0, equal_nan=True)
            else:
                same = (u.fillna("").astype(str) == v.fillna("").astype(str)).to_numpy()
            if not same.all():
                bad.append(f"{c} ({int((~same).sum())} rows)")
        out.append((t.file, "equal" if not bad else "differ: " + ", ".join(bad)))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("a", type=Path)
    parser.add_argument("b", type=Path)
    args = parser.parse_args()
    for name, verdict in compare(args.a, args.b):
        print(f"{name:40s} {verdict}")


if __name__ == "__main__":
    main()
