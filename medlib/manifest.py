"""What produced a profile's numbers, and one page to start reading them from.

* :func:`write_manifest` writes ``results/<profile>/manifest.json`` (as DVC's lock file or
  showyourwork's do): for every result table of :mod:`medlib.tables` that exists, its rows,
  content digest and the function that computes it; for the tables built from result files
  (notebook 02's folds, notebook 03's runs), how many files they use and their configuration
  hashes, and every such file with its hash, the commit it ran on and (notebook 02's) whether
  it is current; a digest of each dataset the profile reads (relative path and size of every
  file, so a copy elsewhere digests the same); and the library versions and commit of the
  run. No machine path is written.
* :func:`write_index` writes ``build/<profile>/index.html``: the notebooks' HTML, every
  figure and table, the claims with their verdicts, and the manifest, linked.

``make reproduce`` writes both at its end; ``python -m medlib collect`` the manifest.
"""
from __future__ import annotations

import hashlib
import html
import json
import os
import sys
import time
from pathlib import Path

import pandas as pd

from . import config, tables

# which tables are built from which result files: notebook 02's fold files, and notebook 03's
# cross-domain runs with the in-domain folds (``runs/<dataset>@<task>/``) they are compared with
FILE_TABLES = {"transfer": "transfer", "learning_curves": "transfer", "cross": "cross", "cross_folds": "cross"}


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def _rows(path: Path) -> int | None:
    """Rows of a table file (0 for an empty table, None when it cannot be read)."""
    try:
        return int(len(pd.read_csv(path)))
    except pd.errors.EmptyDataError:
        return 0
    except (pd.errors.ParserError, UnicodeDecodeError, OSError):
        return None


def _file_entry(path: Path, root: Path) -> dict:
    try:
        row = json.loads(path.read_text())
    except (OSError, ValueError):
        return {"file": path.relative_to(root).as_posix(), "config_hash": None, "commit": None,
                "status": "unreadable"}
    return {"file": path.relative_to(root).as_posix(), "config_hash": row.get("config_hash") or None,
            "commit": row.get("commit"), "status": row.get("status")}


def fold_files(profile: str) -> dict[str, list[dict]]:
    """The result files of ``profile`` by kind: ``transfer`` (notebook 02's folds, each marked
    ``current`` when written under the configuration the profile plans today, the ones its
    tables use) and ``cross`` (notebook 03's cross-domain runs and in-domain folds)."""
    from .experiments.transfer import _current_hash, _fold_files
    from .profiles import get_profile, split_key

    root = config.results_dir(profile)
    plan = get_profile(profile)
    transfer = []
    for p in _fold_files(profile):
        entry = _file_entry(p, root)
        try:
            hash_today = _current_hash(json.loads(p.read_text()), plan)
        except (OSError, ValueError):
            hash_today = None
        transfer.append({**entry, "current": bool(entry["config_hash"]) and entry["config_hash"] == hash_today})
    cross = [_file_entry(p, root) for p in sorted((root / "cross").glob("**/*.json"))
             if not p.name.endswith(".pred.json")]
    cross += [_file_entry(p, root) for p in sorted((root / "runs").glob("*/*/*/*/fold*.json"))
              if not p.name.endswith(".pred.json") and split_key(p.parts[-5])[1]]
    return {"transfer": transfer, "cross": cross}


def input_datasets(profile: str) -> list[str]:
    """The datasets ``profile``'s notebooks read: its blocks', its cross-device tasks', and
    notebook 05's (the modality classifier's components, the BCCD smears)."""
    from .data import get_spec
    from .experiments.tasks import task_of
    from .profiles import get_profile

    plan = get_profile(profile)
    keys = list(plan.datasets) + [k for b in plan.cross for k in task_of(plan, b.dataset).mappings]
    keys += list(get_spec("modality").components) + ["bccd_wbc"]
    return list(dict.fromkeys(keys))


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
    from .experiments import provenance
    from .experiments.engine import versions

    root = config.results_dir(profile)
    files = fold_files(profile)
    out_tables = {}
    for key, t in tables.TABLES.items():
        p = tables.path(key, profile)
        if not p.exists():
            continue
        entry = {"file": t.file, "rows": _rows(p), "sha256": _sha256(p), "owner": t.owner,
                 "notebook": t.notebook, "what": t.what}
        if key in FILE_TABLES:
            used = [f for f in files[FILE_TABLES[key]] if f.get("current", True)]
            entry["result_files"] = FILE_TABLES[key]
            entry["files_used"] = len(used)
            entry["config_hashes"] = sorted({f["config_hash"] for f in used if f["config_hash"]})
        out_tables[key] = entry
    return {"profile": profile, "written": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "commit": provenance.commit(),
            "cpu": provenance.cpu_model(), "cpu_kind": provenance.cpu_kind(), "versions": versions(),
            "recipe": provenance.RECIPE_VERSION,
            "tables": out_tables, "data": {k: data_digest(k) for k in input_datasets(profile)},
            "result_files": files,
            "results": os.path.relpath(root, config.PROJECT_ROOT) if root.is_relative_to(config.PROJECT_ROOT)
            else root.name}


DIRTY_WARNING = ("written from a tree with uncommitted changes under medlib/: the commit named is not the "
                 "code that wrote these tables; commit, then rerun `python -m medlib collect` (or `make reproduce`)")


def write_manifest(profile: str) -> Path:
    """Write ``results/<profile>/manifest.json``. A manifest written from uncommitted code names a
    commit that did not produce its tables: it is marked (``provenance_warning``) and the warning is
    printed, so it is never committed unnoticed (``tests/test_tables.py`` checks the mark)."""
    out = config.results_dir(profile) / tables.MANIFEST
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    record = manifest(profile)
    if str(record.get("commit", "")).endswith("+dirty"):
        record = {"provenance_warning": DIRTY_WARNING, **record}
        print(f"WARNING [{profile} manifest] {DIRTY_WARNING}", file=sys.stderr)
    tmp.write_text(json.dumps(record, indent=1, sort_keys=False) + "\n")
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


__all__ = ["FILE_TABLES", "fold_files", "input_datasets", "data_digest", "manifest", "write_manifest", "index_page", "write_index"]
