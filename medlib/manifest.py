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
    except (pd.errors.ParserError, UnicodeDecodeError, OSError, EOFError):  # OSError: also a bad gzip file
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


def _figure_for(stem: str, decided_at: str, profile: str) -> Path | None:
    """The PNG that shows a claim: ``<stem>_<profile it was decided at>`` first, then ``<stem>``, in
    this run's figures, the committed figures/ and the deciding profile's."""
    if not stem:
        return None
    folders = dict.fromkeys([config.figures_dir(profile), config.figures_dir(), config.figures_dir(decided_at)])
    for name in (f"{stem}_{decided_at}", stem):
        for folder in folders:
            if (folder / f"{name}.png").exists():
                return folder / f"{name}.png"
    return None


def _finding(row, own: dict, profile: str, out_dir: Path) -> str:
    """One claim as a results paragraph: verdict and interval from the strongest evidence, this run's
    verdict beside it, the rule, the figure, the notebook that makes it, the evidence folded."""
    from .claims import CLAIMS, Claim

    from .claim_rows import estimate_format, format_number as _num

    c = CLAIMS.get(row["key"]) or Claim(str(row["key"]), str(row["paper"]), str(row["claim"]), "")
    f = estimate_format(row)
    of = row.get("estimate_of")
    interval = (f" {_num(row['estimate'], f)} [95% CI {_num(row['ci_low'], f)}, {_num(row['ci_high'], f)}]"
                + (f" ({html.escape(of)})" if isinstance(of, str) and of else "") if _num(row["ci_low"]) else "")
    bound = f" (95 % upper bound {_num(row['tau_high'], '{:.1f}')})" if _num(row.get("tau_high")) else ""
    across = (f"; {int(row['n_datasets'])} datasets, tau {_num(row['tau'], '{:.1f}')}{bound}, prediction interval "
              f"[{_num(row['pred_low'])}, {_num(row['pred_high'])}]" if _num(row["pred_low"]) else "")
    design = row.get("design")
    across += f"; {html.escape(design)} (the registered design decides)" if isinstance(design, str) and design else ""
    sens = (f"<br>Sensitivity (at-floor runs left out): <b>{html.escape(str(row['sens_verdict']))}</b>"
            + (f" {_num(row['sens_estimate'], f)} [{_num(row['sens_low'], f)}, {_num(row['sens_high'], f)}]"
               if _num(row["sens_low"]) else "") if isinstance(row["sens_verdict"], str) and row["sens_verdict"] else "")
    mine = own.get(row["key"])
    beside = (f"<br>This run ({html.escape(profile)}): {html.escape(str(mine))}" if mine is not None
              and row["profile"] != profile else "")
    notebooks = sorted(out_dir.glob(f"{c.notebook}_*.html"))
    where = (f"<br>Made in {_link(notebooks[0], out_dir, notebooks[0].stem)}" if notebooks
             else f"<br>Made in notebook {c.notebook}")
    fig = _figure_for(c.figure, str(row["profile"]), profile)
    img = (f'<br><img src="{html.escape(Path(os.path.relpath(fig, out_dir)).as_posix())}" alt="{html.escape(fig.stem)}"'
           f' style="max-width:70%">' if fig is not None else "")
    return (f'<section id="{html.escape(c.key)}"><h3>{html.escape(str(row["claim"]))}</h3>'
            f'<p><span class="verdict">{html.escape(str(row["verdict"]))}</span>{interval}{across} '
            f'(decided at <code>{html.escape(str(row["profile"]))}</code>){sens}{beside}'
            f'<br><small>{html.escape(c.paper)}: {html.escape(c.sentence)}<br>Rule: {html.escape(c.rule)}</small>'
            f'{where}{img}</p><details><summary>evidence</summary><p>{html.escape(str(row["evidence"]))}</p>'
            '</details></section>')


def _readings_section(by_profile: dict) -> list[str]:
    """The second readings (:func:`medlib.second_readings.second_reading_decisions`) at the highest profile
    with folds: where the paper is ambiguous, both readings side by side, each rule's decision and
    each network's paired difference; the rules themselves folded."""
    from . import report
    from .second_readings import DISPLAY_HEADERS

    prof, df = report.highest(by_profile, "transfer", lambda t: {"dataset", "network", "status"} <= set(t.columns))
    if df is None:
        return []
    try:
        table = report.second_reading_decisions(df, profile=prof)
    except (KeyError, ValueError) as exc:  # a table from an older run lacks what a rule reads
        return [f"<h2>Second readings</h2><p>Not derived from <code>{html.escape(prof)}</code>'s fold table "
                f"({html.escape(type(exc).__name__)}: {html.escape(str(exc))}).</p>"]
    rows = "".join(f"<tr><td><code>{html.escape(r.reading)}</code>: {html.escape(r.label)}</td><td>{r.fold_runs}</td>"
                   f"<td>{html.escape(r.decision)}</td><td>{html.escape(r.differences)}</td></tr>"
                   for r in table.itertuples())
    rules = "".join(f"<p><b>{html.escape(r.reading)}</b>: {html.escape(r.rule)}</p>" for r in table.itertuples())
    return [f"<h2>Second readings of ambiguous passages (decided at <code>{html.escape(prof)}</code>)</h2>",
            "<table><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in DISPLAY_HEADERS.values())
            + "</tr>" + rows + "</table>",
            f"<details><summary>the rules, each written before its first fold</summary>{rules}</details>"]


