"""Check (not a test) that the HTML renderings of a ``make reproduce`` run show every figure.

For each PNG in the profile's figures folder, look for its exact bytes (base64, as
nbconvert embeds a displayed ``Image``) in the HTML files of ``build/<profile>/``.
Prints one line per figure; exits non-zero if any figure is missing from every rendering.

    .venv/bin/python scripts/check_render.py [--profile quick]
"""
from __future__ import annotations

import argparse
import base64
import sys

from medlib import config


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--profile", default="quick")
    args = ap.parse_args()
    build = config.PROJECT_ROOT / "build" / args.profile
    pages = {p.name: p.read_text(encoding="utf-8") for p in sorted(build.glob("*.html"))}
    figures = sorted(config.figures_dir(args.profile).glob("*.png"))
    if not pages or not figures:
        print(f"nothing to check: {len(pages)} HTML files in {build}, {len(figures)} figures")
        return 1
    missing = 0
    for fig in figures:
        encoded = base64.b64encode(fig.read_bytes()).decode()
        shown = [name for name, html in pages.items() if encoded in html]
        missing += not shown
        print(f"{fig.name:40s} {'shown in ' + ', '.join(shown) if shown else 'NOT SHOWN'}")
    print(f"\n{len(figures) - missing}/{len(figures)} figures shown in {len(pages)} HTML renderings")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
