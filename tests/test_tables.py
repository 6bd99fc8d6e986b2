"""One owner for every result table's file name (medlib.tables), its save/load, and the
provenance manifest and index page `make reproduce` ends with (medlib.manifest)."""
import json
import time
from pathlib import Path

import nbformat
import pandas as pd
import pytest

import medlib
from medlib import config, manifest, tables

ROOT = Path(medlib.__file__).parent.parent


def _sources():
    """Every Python module, script and notebook code cell of the project, with its name."""
    for p in sorted((ROOT / "medlib").rglob("*.py")) + sorted((ROOT / "scripts").glob("*.py")):
        yield p.relative_to(ROOT).as_posix(), p.read_text()
    for p in sorted((ROOT / "notebooks").glob("*.ipynb")):
        nb = nbformat.read(p, as_version=4)
        yield p.name, "\n".join(c.source for c in nb.cells if c.cell_type == "code")


def test_each_table_file_name_appears_in_one_module():
    where = {t.file: [name for name, text in _sources() if t.file in text] for t in tables.TABLES.values()}
    assert {f: w for f, w in where.items() if w != ["medlib/tables.py"]} == {}


def test_table_registry_is_read_only():
    with pytest.raises(TypeError):
        tables.TABLES["new"] = tables.TABLES["transfer"]
    assert len({t.file for t in tables.TABLES.values()}) == len(tables.TABLES)


def test_save_load_round_trip_and_clear_errors(tmp_path, monkeypatch):
    monkeypatch.setenv("MEDLIB_RESULTS_DIR", str(tmp_path))
    df = pd.DataFrame({"method": ["cam", "crm"], "pointing": [0.25, 0.5]})
    out = tables.save(df, "explain_ranking", "quick")
    assert out == tmp_path / "quick" / "explain_bccd_ranking.csv" and not list(out.parent.glob(".*.tmp"))
    pd.testing.assert_frame_equal(tables.load("explain_ranking", "quick"), df)
    tables.save(df.set_index("method"), "explain", "quick", index=True)  # a named index is data
    assert list(tables.load("explain", "quick").columns) == ["method", "pointing"]
    tables.save(df, "cross", "quick", tag="mine__theirs_")
    assert (tmp_path / "quick" / "mine__theirs_cross_device.csv").exists()
    assert set(tables.load_all("quick")) == {"explain", "explain_ranking"}
    with pytest.raises(FileNotFoundError, match=r"sanity_checks\.csv.*notebook 05"):
        tables.load("sanity", "quick")
    with pytest.raises(KeyError, match="unknown result table 'nope'"):
        tables.path("nope", "quick")
    (tmp_path / "quick" / "claims.csv").write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(ValueError, match=r"claims\.csv: not a readable CSV"):
        tables.load("claims", "quick")