def index_page(profile: str, out_dir: Path) -> str:
    """The HTML of ``build/<profile>/index.html``, read like a results section: what was found
    (every claim from the strongest evidence on this machine or committed, this run's verdict
    beside it, its interval, figure and notebook; the second readings), then the notebooks, tables
    and provenance
    (links relative to ``out_dir``)."""
    from . import report

    results, figures = config.results_dir(profile), config.figures_dir(profile)
    own_path = tables.path("claims", profile)
    own_table = pd.read_csv(own_path) if own_path.exists() else pd.DataFrame()
    own = dict(zip(own_table["key"], own_table["verdict"])) if "key" in own_table else {}
    warning = ""
    try:
        by_profile = report.load_all()
        if profile not in by_profile:
            by_profile[profile] = report.load(profile)
        strongest = report.claims(by_profile)
    except (KeyError, ValueError) as exc:  # a table missing columns: say so, show this run's claims
        warning = (f"<p><b>The claims could not be derived from the result tables here ({html.escape(type(exc).__name__)}: "
                   f"{html.escape(str(exc))}); this run's claims table is shown as written.</b></p>")
        strongest = own_table.reindex(columns=report.CLAIM_COLUMNS) if len(own_table) else \
            pd.DataFrame(columns=report.CLAIM_COLUMNS)
        strongest["key"] = strongest["key"].fillna("")
    tested = strongest[~strongest["verdict"].str.startswith("not tested")]
    untested = strongest[strongest["verdict"].str.startswith("not tested")]
    parts = ["<h1>medlib: what was found</h1>",
             f"<p>This page belongs to a run of profile <code>{html.escape(profile)}</code>. Each claim is "
             "decided from the strongest evidence on this machine or committed (the profile is named), "
             "by a rule registered before its folds ran (a rule revised after a review is dated, with its "
             "reason, in docs/methods.md); this run's own verdict sits beside it where they differ. "
             "Intervals are 95 %; comparisons are paired folds, pooled across datasets, intention to treat "
             "primary.</p>",
             f"<h2>Findings ({len(tested)} claims decided)</h2>"]
    parts.insert(2, warning)
    parts += [_finding(r, own, profile, out_dir) for _, r in tested.iterrows()]
    parts.append(f"<h2>Not tested here ({len(untested)})</h2><ul>")
    parts += [f"<li><b>{html.escape(str(r['claim']))}</b>: {html.escape(str(r['verdict']))}; "
              f"{html.escape(str(r['evidence'])[:400])}</li>" for _, r in untested.iterrows()]
    parts.append("</ul>")
    if not warning:
        parts += _readings_section(by_profile)
    parts.append("<h2>Notebooks</h2><ul>")
    parts += [f"<li>{_link(p, out_dir, p.stem)}</li>" for p in sorted(out_dir.glob("[0-9][0-9]_*.html"))]
    parts.append("</ul>")
    if own_path.exists():
        parts.append(f"<h2>Claims of this run ({_link(own_path, out_dir)})</h2>")
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
    parts.append("</ul><h2>Every figure of this run</h2>")
    for p in sorted(figures.glob("*.png")):
        parts.append(f'<figure>{_link(p, out_dir)}<br><img src="{html.escape(Path(os.path.relpath(p, out_dir)).as_posix())}"'
                     f' loading="lazy" style="max-width:100%" alt="{html.escape(p.stem)}"></figure>')
    return ("<!doctype html><html><head><meta charset='utf-8'><title>medlib: " + html.escape(profile)
            + "</title><style>body{font-family:sans-serif;max-width:1100px;margin:auto;line-height:1.4}"
            "table{border-collapse:collapse;font-size:90%}td,th{border:1px solid #ccc;padding:3px}"
            "section{border-top:1px solid #ddd;padding-top:4px}.verdict{font-weight:bold;font-size:110%}"
            "figure{display:inline-block;vertical-align:top;margin:4px;max-width:32%}"
            "figure img{max-width:100%}</style></head><body>\n"
            + "\n".join(parts) + "\n</body></html>\n")


def write_index(profile: str, out_dir: Path | None = None) -> Path:
    out_dir = Path(out_dir or config.PROJECT_ROOT / "build" / profile)
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / "index.html"
    out.write_text(index_page(profile, out_dir), encoding="utf-8")
    return out


__all__ = ["FILE_TABLES", "fold_files", "input_datasets", "data_digest", "manifest", "write_manifest", "index_page", "write_index"]
