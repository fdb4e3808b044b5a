"""The wheel ships the reference data and the typing marker, and works outside the checkout."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(ROOT)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(f"building the wheel failed:\n{result.stdout}\n{result.stderr}")
    (built,) = out.glob("ecologits_like-*.whl")
    return built


def test_wheel_contains_data_and_py_typed(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for data in ("models.json", "electricity_mixes.csv", "providers.json", "hardware.json"):
        assert f"ecologits_like/data/{data}" in names
    assert "ecologits_like/py.typed" in names
    assert not any("_incoming" in name for name in names)


def test_installed_wheel_estimates_without_the_checkout(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
    )
    code = (
        "import ecologits_like, pathlib;"
        "assert 'site' in pathlib.Path(ecologits_like.__file__).parts, ecologits_like.__file__;"
        "from ecologits_like import estimate;"
        "r = estimate('openai', 'gpt-4o-mini', 100);"
        "assert not r.errors, r.errors; print('ok')"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env={"PYTHONPATH": str(target)}, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
