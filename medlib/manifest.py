"""What produced a profile's numbers, and one page to start reading them from.

* :func:`write_manifest` writes ``results/<profile>/manifest.json`` (as DVC's lock file or
  showyourwork's do): for every result table of :mod:`medlib.tables` that exists, its rows,
  content digest and the function that computes it; for the tables built from fold files,
  every fold file with its configuration hash and the commit it ran on; a digest of each
  input dataset's files (relative path and size, so a copy elsewhere digests the same);
  and the library versions and commit of the run. No machine path is written.
* :func:`write_index` writes ``build/<profile>/index.html``: the notebooks' HTML, every
  figure and table, the claims with their verdicts, and the manifest, linked.

``make reproduce`` writes both at its end; ``python -m medlib collect`` the manifest.
"""
from __future__ import annotations

import hashlib
import html
import json
import os
import time
from pathlib import Path

import pandas as pd

from . import config, tables

FOLD_TABLES = ("transfer", "learning_curves")  # built from results/<profile>/runs/**/fold*.json


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def fold_files(profile: str) -> list[dict]:
    """Every fold file under the profile's runs folder: relative path, configuration hash, commit."""
    root = config.results_dir(profile)
    out = []
    for p in sorted((root / "runs").glob("**/fold*.json")):
        if p.name.endswith(".pred.json"):
            continue
        try:
            row = json.loads(p.read_text())
        except (OSError, ValueError):
            out.append({"file": p.relative_to(root).as_posix(), "config_hash": None, "commit": None,
                        "error": "unreadable"})
            continue
        out.append({"file": p.relative_to(root).as_posix(), "config_hash": row.get("config_hash") or None,
                    "commit": row.get("commit"), "status": row.get("status")})
    return out


def data_digest(key: str) -> dict:
    """Files and a digest (relative path and size of every file) of dataset ``key``'s folder,
    or its status when absent. Composed datasets are digested through their components."""
    from .data import get_spec
    from .data.acquire import DatasetUnavailable, locate

    spec = get_spec(key)
    if spec.components:
        return {"components": list(spec.components)}
    try:
        root = locate(key)
    except DatasetUnavailable:
        return {"status": "absent"}
    h, n = hashlib.sha256(), 0
    for p in sorted(root.rglob("*")):
        if p.is_file():
            h.update(f"{p.relative_to(root).as_posix()}:{p.stat().st_size}\n".encode())
            n += 1
    return {"folder": root.name, "files": n, "digest": h.hexdigest()[:16]}


def manifest(profile: str) -> dict:
    from .data import DATASETS
    from .data.acquire import is_available
    from .experiments import provenance
    from .experiments.engine import versions

    root = config.results_dir(profile)
    folds = fold_files(profile)
    out_tables = {}
    for key, t in tables.TABLES.items():
        p = tables.path(key, profile)
        if not p.exists():
            continue
        entry = {"file": t.file, "rows": int(len(pd.read_csv(p))), "sha256": _sha256(p), "owner": t.owner,
                 "notebook": t.notebook, "what": t.what}
        if key in FOLD_TABLES:
            entry["fold_files"] = len(folds)
            entry["config_hashes"] = sorted({f["config_hash"] for f in folds if f["config_hash"]})
        out_tables[key] = entry
    data = {k: data_digest(k) for k in DATASETS if is_available(k)}
    return {"profile": profile, "written": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "commit": provenance.commit(),
            "cpu": provenance.cpu_model(), "versions": versions(), "recipe": provenance.RECIPE_VERSION,
            "tables": out_tables, "data": data, "fold_files": folds,
            "results": os.path.relpath(root, config.PROJECT_ROOT) if root.is_relative_to(config.PROJECT_ROOT)
            else root.name}


def write_manifest(profile: str) -> Path:
    out = config.results_dir(profile) / tables.MANIFEST
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_text(json.dumps(manifest(profile), indent=1, sort_keys=False) + "\n")
    os.replace(tmp, out)
    return out


def _link(target: Path, start: Path, text: str | None = None) -> str:
    href = Path(os.path.relpath(target, start)).as_posix()
    return f'<a href="{html.escape(href)}">{html.escape(text or target.name)}</a>'


def index_page(profile: str, out_dir: Path) -> str:
    """The HTML of ``build/<profile>/index.html`` (links relative to ``out_dir``)."""
    results, figures = config.results_dir(profile), config.figures_dir(profile)
    parts = [f"<h1>medlib: profile {html.escape(profile)}</h1>",
             "<p>Start here: the notebooks as run, then every figure, table and claim they produced, "
             "and the manifest that says what produced each table.</p>", "<h2>Notebooks</h2><ul>"]
    parts += [f"<li>{_link(p, out_dir, p.stem)}</li>" for p in sorted(out_dir.glob("[0-9][0-9]_*.html"))]
    parts.append("</ul>")
    claims = tables.path("claims", profile)
    if claims.exists():
        c = pd.read_csv(claims)
        parts.append(f"<h2>Claims ({_link(claims, out_dir)})</h2>")
        parts.append(c[["paper", "claim", "verdict", "profile", "evidence"]].to_html(index=False, na_rep="",
                                                                                    escape=True))
    parts.append("<h2>Tables</h2><ul>")
    for key, t in tables.TABLES.items():
        p = tables.path(key, profile)
        if p.exists():
            parts.append(f"<li>{_link(p, out_dir)}: {html.escape(t.what)} "
                         f"(<code>{html.escape(t.owner)}</code>)</li>")
    manifest_path = results / tables.MANIFEST
    parts.append("</ul><h2>Provenance</h2><ul>")
    if manifest_path.exists():
        parts.append(f"<li>{_link(manifest_path, out_dir)}</li>")
    parts.append("</ul><h2>Figures</h2>")
    for p in sorted(figures.glob("*.png")):
        parts.append(f'<figure>{_link(p, out_dir)}<br><img src="{html.escape(Path(os.path.relpath(p, out_dir)).as_posix())}"'
                     f' loading="lazy" style="max-width:48%"></figure>')
    return ("<!doctype html><html><head><meta charset='utf-8'><title>medlib: " + html.escape(profile)
            + "</title><style>body{font-family:sans-serif;max-width:1200px;margin:auto}"
            "table{border-collapse:collapse;font-size:90%}td,th{border:1px solid #ccc;padding:3px}"
            "figure{display:inline-block;vertical-align:top;margin:4px}</style></head><body>\n"
            + "\n".join(parts) + "\n</body></html>\n")


def write_index(profile: str, out_dir: Path | None = None) -> Path:
    out_dir = Path(out_dir or config.PROJECT_ROOT / "build" / profile)
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / "index.html"
    out.write_text(index_page(profile, out_dir), encoding="utf-8")
    return out


__all__ = ["fold_files", "data_digest", "manifest", "write_manifest", "index_page", "write_index"]
