"""The demo's output against a golden file, and the README's printed table against both.

`make demo` runs `detente whatif --world default --preset april-2025-peak`. Its numbers
are stored in tests/golden/april-2025-peak.json (regenerate deliberately with
``DETENTE_UPDATE_GOLDEN=1 pytest tests/test_golden_demo.py`` and say why in the commit).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden" / "april-2025-peak.json"
VOLATILE = {"computed_at", "solver", "detente_version"}


def _demo(capsys) -> dict:
    from detente.cli import main

    assert main(["whatif", "--world", "default", "--preset", "april-2025-peak", "--json", "--no-save"]) == 0
    rec = json.loads(capsys.readouterr().out)
    rec["meta"] = {k: v for k, v in rec["meta"].items() if k not in VOLATILE}
    return rec


def _compare(a, b, path="$"):
    if isinstance(a, dict):
        assert set(a) == set(b), f"{path}: keys {sorted(set(a) ^ set(b))}"
        for k in a:
            _compare(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, list):
        assert len(a) == len(b), f"{path}: length {len(a)} != {len(b)}"
        for k, (x, y) in enumerate(zip(a, b)):
            _compare(x, y, f"{path}[{k}]")
    elif isinstance(a, float) or isinstance(b, float):
        np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-9, err_msg=path)
    else:
        assert a == b, f"{path}: {a!r} != {b!r}"


def test_demo_matches_the_golden_file(capsys):
    rec = _demo(capsys)
    if os.environ.get("DETENTE_UPDATE_GOLDEN"):
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(json.dumps(rec, indent=1, sort_keys=True) + "\n")
    _compare(rec, json.loads(GOLDEN.read_text()))


def test_readme_table_is_the_golden_output():
    """Every row the README prints for the demo equals the golden numbers, rounded."""
    gold = {r["country"]: r for r in json.loads(GOLDEN.read_text())["countries"]}
    text = (ROOT / "README.md").read_text()
    block = text[text.index("Effects by country") :]
    block = block[: block.index("```")]
    rows = re.findall(r"^\s*([A-Z]{3})\s+((?:[+-]\d+\.\d+\s*)+)$", block, re.M)
    assert len(rows) >= 4
    cols = ["welfare_pct", "real_wage_pct", "cpi_pct", "imports_pct", "exports_pct"]
    for country, numbers in rows:
        shown = [float(x) for x in numbers.split()][: len(cols)]
        want = [round(gold[country][c], 2) for c in cols]
        assert np.allclose(shown, want, atol=0.0051), (country, shown, want)
