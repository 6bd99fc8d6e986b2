"""Command line: ``python -m medlib data [--download]`` prints the data inventory."""
from __future__ import annotations

import argparse
import sys

import pandas as pd


def cmd_data(args) -> int:
    from .data import DATASETS, DatasetUnavailable, locate
    from .data.inventory import details, inventory

    if args.download:
        for key, spec in DATASETS.items():
            try:
                print(f"{key}: {locate(key, download=True)}")
            except DatasetUnavailable as exc:
                print(exc)
    pd.set_option("display.width", 200, "display.max_colwidth", 80)
    inv = inventory()
    print("Datasets (paper Table 1 vs this machine)\n")
    print(inv.to_string(index=False))
    for key, table in details():
        print(f"\n{key}\n{table.to_string()}")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m medlib")
    sub = parser.add_subparsers(dest="command", required=True)
    data = sub.add_parser("data", help="locate datasets and print the inventory")
    data.add_argument("--download", action="store_true", help="download direct-access datasets")
    data.set_defaults(func=cmd_data)
    rep = sub.add_parser("reproduce", help="run the notebooks with papermill")
    rep.add_argument("--profile", default="quick", choices=["smoke", "quick", "full"])
    rep.add_argument("--only", nargs="*", help="notebook name prefixes, e.g. 01 02")
    rep.set_defaults(func=lambda a: __import__("medlib.reproduce", fromlist=["run"]).run(a.profile, a.only))
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
