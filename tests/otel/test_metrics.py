"""OpenTelemetry metrics from real SDK calls: instruments, attributes, values that add up, labels, bounds."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from typing import Any

import httpx2
import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader

from ecologits_like import EcoLogits, _sinks
from ecologits_like.exporters import opentelemetry as otel
from ecologits_like.impacts.output import ImpactsOutput
from ecologits_like.impacts.range_value import RangeValue
from tests.otel.conftest import collect
from tests.session.factory import make_record
from tests.tracers.conftest import FakeAPI, anthropic_client, openai_client, wire_json

MESSAGES = [{"role": "user", "content": "Hello"}]
INDICATORS = {"energy": "kWh", "gwp": "kgCO2eq", "adpe": "kgSbeq", "pe": "MJ", "water": "L"}
FIELD = {"energy": "energy", "gwp": "gwp", "adpe": "adpe", "pe": "pe", "water": "wcf"}
PHASES = {"energy": ("usage",), "gwp": ("usage", "embodied"), "adpe": ("usage", "embodied"),
          "pe": ("usage", "embodied"), "water": ("usage",)}  # fmt: skip


def expected_total(outputs: list[ImpactsOutput], indicator: str, phase: str, bound: str) -> float:
    """The sum the counter must hold, added in call order as the exporter adds it."""
    total = 0.0
    for impacts in outputs:
        value = getattr(getattr(impacts, phase), FIELD[indicator]).value
        if isinstance(value, RangeValue):
            total += {"": value.central, ".min": value.min, ".max": value.max}[bound]
        else:
            total += value
    return total


def chat(api: FakeAPI, model: str = "gpt-4o-mini", **kwargs: Any) -> Any:
    return openai_client(api).chat.completions.create(model=model, messages=MESSAGES, **kwargs)


def answer_as(model: str) -> Any:
    body = {**wire_json("chat_completion.json"), "model": model}
    return lambda request, _: httpx2.Response(200, json=body)


# -- what is exported -------------------------------------------------------------------------------


def test_traced_calls_export_every_instrument_with_units_and_attributes(
    api: FakeAPI, provider: MeterProvider, reader: InMemoryMetricReader
) -> None:
    EcoLogits.init(providers=["openai"], electricity_mix_zone="FRA", opentelemetry=provider)
    response = chat(api)
    metrics = collect(reader)

    expected_units = {"ecologits.requests": "{request}", "gen_ai.client.token.usage": "{token}"}
    expected_units["gen_ai.client.operation.duration"] = "s"
    for indicator, unit in INDICATORS.items():
        for bound in ("", ".min", ".max"):
            expected_units[f"ecologits.{indicator}{bound}"] = unit
    assert {name: m.unit for name, m in metrics.items()} == expected_units
    assert all(metrics[name].monotonic_sum for name in expected_units if name.startswith("ecologits."))

    request = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
    }
    impact = {**request, "ecologits.electricity_mix_zone": "FRA"}
    usage = wire_json("chat_completion.json")["usage"]
    tokens = metrics["gen_ai.client.token.usage"]
    assert {frozenset(k) for k in tokens.points} == {
        frozenset({**request, "gen_ai.token.type": "input"}.items()),
        frozenset({**request, "gen_ai.token.type": "output"}.items()),
    }
    assert tokens.points[frozenset({**request, "gen_ai.token.type": "input"}.items())].sum == usage["prompt_tokens"]
    assert (
        tokens.points[frozenset({**request, "gen_ai.token.type": "output"}.items())].sum == usage["completion_tokens"]
    )
    duration = metrics["gen_ai.client.operation.duration"].points[frozenset(request.items())]
    assert duration.count == 1 and 0 < duration.sum < 5
    assert list(duration.explicit_bounds)[:3] == [0.01, 0.02, 0.04]  # the conventions' advice
    assert metrics["ecologits.requests"].value(**{**impact, "ecologits.estimated": True}) == 1
    gwp = metrics["ecologits.gwp"]
    assert {frozenset(k) for k in gwp.points} == {
        frozenset({**impact, "ecologits.phase": phase}.items()) for phase in ("usage", "embodied")
    }
    assert gwp.point(**{**impact, "ecologits.phase": "usage"}).value == response.impacts.usage.gwp.value.central
    assert set(metrics["ecologits.energy"].points) == {frozenset({**impact, "ecologits.phase": "usage"}.items())}


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # anthropic warns about the model's end of life
def test_counters_hold_the_sum_of_the_responses_impacts(
    api: FakeAPI, provider: MeterProvider, reader: InMemoryMetricReader, records: list[Any]
) -> None:
    # The reference methodology (fixed batch size) keeps a disclosed model's figures exact floats.
    EcoLogits.init(providers=["openai", "anthropic"], opentelemetry=provider, methodology="ecologits")
    ranged = [chat(api).impacts for _ in range(3)]
    stream = chat(api, stream=True)
    for _ in stream:
        pass
    ranged.append(stream.impacts)
    api.override = answer_as("gpt-oss-120b")
    exact = [chat(api, model="gpt-oss-120b").impacts for _ in range(2)]
    api.override = None
    claude = anthropic_client(api).messages.create(model="claude-sonnet-4-6", max_tokens=200, messages=MESSAGES)
    metrics = collect(reader)

    assert not isinstance(exact[0].energy.value, RangeValue) and isinstance(ranged[0].energy.value, RangeValue)
    series = {
        "ranged": ("openai", "gpt-4o-mini", "gpt-4o-mini-2024-07-18", ranged),
        "exact": ("openai", "gpt-oss-120b", "gpt-oss-120b", exact),
        "claude": ("anthropic", "claude-sonnet-4-6", "claude-sonnet-4-6", [claude.impacts]),
    }
    for provider_name, requested, returned, outputs in series.values():
        base = {
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": provider_name,
            "gen_ai.request.model": requested,
            "gen_ai.response.model": returned,
            "ecologits.electricity_mix_zone": "USA",
        }
        assert metrics["ecologits.requests"].value(**base, ecologits__estimated=True) == len(outputs)
        for indicator, phases in PHASES.items():
            for phase in phases:
                for bound in ("", ".min", ".max"):
                    got = metrics[f"ecologits.{indicator}{bound}"].value(**base, ecologits__phase=phase)
                    assert got == expected_total(outputs, indicator, phase, bound), (indicator, phase, bound)
    # Totals over every series and phase: what `sum(ecologits_gwp_kgCO2eq_total)` shows.
    everything = ranged + exact + [claude.impacts]
    assert metrics["ecologits.gwp"].total() == pytest.approx(sum(i.gwp.central for i in everything), rel=1e-12)
    assert metrics["ecologits.gwp.min"].total() == pytest.approx(sum(i.gwp.min for i in everything), rel=1e-12)
    assert metrics["ecologits.energy.max"].total() == pytest.approx(sum(i.energy.max for i in everything), rel=1e-12)
    tokens = metrics["gen_ai.client.token.usage"].points.items()
    for kind, field in (("output", "output_tokens"), ("input", "input_tokens")):
        counted = sum(p.sum for k, p in tokens if ("gen_ai.token.type", kind) in k)
        assert counted == sum(getattr(r, field) for r in records) > 0
    assert len(records) == 7


def test_a_request_without_an_estimate_counts_but_adds_no_impacts(
    api: FakeAPI, provider: MeterProvider, reader: InMemoryMetricReader
) -> None:
    api.override = answer_as("gpt-unknown-model")
    EcoLogits.init(providers=["openai"], opentelemetry=provider)
    response = chat(api, model="gpt-unknown-model")
    assert response.impacts.has_errors
    metrics = collect(reader)
    requests = metrics["ecologits.requests"]
    assert [dict(k)["ecologits.estimated"] for k in requests.points] == [False]
    assert requests.total() == 1
    assert "ecologits.energy" not in metrics or not metrics["ecologits.energy"].points
    assert metrics["gen_ai.client.token.usage"].points  # tokens and duration are still facts


# -- session labels ---------------------------------------------------------------------------------


def test_session_labels_become_prefixed_attributes_inner_wins(
    api: FakeAPI, provider: MeterProvider, reader: InMemoryMetricReader
) -> None:
    EcoLogits.init(providers=["openai"], opentelemetry=provider)
    with EcoLogits.session("outer", labels={"team": "care", "feature": "chat"}):
        outer = chat(api).impacts
        with EcoLogits.session("inner", labels={"team": "search", "env": "prod"}):
            inner = [chat(api).impacts, chat(api).impacts]
    chat(api)
    metrics = collect(reader)
    energy = metrics["ecologits.energy"]
    labels = [{k: v for k, v in key if k.startswith("ecologits.label.")} for key in energy.points]
    assert sorted(labels, key=len) == [
        {},
        {"ecologits.label.team": "care", "ecologits.label.feature": "chat"},
        {"ecologits.label.team": "search", "ecologits.label.feature": "chat", "ecologits.label.env": "prod"},
    ]
    base = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
        "ecologits.electricity_mix_zone": "USA",
        "ecologits.phase": "usage",
    }
    care = {**base, "ecologits.label.team": "care", "ecologits.label.feature": "chat"}
    search = {**care, "ecologits.label.team": "search", "ecologits.label.env": "prod"}
    assert energy.value(**care) == expected_total([outer], "energy", "usage", "")
    assert energy.value(**search) == expected_total(inner, "energy", "usage", "")
    # The GenAI histograms carry the labels too (tokens per team), but not the zone.
    token_keys = [dict(k) for k in metrics["gen_ai.client.token.usage"].points]
    assert {k.get("ecologits.label.team") for k in token_keys} == {None, "care", "search"}
    assert not any("ecologits.electricity_mix_zone" in k for k in token_keys)


def test_label_cardinality_is_bounded_and_each_drop_is_logged_once(
    provider: MeterProvider, reader: InMemoryMetricReader, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="ecologits_like")
    exporter = otel.OpenTelemetryExporter(provider, max_label_keys=2, max_label_values=3, max_label_value_length=12)
    for i in range(10):  # a request id smuggled into a label: only 3 of its values are kept
        exporter(make_record(labels={"team": "care", "request": f"r{i}"}))
    exporter(make_record(labels={"team": "care", "third": "x"}))  # a third key: dropped
    exporter(make_record(labels={"team": "a free text label value"}))  # too long: dropped
    requests = collect(reader)["ecologits.requests"]
    seen = {frozenset((k, v) for k, v in key if k.startswith("ecologits.label.")) for key in requests.points}
    care = ("ecologits.label.team", "care")
    assert seen == {
        frozenset({care}),
        *(frozenset({care, ("ecologits.label.request", f"r{i}")}) for i in range(3)),
        frozenset(),
    }
    assert requests.total() == 12  # every request still counts
    without_request = [p.value for k, p in requests.points.items() if dict(k) .get("ecologits.label.team") == "care"
                       and "ecologits.label.request" not in dict(k)]  # fmt: skip
    assert without_request == [8]  # r3..r9 and the request with the dropped third key
    messages = [r.getMessage() for r in caplog.records]
    assert sum("'request'" in m and "more than 3 distinct values" in m for m in messages) == 1
    assert sum("'third'" in m and "more than 2 label keys" in m for m in messages) == 1
    assert sum("'team'" in m and "longer than 12 characters" in m for m in messages) == 1


def test_attribute_sets_beyond_the_limit_go_to_the_overflow_series(
    provider: MeterProvider, reader: InMemoryMetricReader
) -> None:
    exporter = otel.OpenTelemetryExporter(provider, max_series=2)
    for zone in ("FRA", "DEU", "USA", "SWE", "FRA"):
        exporter(make_record(zone=zone))
    requests = collect(reader)["ecologits.requests"]
    by_zone = {dict(k).get("ecologits.electricity_mix_zone", "overflow"): p.value for k, p in requests.points.items()}
    assert by_zone == {"FRA": 2, "DEU": 1, "overflow": 2}
    overflow = next(k for k in requests.points if "ecologits.electricity_mix_zone" not in dict(k))
    assert dict(overflow) == {"otel.metric.overflow": True, "ecologits.estimated": True}


def test_bad_bounds_are_rejected_naming_the_value(provider: MeterProvider) -> None:
    with pytest.raises(ValueError, match="max_label_keys must be a non-negative int, got -1"):
        otel.OpenTelemetryExporter(provider, max_label_keys=-1)
    with pytest.raises(ValueError, match=r"max_series must be a non-negative int, got 2\.5"):
        otel.OpenTelemetryExporter(provider, max_series=2.5)  # type: ignore[arg-type]


# -- switching on and off ---------------------------------------------------------------------------


def test_uninstrument_and_opentelemetry_false_stop_recording(
    api: FakeAPI, provider: MeterProvider, reader: InMemoryMetricReader
) -> None:
    EcoLogits.init(providers=["openai"], opentelemetry=provider)
    chat(api)
    EcoLogits.init(providers=["openai"])  # None: unchanged
    chat(api)
    assert collect(reader)["ecologits.requests"].total() == 2
    EcoLogits.init(providers=["openai"], opentelemetry=False)
    assert otel.active_exporter() is None and not any(isinstance(s, otel.OpenTelemetryExporter) for s in _sinks.sinks())
    assert chat(api).impacts.energy is not None  # still traced, no longer exported
    assert collect(reader)["ecologits.requests"].total() == 2
    EcoLogits.init(providers=["openai"], opentelemetry=provider)  # same provider: same totals go on
    chat(api)
    assert collect(reader)["ecologits.requests"].total() == 3
    EcoLogits.uninstrument()
    assert otel.active_exporter() is None
    chat(api)
    assert collect(reader)["ecologits.requests"].total() == 3


def test_another_provider_replaces_the_first(
    api: FakeAPI, provider: MeterProvider, reader: InMemoryMetricReader
) -> None:
    second_reader = InMemoryMetricReader()
    second = MeterProvider(metric_readers=[second_reader], shutdown_on_exit=False)
    EcoLogits.init(providers=["openai"], opentelemetry=provider)
    chat(api)
    EcoLogits.init(providers=["openai"], opentelemetry=second)
    chat(api)
    assert collect(reader)["ecologits.requests"].total() == 1
    assert collect(second_reader)["ecologits.requests"].total() == 1
    assert sum(isinstance(s, otel.OpenTelemetryExporter) for s in _sinks.sinks()) == 1
    second.shutdown()


def test_true_uses_the_global_meter_provider(
    api: FakeAPI, provider: MeterProvider, reader: InMemoryMetricReader, monkeypatch: pytest.MonkeyPatch
) -> None:
    from opentelemetry import metrics

    monkeypatch.setattr(metrics, "get_meter_provider", lambda: provider)
    EcoLogits.init(providers=["openai"], opentelemetry=True)
    chat(api)
    assert otel.active_exporter() is not None and otel.active_exporter().meter_provider is provider  # type: ignore[union-attr]
    assert collect(reader)["ecologits.requests"].total() == 1


# -- failures never reach the caller ----------------------------------------------------------------


class _BrokenInstrument:
    def record(self, *args: Any, **kwargs: Any) -> None:
        raise RuntimeError("meter exploded")


class _BrokenMeter:
    def create_histogram(self, *args: Any, **kwargs: Any) -> _BrokenInstrument:
        return _BrokenInstrument()

    def create_observable_counter(self, *args: Any, **kwargs: Any) -> None:
        return None


def test_a_failing_meter_does_not_break_a_traced_call(api: FakeAPI, tracer_logs: pytest.LogCaptureFixture) -> None:
    from opentelemetry.metrics import NoOpMeterProvider

    class BrokenProvider(NoOpMeterProvider):
        def get_meter(self, *args: Any, **kwargs: Any) -> Any:
            return _BrokenMeter()

    EcoLogits.init(providers=["openai"], opentelemetry=BrokenProvider())
    first = chat(api)
    second = chat(api, stream=True)
    chunks = list(second)
    assert first.impacts.energy is not None and not first.impacts.errors
    assert chunks and second.impacts.energy is not None
    failures = [r.getMessage() for r in tracer_logs.records if "meter exploded" in r.getMessage()]
    assert len(failures) == 1 and "OpenTelemetryExporter" in failures[0]


# -- the argument -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "error", "match"),
    [
        (1, TypeError, r"opentelemetry must be True, False, None, an opentelemetry MeterProvider.*got 1 \(int\)"),
        (object(), TypeError, r"MeterProvider.*got <object object"),
        (b"http://x", TypeError, r"got b'http://x' \(bytes\)"),
        ("localhost:4318", ValueError, r"http:// or https:// URL with a host.*got 'localhost:4318'"),
        ("ftp://collector/v1/metrics", ValueError, r"got 'ftp://collector/v1/metrics'"),
        ("http://", ValueError, r"with a host.*got 'http://'"),
        ("http://collector:99999", ValueError, r"'http://collector:99999' is not a valid URL"),
        (" http://collector", ValueError, r"without spaces, got ' http://collector'"),
    ],
)
def test_bad_arguments_raise_naming_the_value(value: object, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        EcoLogits.init(providers=["openai"], opentelemetry=value)  # type: ignore[arg-type]
    assert otel.active_exporter() is None and EcoLogits.config() is None  # nothing half-applied


@pytest.mark.parametrize(
    ("url", "endpoint"),
    [
        ("http://collector:4318", "http://collector:4318/v1/metrics"),
        ("http://collector:4318/", "http://collector:4318/v1/metrics"),
        ("https://otel.example.com/v1/metrics", "https://otel.example.com/v1/metrics"),
        ("http://gateway/otlp/v1/metrics", "http://gateway/otlp/v1/metrics"),
    ],
)
def test_a_url_without_a_path_gets_the_otlp_metrics_path(url: str, endpoint: str) -> None:
    target = otel.parse_target(url)
    assert target is not None and target.kind == "endpoint" and target.endpoint == endpoint


def _hide_opentelemetry(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make every ``import opentelemetry...`` fail, as when the extra is not installed."""
    for name in [n for n in sys.modules if n == "opentelemetry" or n.startswith("opentelemetry.")]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, "opentelemetry", None)


