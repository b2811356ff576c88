"""Every broken input in tests/bad_inputs/: a clear message, exit code 2 and no result files."""

from __future__ import annotations

from pathlib import Path

import pytest

from energysim.cli import main

CORPUS = Path(__file__).resolve().parent / "bad_inputs"
CASES = sorted(p for p in CORPUS.iterdir() if p.is_dir() and not p.name.startswith("_"))


def test_corpus_is_large_enough():
    assert len(CASES) >= 30, f"only {len(CASES)} bad-input cases"


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input_gives_clear_error(case: Path, tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["run", str(case / "park.toml"), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err
    for needle in (case / "expect.txt").read_text().splitlines():
        if needle:
            assert needle in err, f"{needle!r} not in:\n{err}"
    assert not out.exists() or not any(out.iterdir()), "a failed run wrote files"
