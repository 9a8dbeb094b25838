"""The tutorial notebook runs clean, in under a minute, and draws its figures."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "quickstart.ipynb"


@pytest.mark.slow
def test_quickstart_notebook_runs_clean():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(notebook, timeout=180, kernel_name="python3",
                                     resources={"metadata": {"path": str(NOTEBOOK.parent)}})
    started = time.perf_counter()
    client.execute()  # raises CellExecutionError on any failing cell
    elapsed = time.perf_counter() - started
    outputs = [out for cell in notebook.cells if cell.cell_type == "code"
               for out in cell.get("outputs", [])]
    assert not [out for out in outputs if out.get("output_type") == "error"]
    assert not [out for out in outputs if out.get("name") == "stderr"
                and "Traceback" in out.get("text", "")]
    images = [out for out in outputs if "image/png" in out.get("data", {})]
    assert len(images) >= 2, "the notebook should draw two figures"
    assert elapsed < 120, f"notebook took {elapsed:.0f} s"
