"""CSV export of request records."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from ecologits_like.exporters.csv import CSV_COLUMNS, write_csv
from tests.session.factory import EXACT, RANGED, UNKNOWN, make_record


def test_rows_and_columns(tmp_path: Path) -> None:
    records = [make_record(*RANGED, labels={"team": "care"}), make_record(*EXACT, latency=None), make_record(*UNKNOWN)]
    path = tmp_path / "out.csv"
    assert write_csv(records, path) == 3
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    assert tuple(rows[0]) == CSV_COLUMNS
    first = rows[0]
    assert first["timestamp"] == "2025-03-01T12:00:00+00:00" and first["provider"] == "openai"
    assert float(first["energy_kwh_min"]) == records[0].impacts.energy.min
    assert float(first["energy_kwh_min"]) < float(first["energy_kwh"]) < float(first["energy_kwh_max"])
    assert "model-arch-not-released" in first["warnings"]
    assert first["labels"] == '{"team": "care"}'
    assert rows[1]["latency_s"] == "" and rows[1]["energy_kwh"] == rows[1]["energy_kwh_max"]
    assert rows[2]["energy_kwh"] == "" and rows[2]["errors"] == "model-not-registered"
    with pytest.raises(FileExistsError, match=r"out\.csv"):
        write_csv(records, path)
    assert write_csv(records[:1], path, overwrite=True) == 1


def test_to_an_open_file() -> None:
    buffer = io.StringIO()
    write_csv([make_record()], buffer)
    assert buffer.getvalue().splitlines()[0].split(",")[:3] == ["timestamp", "provider", "model_requested"]