@pytest.mark.parametrize("value", [True, "http://localhost:4318"])
def test_without_the_extra_the_error_gives_the_install_command(value: object, monkeypatch: pytest.MonkeyPatch) -> None:
    _hide_opentelemetry(monkeypatch)
    with pytest.raises(ImportError, match=r"'otel' dependencies.*pip install \"ecologits-like\[otel\]\""):
        EcoLogits.init(providers=["openai"], opentelemetry=value)  # type: ignore[arg-type]
    assert EcoLogits.config() is None


def test_without_the_extra_an_object_is_a_type_error_naming_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    _hide_opentelemetry(monkeypatch)
    with pytest.raises(TypeError, match=r"OpenTelemetry is not installed: pip install \"ecologits-like\[otel\]\""):
        EcoLogits.init(providers=["openai"], opentelemetry=object())  # type: ignore[arg-type]


def test_importing_and_tracing_without_the_option_never_imports_opentelemetry() -> None:
    code = (
        "import sys, ecologits_like\n"
        "from ecologits_like import EcoLogits, estimate\n"
        "EcoLogits.init(providers=['openai'], opentelemetry=None)\n"
        "estimate('openai', 'gpt-4o-mini', 100)\n"
        "EcoLogits.uninstrument()\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'opentelemetry'))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert json.loads(done.stdout.strip().replace("'", '"')) == []


# -- an exporter of one's own -----------------------------------------------------------------------


def test_an_exporter_can_be_passed_to_leave_out_the_genai_histograms(
    api: FakeAPI, provider: MeterProvider, reader: InMemoryMetricReader
) -> None:
    exporter = otel.OpenTelemetryExporter(provider, genai_metrics=False, max_label_keys=0)
    EcoLogits.init(providers=["openai"], opentelemetry=exporter)
    assert otel.active_exporter() is exporter
    with EcoLogits.session(labels={"team": "care"}):
        impacts = chat(api).impacts
    metrics = collect(reader)
    assert not [name for name in metrics if name.startswith("gen_ai.")]
    energy = metrics["ecologits.energy"]
    assert energy.total() == impacts.energy.central
    assert not any(k.startswith("ecologits.label.") for key in energy.points for k, _ in key)  # 0 label keys


def test_one_exporter_per_provider(provider: MeterProvider) -> None:
    first = otel.OpenTelemetryExporter(provider)
    with pytest.raises(ValueError, match="already records into this MeterProvider"):
        otel.OpenTelemetryExporter(provider)
    EcoLogits.init(providers=["openai"], opentelemetry=provider)  # finds the existing exporter
    assert otel.active_exporter() is first
    with pytest.raises(TypeError, match="genai_metrics must be True or False, got 'no'"):
        otel.OpenTelemetryExporter(MeterProvider(), genai_metrics="no")  # type: ignore[arg-type]


def test_concurrent_requests_lose_no_update(provider: MeterProvider, reader: InMemoryMetricReader) -> None:
    import threading

    exporter = otel.OpenTelemetryExporter(provider)
    records = [make_record(labels={"team": f"t{i % 3}"}) for i in range(6)]
    per_thread = 300
    start = threading.Barrier(6)

    def work(record: Any) -> None:
        start.wait()
        for _ in range(per_thread):
            exporter(record)

    threads = [threading.Thread(target=work, args=(r,)) for r in records]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    metrics = collect(reader)
    assert metrics["ecologits.requests"].total() == 6 * per_thread
    one = records[0].impacts.energy
    assert metrics["ecologits.energy.min"].total() == pytest.approx(6 * per_thread * one.min, rel=1e-9)
    assert sum(p.count for p in metrics["gen_ai.client.operation.duration"].points.values()) == 6 * per_thread
