"""The notebooks narrate: short cells (code lives in medlib), figures named by medlib (one file name
per figure, never typed in a notebook)."""
import ast
import json
import re
import string
from pathlib import Path

from medlib.viz import FIGURES

ROOT = Path(__file__).resolve().parent.parent
MAX_STATEMENTS = 15


def _code_cells():
    for nb in sorted((ROOT / "notebooks").glob("*.ipynb")):
        for i, cell in enumerate(json.loads(nb.read_text())["cells"]):
            if cell["cell_type"] == "code":
                yield nb.name, i, "".join(cell["source"])


def test_no_notebook_cell_holds_more_than_15_statements():
    long = []
    for name, i, src in _code_cells():
        code = "\n".join(line for line in src.splitlines() if not line.lstrip().startswith(("%", "!")))
        n = sum(isinstance(node, ast.stmt) for node in ast.walk(ast.parse(code)))
        if n > MAX_STATEMENTS:
            long.append(f"{name} cell {i}: {n} statements")
    assert not long, long


def test_no_figure_file_name_is_typed_in_a_notebook():
    literal_parts = {part for template in FIGURES.values()
                     for part, *_ in string.Formatter().parse(template) if part and len(part) > 3}
    typed = [f"{name} cell {i}: {part}" for name, i, src in _code_cells() for part in literal_parts
             if re.search(rf"[\"']{re.escape(part)}", src)]
    assert not typed, typed


def test_each_figure_has_one_file_name_and_every_committed_png_has_an_owner():
    templates = list(FIGURES.values())
    assert len(set(templates)) == len(templates)
    patterns = [re.compile("^" + re.sub(r"\\\{[a-z_]+\\\}", "[A-Za-z0-9_]*", re.escape(t)) + r"\.png$")
                for t in templates]
    orphans = [p.name for p in (ROOT / "figures").rglob("*.png") if not any(r.match(p.name) for r in patterns)]
    assert not orphans, orphans