def test_a_gzip_table_reads_as_csv_and_rewrites_to_the_same_bytes(tmp_path, monkeypatch):
    """The learning curves are stored gzip-compressed (they grow past 1 MiB); the same rows must
    give the same bytes (the manifest's digest), and a damaged file is named, not a traceback."""
    monkeypatch.setenv("MEDLIB_RESULTS_DIR", str(tmp_path))
    df = pd.DataFrame({"dataset": ["cells2"] * 300, "epoch": range(300), "loss": [0.693] * 300})
    out = tables.save(df, "learning_curves", "quick")
    assert out.name == "learning_curves.csv.gz" and out.read_bytes()[:2] == b"\x1f\x8b"
    pd.testing.assert_frame_equal(tables.load("learning_curves", "quick"), df)
    first = out.read_bytes()
    time.sleep(1.1)  # a gzip header's time stamp would differ now
    assert tables.save(df, "learning_curves", "quick").read_bytes() == first
    assert len(first) < len(df.to_csv(index=False)) / 5
    out.write_bytes(first[: len(first) // 2])  # truncated
    with pytest.raises(ValueError, match=r"learning_curves\.csv\.gz: not a readable CSV"):
        tables.load("learning_curves", "quick")

def _fake_profile(tmp_path, monkeypatch):
    monkeypatch.setenv("MEDLIB_RESULTS_DIR", str(tmp_path / "results"))
    monkeypatch.setenv("MEDLIB_FIGURES_DIR", str(tmp_path / "figures"))
    runs = config.results_dir("quick") / "runs" / "cells2" / "xception" / "scratch" / "dense"
    runs.mkdir(parents=True)
    (runs / "fold0.json").write_text(json.dumps({"config_hash": "abc123def456", "commit": "0123abcd", "status": "ok"}))
    (runs / "fold0.pred.json").write_text("{}")
    tables.save(pd.DataFrame({"dataset": ["cells2"], "accuracy": [90.0]}), "transfer", "quick")
    tables.save(pd.DataFrame({"key": ["crm_roi_smaller"], "paper": ["Kim 2019"], "claim": ["CRM's ROI is smaller"],
                              "verdict": ["holds"], "profile": ["quick"], "evidence": ["a < b"]}), "claims", "quick")
    figures = config.figures_dir("quick")
    figures.mkdir(parents=True)
    (figures / "05_sanity_maps.png").write_bytes(b"\x89PNG")


def test_manifest_names_tables_fold_files_and_data_without_machine_paths(tmp_path, monkeypatch):
    _fake_profile(tmp_path, monkeypatch)
    m = json.loads(manifest.write_manifest("quick").read_text())
    assert m["tables"]["transfer"]["rows"] == 1 and m["tables"]["transfer"]["owner"] == "medlib.experiments.transfer.collect"
    assert m["result_files"]["transfer"] == [{"file": "runs/cells2/xception/scratch/dense/fold0.json",
                                              "config_hash": "abc123def456", "commit": "0123abcd", "status": "ok",
                                              "current": False}]  # not the hash quick plans today
    assert m["tables"]["transfer"]["files_used"] == 0 and m["result_files"]["cross"] == []
    assert {"cov_ct", "cells2", "mosmed_ct", "bccd_wbc"} <= set(m["data"]) and "pet_ct" not in m["data"]
    assert {"python", "keras", "numpy"} <= set(m["versions"])
    text = json.dumps(m)
    assert str(tmp_path) not in text and str(ROOT) not in text
    if config.mirror_dir():  # with the data mirror: digests of the datasets present, by relative path
        assert m["data"]["cov_ct"]["files"] > 700 and len(m["data"]["cov_ct"]["digest"]) == 16
    (config.results_dir("quick") / "modality_classifier.csv").write_text("\n")  # an empty table
    assert json.loads(manifest.write_manifest("quick").read_text())["tables"]["modality"]["rows"] == 0


def test_every_table_owner_names_a_function_that_exists():
    import importlib

    for t in tables.TABLES.values():
        if t.owner.startswith("medlib."):
            module, name = t.owner.rsplit(".", 1)
            assert callable(getattr(importlib.import_module(module), name, None)), t.owner
        else:
            assert (ROOT / t.owner).exists(), t.owner


def test_index_page_links_notebooks_figures_tables_claims_and_manifest(tmp_path, monkeypatch):
    _fake_profile(tmp_path, monkeypatch)
    manifest.write_manifest("quick")
    build = tmp_path / "build" / "quick"
    build.mkdir(parents=True)
    (build / "05_gradcam_crm.html").write_text("<html></html>")
    page = manifest.write_index("quick", build).read_text()
    for href in ("05_gradcam_crm.html", "../../figures/05_sanity_maps.png", "../../results/quick/claims.csv",
                 "../../results/quick/transfer_vs_scratch.csv", "../../results/quick/manifest.json"):
        assert f'href="{href}"' in page, href
    # a results section first: what was found, then notebooks, tables and provenance; the fake transfer
    # table lacks columns, so the page says the claims could not be derived and shows this run's
    assert page.index("what was found") < page.index("<h2>Notebooks") < page.index("<h2>Provenance")
    assert "could not be derived" in page and "ROI is smaller" in page and "holds" in page


def test_collect_without_fold_files_leaves_the_tables_alone(tmp_path, monkeypatch, capsys):
    """A fresh clone holds quick's tables but not its fold files: `collect` must not write an
    empty table over them."""
    from medlib.__main__ import main

    monkeypatch.setenv("MEDLIB_RESULTS_DIR", str(tmp_path))
    table = tmp_path / "quick" / "transfer_vs_scratch.csv"
    table.parent.mkdir()
    table.write_text("dataset,accuracy\ncov_ct,80.0\n")
    assert main(["collect", "--profile", "quick"]) == 1
    assert table.read_text() == "dataset,accuracy\ncov_ct,80.0\n"
    assert "nothing to collect" in capsys.readouterr().err


def test_a_manifest_from_uncommitted_code_is_marked(tmp_path, monkeypatch, capsys):
    from medlib.experiments import provenance

    _fake_profile(tmp_path, monkeypatch)
    monkeypatch.setattr(provenance, "commit", lambda: "0123abcd4567+dirty")
    m = json.loads(manifest.write_manifest("quick").read_text())
    assert m["provenance_warning"] == manifest.DIRTY_WARNING and list(m)[0] == "provenance_warning"
    assert "uncommitted changes" in capsys.readouterr().err
    monkeypatch.setattr(provenance, "commit", lambda: "0123abcd4567")
    assert "provenance_warning" not in json.loads(manifest.write_manifest("quick").read_text())


def test_a_claim_decided_on_one_dataset_still_says_its_design_is_interim(tmp_path):
    import numpy as np

    row = {"key": "cells2_task", "paper": "ours", "claim": "smears", "verdict": "inconclusive", "estimate": np.nan,
           "ci_low": np.nan, "ci_high": np.nan, "estimate_of": "", "n_datasets": 1, "tau": np.nan,
           "pred_low": np.nan, "pred_high": np.nan, "design": "interim: 1 of 3 networks complete",
           "sens_verdict": "", "profile": "extended", "evidence": "decision: inconclusive"}
    text = manifest._finding(row, {}, "extended", tmp_path)
    assert "interim: 1 of 3 networks complete (the registered design decides)" in text
