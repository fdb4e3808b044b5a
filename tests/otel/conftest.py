"""OpenTelemetry test kit: an SDK MeterProvider read in memory, and helpers to read its metrics."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

pytest.importorskip("opentelemetry.sdk.metrics", reason="the 'otel' extra is not installed")

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import (
    HistogramDataPoint,
    InMemoryMetricReader,
    NumberDataPoint,
)

from ecologits_like.exporters import opentelemetry as otel
from tests.tracers.conftest import _uninstrument, api, records, tracer_logs  # noqa: F401


@dataclass(frozen=True)
class Metric:
    """One instrument as collected: its unit, kind and data points by attribute set."""

    name: str
    unit: str
    monotonic_sum: bool
    points: dict[frozenset[tuple[str, Any]], Any]

    def value(self, **attributes: Any) -> float:
        """The value of the point with exactly these attributes (dots as ``__`` in keys)."""
        return self.point(**attributes).value  # type: ignore[no-any-return]

    def point(self, **attributes: Any) -> Any:
        key = frozenset((k.replace("__", "."), v) for k, v in attributes.items())
        assert key in self.points, f"{self.name}: no point {dict(key)}; have {[dict(k) for k in self.points]}"
        return self.points[key]

    def total(self) -> float:
        return sum(p.value for p in self.points.values())


def collect(reader: InMemoryMetricReader) -> dict[str, Metric]:
    """Every metric of the ``ecologits_like`` scope, by name."""
    data = reader.get_metrics_data()
    found: dict[str, Metric] = {}
    for resource_metrics in data.resource_metrics if data else []:
        for scope_metrics in resource_metrics.scope_metrics:
            if scope_metrics.scope.name != otel.METER_NAME:
                continue
            for metric in scope_metrics.metrics:
                points = {frozenset(p.attributes.items()): p for p in metric.data.data_points}
                for p in points.values():
                    assert isinstance(p, (NumberDataPoint, HistogramDataPoint))
                monotonic = bool(getattr(metric.data, "is_monotonic", False))
                found[metric.name] = Metric(metric.name, metric.unit, monotonic, points)
    return found


@pytest.fixture
def reader() -> InMemoryMetricReader:
    return InMemoryMetricReader()


@pytest.fixture
def provider(reader: InMemoryMetricReader) -> Iterator[MeterProvider]:
    meter_provider = MeterProvider(metric_readers=[reader], shutdown_on_exit=False)
    yield meter_provider
    otel.stop()
    meter_provider.shutdown()
