"""Execute every documentation notebook, so they never rot."""

from __future__ import annotations

from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat", reason="notebook tests need the dev extra (nbformat)")
nbclient = pytest.importorskip("nbclient", reason="notebook tests need the dev extra (nbclient)")
pytest.importorskip("ipykernel", reason="notebook tests need the dev extra (ipykernel)")
pytest.importorskip("matplotlib", reason="the notebooks plot with matplotlib (extra 'notebooks')")

NOTEBOOK_DIR = Path(__file__).resolve().parents[2] / "docs" / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))


def test_there_are_notebooks() -> None:
    assert len(NOTEBOOKS) >= 2


#: Notebook -> modules it needs beyond the notebooks extra (the tracing notebook drives the openai SDK).
REQUIRES = {"2-trace-an-application.ipynb": ("openai", "httpx2")}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_executes(path: Path, tmp_path: Path) -> None:
    for module in REQUIRES.get(path.name, ()):
        pytest.importorskip(module, reason=f"{path.name} needs {module} (extra 'openai')")
    notebook = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()  # raises CellExecutionError naming the failing cell
    errors = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
