"""The documentation site: every code block runs, the generated data tables are right, and
``mkdocs build --strict`` passes."""

from __future__ import annotations

import importlib.util
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ecologits_like.registry import get_registry

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
PAGES = sorted(DOCS.glob("*.md"))
FENCE = re.compile(r"^```(\w+)[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)


def _blocks(page: Path, language: str) -> list[str]:
    return [body for lang, body in FENCE.findall(page.read_text(encoding="utf-8")) if lang == language]


def _load_hook() -> Any:
    spec = importlib.util.spec_from_file_location("data_tables", DOCS / "_hooks" / "data_tables.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_pages_have_runnable_examples() -> None:
    assert sum(len(_blocks(p, "python")) for p in PAGES) >= 8


@pytest.mark.parametrize("page", [p for p in PAGES if _blocks(p, "python")], ids=lambda p: p.name)
def test_python_blocks_run(page: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A page's Python blocks run in order in one namespace, as a reader would paste them."""
    pytest.importorskip("pandas")
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, Any] = {"__name__": f"docs_{page.stem}"}
    for index, code in enumerate(_blocks(page, "python")):
        try:
            exec(compile(code, f"{page.name}[block {index}]", "exec"), namespace)
        finally:
            if "ecologits_like._ecologits" in sys.modules:
                sys.modules["ecologits_like._ecologits"].EcoLogits.uninstrument()


@pytest.mark.parametrize("page", [p for p in PAGES if _blocks(p, "console")], ids=lambda p: p.name)
def test_console_blocks_run(page: Path) -> None:
    """``$ ecologits-like ...`` lines run (as ``python -m ecologits_like``) and succeed."""
    commands = [line[2:] for body in _blocks(page, "console") for line in body.splitlines() if line.startswith("$ ")]
    assert commands
    for command in commands:
        argv = shlex.split(command)
        assert argv[0] == "ecologits-like", command
        done = subprocess.run(
            [sys.executable, "-m", "ecologits_like", *argv[1:]], capture_output=True, text=True, timeout=60, cwd=ROOT
        )
        assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"


def test_data_tables_match_the_data() -> None:
    hook = _load_hook()
    registry = get_registry()
    markers = re.findall(r"<!-- data-table: ([a-z-]+) -->", (DOCS / "data.md").read_text(encoding="utf-8"))
    assert set(markers) == set(hook.TABLES)
    providers = hook.render("providers")
    for name, profile in registry.providers.items():
        assert f"| {name} | {profile.datacenter_zone} |" in providers
    mixes = hook.render("mixes")
    assert mixes.count("\n") == len(registry.mixes) + 1
    assert "| FRA | France |" in mixes
    counts = hook.render("model-counts")
    assert f"| **all** | {len(registry.models)} |" in counts
    models = hook.render("models")
    closed = [m for m in registry.models if m.provider != "huggingface_hub"]
    assert all(f"`{m.name}`" in models for m in closed)
    assert "| nvidia-h100-80gb-hgx (default) |" in hook.render("hardware")
    filled = hook.fill("a\n<!-- data-table: hardware -->\nb")
    assert "nvidia-a100-80gb-hgx" in filled and "data-table" not in filled
    with pytest.raises(ValueError, match="unknown data table"):
        hook.render("nope")


def test_mkdocs_build_strict(tmp_path: Path) -> None:
    pytest.importorskip("mkdocs", reason="mkdocs is not installed (pip install -e '.[dev]')")
    for plugin in ("material", "mkdocstrings", "mkdocs_jupyter"):
        pytest.importorskip(plugin, reason=f"{plugin} is not installed (pip install -e '.[dev]')")
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "site" / "notebooks" / "1-compare-providers" / "index.html").exists()
    assert "nvidia-h100-80gb-hgx" in (tmp_path / "site" / "data" / "index.html").read_text(encoding="utf-8")
