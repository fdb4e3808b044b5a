"""Every exporter reports the methodology's central value, not the midpoint of the range.

Under the default methodology each estimate is a range whose central value (batch size 64,
central prompt-processing efficiency and datacenter figures) differs from its midpoint: an
exporter that wrote ``.mean`` would publish a number no scenario of the methodology produces.
"""

from __future__ import annotations

import csv
import io
import math

import pytest

from ecologits_like.exporters.boamps import from_records
from ecologits_like.exporters.csv import write_csv
from ecologits_like.records import RequestRecord
from ecologits_like.session import summarize
from tests.session.factory import EXACT, RANGED, make_record


def _default_records() -> list[RequestRecord]:
    return [make_record(*RANGED, methodology="ecologits-like", offset_s=i) for i in range(3)]


def test_default_estimates_have_a_central_value_away_from_the_midpoint() -> None:
    impacts = _default_records()[0].impacts
    energy = impacts.energy
    assert energy.min < energy.central < energy.max
    assert not math.isclose(energy.central, energy.mean, rel_tol=1e-6)
    assert energy.central == energy.value.central  # type: ignore[union-attr]


def test_exact_values_are_their_own_central_value() -> None:
    energy = make_record(*EXACT).impacts.energy
    assert energy.central == energy.mean == energy.min == energy.value


def test_csv_writes_the_central_value() -> None:
    records = _default_records()
    buffer = io.StringIO()
    write_csv(records, buffer)
    rows = list(csv.DictReader(io.StringIO(buffer.getvalue())))
    for row, record in zip(rows, records, strict=True):
        assert float(row["energy_kwh"]) == record.impacts.energy.central
        assert float(row["gwp_kgco2eq"]) == record.impacts.gwp.central


def test_session_summary_adds_central_values() -> None:
    records = _default_records()
    (row,) = summarize(records)
    assert row["energy_kwh"] == pytest.approx(math.fsum(r.impacts.energy.central for r in records), rel=1e-12)
    assert row["energy_kwh_min"] < row["energy_kwh"] < row["energy_kwh_max"]


def test_boamps_reports_the_central_energy() -> None:
    records = _default_records()
    (report,) = from_records(records)
    expected = math.fsum(r.impacts.energy.central for r in records)
    assert report.measures[0].power_consumption == pytest.approx(expected, rel=1e-12)


def test_opentelemetry_counts_the_central_value() -> None:
    pytest.importorskip("opentelemetry.sdk")
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader

    from ecologits_like.exporters.opentelemetry import OpenTelemetryExporter

    reader = InMemoryMetricReader()
    provider = MeterProvider(metric_readers=[reader])
    try:
        exporter = OpenTelemetryExporter(provider, genai_metrics=False)
        records = _default_records()
        for record in records:
            exporter(record)
        data = reader.get_metrics_data()
        assert data is not None
        totals: dict[str, float] = {}
        for resource_metrics in data.resource_metrics:
            for scope_metrics in resource_metrics.scope_metrics:
                for metric in scope_metrics.metrics:
                    totals[metric.name] = sum(point.value for point in metric.data.data_points)  # type: ignore[union-attr]
        expected = math.fsum(r.impacts.energy.central for r in records)
        assert totals["ecologits.energy"] == pytest.approx(expected, rel=1e-12)
        assert totals["ecologits.energy.min"] < totals["ecologits.energy"] < totals["ecologits.energy.max"]
    finally:
        provider.shutdown()
