"""End to end: metrics leave the process over OTLP/HTTP and add up at a real receiver on 127.0.0.1."""

from __future__ import annotations

import gzip
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

pytest.importorskip("opentelemetry.exporter.otlp.proto.http", reason="the 'otel' extra is not installed")

from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
    ExportMetricsServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue

from ecologits_like import EcoLogits
from ecologits_like.exporters import opentelemetry as otel
from tests.otel.test_metrics import chat, expected_total
from tests.tracers.conftest import FakeAPI


def _value(any_value: AnyValue) -> Any:
    return getattr(any_value, any_value.WhichOneof("value"))


@dataclass
class Receiver:
    """A minimal OTLP/HTTP metrics receiver: decodes every ``ExportMetricsServiceRequest`` it is sent."""

    url: str
    exports: list[ExportMetricsServiceRequest] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    encodings: list[str | None] = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    def latest(self) -> dict[str, dict[frozenset[tuple[str, Any]], Any]]:
        """Per metric of our scope, the last value (sums) or (count, sum) (histograms) per attribute set."""
        found: dict[str, dict[frozenset[tuple[str, Any]], Any]] = {}
        for export in self.exports:  # cumulative temporality: later exports supersede earlier ones
            for resource_metrics in export.resource_metrics:
                for scope_metrics in resource_metrics.scope_metrics:
                    if scope_metrics.scope.name != otel.METER_NAME:
                        continue
                    for metric in scope_metrics.metrics:
                        points = found.setdefault(metric.name, {})
                        kind = metric.WhichOneof("data")
                        for point in getattr(metric, kind).data_points:
                            key = frozenset((a.key, _value(a.value)) for a in point.attributes)
                            if kind == "sum":
                                points[key] = point.as_double or point.as_int
                            else:
                                points[key] = (point.count, point.sum)
        return found

    def resources(self) -> list[dict[str, Any]]:
        return [
            {a.key: _value(a.value) for a in rm.resource.attributes} for e in self.exports for rm in e.resource_metrics
        ]

    def wait_for(self, count: int, timeout: float = 10.0) -> None:
        with self.arrived:
            assert self.arrived.wait_for(lambda: len(self.exports) >= count, timeout), self.exports


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    holder: list[Receiver] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            encoding = self.headers.get("Content-Encoding")
            if encoding == "gzip":
                body = gzip.decompress(body)
            request = ExportMetricsServiceRequest()
            request.ParseFromString(body)
            answer = ExportMetricsServiceResponse().SerializeToString()
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)
            receiver = holder[0]
            with receiver.arrived:
                receiver.paths.append(self.path)
                receiver.encodings.append(encoding)
                receiver.exports.append(request)
                receiver.arrived.notify_all()

        def log_message(self, *args: Any) -> None:  # keep the test output clean
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    holder.append(Receiver(url=f"http://127.0.0.1:{server.server_address[1]}"))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield holder[0]
    finally:
        EcoLogits.uninstrument()
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.mark.parametrize(("compression", "path"), [(None, ""), ("gzip", "/v1/metrics")])
def test_metrics_reach_an_otlp_receiver_and_add_up(
    api: FakeAPI, receiver: Receiver, monkeypatch: pytest.MonkeyPatch, compression: str | None, path: str
) -> None:
    if compression:
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_METRICS_COMPRESSION", compression)
    monkeypatch.setenv("OTEL_SERVICE_NAME", "support-bot")
    EcoLogits.init(providers=["openai"], opentelemetry=receiver.url + path)
    with EcoLogits.session(labels={"team": "care"}):
        outputs = [chat(api).impacts for _ in range(3)]
    assert otel.force_flush(5000)
    receiver.wait_for(1)
    assert set(receiver.paths) == {"/v1/metrics"} and set(receiver.encodings) == {compression}
    resource = receiver.resources()[0]
    assert resource["service.name"] == "support-bot" and resource["service.instance.id"]  # one per process

    base = {
        ("gen_ai.operation.name", "chat"),
        ("gen_ai.provider.name", "openai"),
        ("gen_ai.request.model", "gpt-4o-mini"),
        ("gen_ai.response.model", "gpt-4o-mini-2024-07-18"),
        ("ecologits.label.team", "care"),
    }
    impact = base | {("ecologits.electricity_mix_zone", "USA")}
    metrics = receiver.latest()
    assert metrics["ecologits.requests"] == {frozenset(impact | {("ecologits.estimated", True)}): 3}
    for indicator, phase, bound in [("energy", "usage", ""), ("gwp", "embodied", ".max"), ("water", "usage", ".min")]:
        got = metrics[f"ecologits.{indicator}{bound}"][frozenset(impact | {("ecologits.phase", phase)})]
        assert got == expected_total(outputs, indicator, phase, bound)
    assert metrics["gen_ai.client.token.usage"][frozenset(base | {("gen_ai.token.type", "output")})] == (3, 30)
    assert metrics["gen_ai.client.operation.duration"][frozenset(base)][0] == 3

    # A request after the last flush still leaves the process: uninstrument() flushes our provider.
    exports = len(receiver.exports)
    chat(api)
    EcoLogits.uninstrument()
    receiver.wait_for(exports + 1)
    assert sum(receiver.latest()["ecologits.requests"].values()) == 4


def test_a_request_never_waits_on_the_export(api: FakeAPI, receiver: Receiver) -> None:
    """The periodic reader exports from its own thread: a slow collector does not slow traced calls."""
    EcoLogits.init(providers=["openai"], opentelemetry=receiver.url)
    exporter = otel.active_exporter()
    assert exporter is not None and exporter.owns_provider
    reader_threads = [t for t in threading.enumerate() if "OtelPeriodicExportingMetricReader" in t.name]
    assert reader_threads, [t.name for t in threading.enumerate()]
    started = time.perf_counter()
    chat(api)
    assert time.perf_counter() - started < 1.0
    assert receiver.exports == []  # nothing was sent on the caller's path


def test_the_same_url_keeps_the_exporter_and_another_replaces_it(api: FakeAPI, receiver: Receiver) -> None:
    EcoLogits.init(providers=["openai"], opentelemetry=receiver.url)
    first = otel.active_exporter()
    EcoLogits.init(providers=["openai"], opentelemetry=receiver.url + "/v1/metrics")  # the same endpoint
    assert otel.active_exporter() is first
    chat(api)
    EcoLogits.init(providers=["openai"], opentelemetry=receiver.url + "/other/v1/metrics")
    second = otel.active_exporter()
    assert second is not None and second is not first and second.endpoint == receiver.url + "/other/v1/metrics"
    receiver.wait_for(1)  # the first provider was shut down, flushing its request
    assert receiver.paths[0] == "/v1/metrics"
    assert sum(receiver.latest()["ecologits.requests"].values()) == 1


def test_the_resource_comes_from_the_environment(
    api: FakeAPI, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_RESOURCE_ATTRIBUTES", "service.instance.id=worker-7,deployment.environment=prod")
    EcoLogits.init(providers=["openai"], opentelemetry=receiver.url)
    chat(api)
    assert otel.force_flush(5000)
    receiver.wait_for(1)
    resource = receiver.resources()[0]
    assert resource["service.instance.id"] == "worker-7" and resource["deployment.environment"] == "prod"
