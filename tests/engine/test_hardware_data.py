"""data/hardware.json: the prompt-processing constants and the batch-size band are validated."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ecologits_like.impacts.llm import Spread
from ecologits_like.registry._files import data_file
from ecologits_like.registry._validate import DataFileError
from ecologits_like.registry.hardware import load_hardware

PROFILE = "nvidia-h100-80gb-hgx"


def _write(tmp_path: Path, change: Any) -> Path:
    raw = json.loads(data_file("hardware.json").read_text(encoding="utf-8"))
    change(raw["profiles"][PROFILE])
    path = tmp_path / "hardware.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    return path


def test_the_shipped_constants() -> None:
    h100 = load_hardware().get(PROFILE)
    assert h100.gpu_peak_flops == pytest.approx(989.4e12)
    assert h100.gpu_power_kw == 0.7
    assert h100.prefill_mfu == Spread(0.3, 0.5, 0.75)
    assert h100.batch_size_range == Spread(16.0, 64.0, 256.0)
    assert h100.batch_size_range.central == h100.batch_size  # the reference's batch is our central value
    a100 = load_hardware().get("nvidia-a100-80gb-hgx")
    assert (a100.gpu_peak_flops, a100.gpu_power_kw) == (pytest.approx(312e12), 0.4)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda p: p.pop("prefill"), r"profiles.nvidia-h100-80gb-hgx: field 'prefill' is missing"),
        (lambda p: p["prefill"]["mfu"].update(max=1.5), r"prefill.mfu: field 'max' must be <= 1, got 1.5"),
        (lambda p: p["prefill"]["mfu"].update(min=0), r"prefill.mfu: field 'min' must be > 0, got 0.0"),
        (lambda p: p["prefill"].update(gpu_peak_tflops="989"), r"field 'gpu_peak_tflops' must be a number"),
        (
            lambda p: p["batch_size_range"].update(central=300),
            r"batch_size_range must have min <= central <= max, got 16.0, 300.0, 256.0",
        ),
        (lambda p: p["batch_size_range"].update(min=0.5), r"batch_size_range: field 'min' must be >= 1, got 0.5"),
    ],
)
def test_malformed_constants_name_the_field(tmp_path: Path, change: Any, message: str) -> None:
    with pytest.raises(DataFileError, match=message):
        load_hardware(_write(tmp_path, change))
