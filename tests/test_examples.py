"""The README's first command runs ``examples/quickstart.py``: it must keep working offline."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_quickstart_runs_and_prints_estimates() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "quickstart.py")],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "openai/gpt-4o-mini, 2,000 prompt tokens and 500 output tokens:" in out
    assert "Wh  (range " in out
    assert "Did you mean: gpt-4o-mini" in out
    assert "energy (Wh, central estimate)" in out
