"""Every `detente` command line of the README runs as written (servers and downloads aside)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from detente.cli import main

README = Path(__file__).resolve().parents[1] / "README.md"
SKIP = ("detente serve", "detente data build")  # a server; a download from PyPI


def readme_commands() -> list[str]:
    text = README.read_text(encoding="utf-8")
    out = []
    for block in re.findall(r"```sh\n(.*?)```", text, flags=re.S):
        for line in block.splitlines():
            line = line.split("  #")[0].strip()
            if line.startswith("detente ") and not line.startswith(SKIP):
                out.append(line)
    return out


def test_the_readme_has_commands():
    assert len(readme_commands()) >= 15


@pytest.mark.slow
@pytest.mark.parametrize("line", readme_commands())
def test_readme_command_runs(line, tmp_path, monkeypatch, capsys):
    if "cp2015" in line and not (README.parents[1] / "shared" / "data" / "cp2015").is_dir():
        pytest.skip("the Caliendo-Parro data (../shared/data/cp2015) is absent")
    monkeypatch.chdir(tmp_path)  # files the commands write land here
    assert main(shlex.split(line)[1:]) == 0, capsys.readouterr().err
