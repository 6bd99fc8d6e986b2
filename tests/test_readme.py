"""The README is for a newcomer: short, the two commands first, its tables generated from the
committed results (never typed), every local link pointing at a file that exists."""
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_readme_is_short_and_opens_with_the_two_commands():
    lines = (ROOT / "README.md").read_text().splitlines()
    assert len(lines) <= 200
    head = "\n".join(lines[:40])
    assert "make reproduce" in head and "make test" in head


def test_readme_tables_equal_what_the_committed_results_generate():
    run = subprocess.run([sys.executable, str(ROOT / "scripts" / "render_readme.py"), "--check"],
                         cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr


def test_readme_and_docs_links_point_at_files_that_exist():
    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", doc.read_text()):
            if target.startswith("http"):
                continue
            assert (doc.parent / target).exists(), f"{doc.name}: {target}"


def test_estimates_print_at_their_claims_precision():
    """Points get one decimal however small (a +0.6-point effect is not '0.617'); normalised map
    scores in [0, 1] get three (0.18 and 0.2 are different claims about Kim's Fig. 6)."""
    sys.path.insert(0, str(ROOT / "scripts"))
    import pandas as pd
    from render_readme import verdict_table

    nan = float("nan")
    rows = pd.DataFrame({"key": ["scratch_beats_off_the_shelf", "crm_mean_smaller"], "claim": ["a", "b"],
                         "verdict": ["inconclusive", "holds"], "estimate": [0.6173, 0.18339],
                         "ci_low": [-3.9088, 0.17612], "ci_high": [5.1434, 0.19255], "n_datasets": [3, nan],
                         "tau": [0.0, nan], "pred_low": [-12.7, nan], "pred_high": [14.0, nan],
                         "sens_verdict": [nan, nan], "sens_estimate": [nan, nan], "sens_low": [nan, nan],
                         "sens_high": [nan, nan], "profile": ["extended", "quick"],
                         "analysis": ["intention to treat (primary)", nan]})
    table = verdict_table(rows)
    # a paired difference (a row with an analysis) is signed; a score is not
    assert "| +0.6 [-3.9, +5.1] |" in table and "| 0.183 [0.176, 0.193] |" in table


def test_a_paired_difference_prints_signed_and_an_sd_or_score_does_not():
    """One rule for the README and the report page (``claim_rows.estimate_format``)."""
    from medlib.claim_rows import estimate_format

    nan = float("nan")
    assert estimate_format({"key": "scratch_beats_off_the_shelf", "analysis": "intention to treat"}) == "{:+.1f}"
    assert estimate_format({"key": "repeat_spread", "analysis": nan}) == "{:.1f}"
    assert estimate_format({"key": "crm_mean_smaller", "analysis": nan}) == "{:.3f}"


def test_a_missing_claims_number_prints_empty_never_nan():
    """``claim_rows.format_number``: the README and the report page print a missing number as an
    empty cell, numpy floats like floats, text never."""
    import numpy as np

    from medlib.claim_rows import format_number

    assert format_number(0.24) == "+0.2"
    assert format_number(np.float64(-2.46), "{:.1f}") == "-2.5"
    assert format_number(float("nan")) == format_number(None) == format_number("n/a") == ""
