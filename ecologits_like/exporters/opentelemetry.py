"""OpenTelemetry metrics: every traced request's impacts, tokens and duration, for the collector you run.

Turned on by ``EcoLogits.init(opentelemetry=...)``:

* ``True``: the global ``MeterProvider`` (``opentelemetry.metrics.get_meter_provider()``);
* a ``MeterProvider``: that provider;
* an :class:`OpenTelemetryExporter`: that exporter (other cardinality bounds, or
  ``genai_metrics=False`` to leave the GenAI histograms to an OpenTelemetry instrumentation);
* an ``http(s)://`` URL: a provider of our own exporting OTLP/HTTP (protobuf) to that endpoint
  every ``OTEL_METRIC_EXPORT_INTERVAL`` ms (60 s by default), from the SDK's own thread. A URL
  without a path (``http://collector:4318``) gets the OTLP metrics path ``/v1/metrics``; a URL
  with a path is used as given. That provider is shut down (pending metrics flushed) by
  ``EcoLogits.uninstrument()``, by another ``init(opentelemetry=...)`` and at interpreter exit;
* ``False``: stop exporting; ``None`` (the default): leave the current setting as it is.

What is exported (the docs page ``opentelemetry.md`` has the table):

* the OpenTelemetry GenAI client metrics ``gen_ai.client.token.usage`` (histogram, ``{token}``,
  with ``gen_ai.token.type``) and ``gen_ai.client.operation.duration`` (histogram, ``s``);
* ``ecologits.requests`` and, for the impacts, ``ecologits.energy`` (kWh), ``ecologits.gwp``
  (kgCO2eq), ``ecologits.adpe`` (kgSbeq), ``ecologits.pe`` (MJ) and ``ecologits.water`` (L):
  monotonic counters whose attribute ``ecologits.phase`` (``usage`` | ``embodied``) separates
  the phases. An uncertain estimate is a range: the counter adds its central value
  (:attr:`RangeValue.central`; the midpoint when the methodology gives none) and the ``.min`` /
  ``.max`` counters (``ecologits.energy.min`` ...) its bounds. Bounds are separate instruments,
  not an attribute, so that summing a counter over all its series never mixes min, central and max.

Why the impact counters are *observable*: a synchronous ``Counter.add`` in the Python SDK
validates and hashes its attributes on every call (about 10 µs), and a request has 24 impact
figures. We add them to per-series floats instead (one lock, one cached attribute set) and the
SDK reads the totals when it collects. The two histograms have no observable form and are
recorded per request.

Cardinality is bounded: attributes are the provider, the requested and returned model, the
open sessions' labels (``ecologits.label.<key>``) and, on the impact counters, the electricity
zone; never request ids, timestamps or text. At most :data:`MAX_LABEL_KEYS` label keys and :data:`MAX_LABEL_VALUES`
values per key (each at most :data:`MAX_LABEL_VALUE_LENGTH` characters) become attributes;
others are dropped from the attributes (the request still counts) with one warning per key.
Beyond :data:`MAX_SERIES` attribute sets, requests go to one overflow series marked
``otel.metric.overflow=true``, as the OpenTelemetry SDK does for its own cardinality limit.

This module imports ``opentelemetry`` only when the export is asked for.
"""

from __future__ import annotations

import atexit
import threading
import uuid
import weakref
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit, urlunsplit

from ecologits_like import _sinks
from ecologits_like._log import log_once
from ecologits_like._version import __version__
from ecologits_like.impacts.range_value import RangeValue
from ecologits_like.records import RequestRecord
from ecologits_like.session import current_labels

if TYPE_CHECKING:
    from opentelemetry.metrics import CallbackOptions, Histogram, MeterProvider, Observation

__all__ = [
    "INSTALL_HINT",
    "MAX_LABEL_KEYS",
    "MAX_LABEL_VALUES",
    "MAX_LABEL_VALUE_LENGTH",
    "MAX_SERIES",
    "METER_NAME",
    "OpenTelemetryExporter",
    "Target",
    "active_exporter",
    "apply",
    "force_flush",
    "parse_target",
    "stop",
]

#: The instrumentation scope of every instrument.
METER_NAME: Final = "ecologits_like"
INSTALL_HINT: Final = 'pip install "ecologits-like[otel]"'
#: The OTLP/HTTP metrics path appended to a URL given without a path.
OTLP_METRICS_PATH: Final = "/v1/metrics"
#: Label keys (process-wide, first seen first kept) that become ``ecologits.label.<key>`` attributes.
MAX_LABEL_KEYS: Final = 10
#: Distinct values per label key that become attribute values (first seen first kept).
MAX_LABEL_VALUES: Final = 100
#: Longer label values are free text, not a dimension: dropped from the attributes.
MAX_LABEL_VALUE_LENGTH: Final = 100
#: Distinct attribute sets kept before requests go to the overflow series (the SDK's default limit).
MAX_SERIES: Final = 2000
#: Milliseconds that ``stop()`` / ``uninstrument()`` may wait for the final export of our own provider.
SHUTDOWN_TIMEOUT_MS: Final = 5000
LABEL_PREFIX: Final = "ecologits.label."
ZONE_ATTRIBUTE: Final = "ecologits.electricity_mix_zone"

# Semantic-convention advice (OpenTelemetry GenAI client metrics) for the histogram buckets.
_DURATION_BUCKETS: Final = (0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92)
_TOKEN_BUCKETS: Final = tuple(float(4**i) for i in range(14))  # 1, 4, 16, ... 67108864

# Our provider keys as the GenAI conventions' ``gen_ai.provider.name`` values (others unchanged).
_PROVIDER_NAMES: Final = {"mistralai": "mistral_ai"}

# (indicator, unit, description); the totals layout below follows this order.
_INDICATORS: Final = (
    ("energy", "kWh", "Electricity drawn at the datacenter meter by the traced requests"),
    ("gwp", "kgCO2eq", "Global warming potential of the traced requests"),
    ("adpe", "kgSbeq", "Abiotic depletion potential (elements) of the traced requests"),
    ("pe", "MJ", "Primary energy of the traced requests"),
    ("water", "L", "Water consumption footprint of the traced requests"),
)
# (indicator index, phase, attribute of ImpactsOutput.usage / .embodied) for each figure a request has.
_SLOTS: Final = (
    (0, "usage", "energy"),
    (1, "usage", "gwp"),
    (1, "embodied", "gwp"),
    (2, "usage", "adpe"),
    (2, "embodied", "adpe"),
    (3, "usage", "pe"),
    (3, "embodied", "pe"),
    (4, "usage", "wcf"),
)
_BOUNDS: Final = ("", ".min", ".max")  # central, min, max: totals[slot * 3 + bound]
_USAGE_SLOTS: Final = tuple((i * 3, name) for i, (_, phase, name) in enumerate(_SLOTS) if phase == "usage")
_EMBODIED_SLOTS: Final = tuple((i * 3, name) for i, (_, phase, name) in enumerate(_SLOTS) if phase == "embodied")
_RAW_CACHE_SIZE: Final = 4096


# -- the argument of EcoLogits.init -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Target:
    """A checked ``opentelemetry=`` argument: what to export to."""

    kind: str  # "global" | "provider" | "exporter" | "endpoint" | "off"
    provider: Any = None  # the MeterProvider (kind "provider") or OpenTelemetryExporter (kind "exporter")
    endpoint: str | None = None  # the full OTLP/HTTP metrics URL, for kind "endpoint"


_ACCEPTED = (
    "True, False, None, an opentelemetry MeterProvider, an OpenTelemetryExporter, "
    "or an http(s):// OTLP/HTTP endpoint URL"
)


def _missing(module: str) -> ImportError:
    return ImportError(
        f"OpenTelemetry export needs the optional 'otel' dependencies, and {module!r} is not installed: {INSTALL_HINT}"
    )


def _require(*modules: str) -> None:
    import importlib

    for module in modules:
        try:
            importlib.import_module(module)
        except ImportError:
            raise _missing(module) from None


def _endpoint(url: str) -> str:
    if not url.strip() or url != url.strip() or any(c.isspace() for c in url):
        raise ValueError(f"opentelemetry endpoint must be an http(s):// URL without spaces, got {url!r}")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        raise ValueError(f"opentelemetry endpoint {url!r} is not a valid URL ({exc})") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(
            f"opentelemetry endpoint must be an http:// or https:// URL with a host, such as "
            f"'http://localhost:4318' or 'http://localhost:4318/v1/metrics', got {url!r}"
        )
    if parts.path in ("", "/"):
        parts = parts._replace(path=OTLP_METRICS_PATH)
    return urlunsplit(parts)


def parse_target(value: object) -> Target | None:
    """Check an ``opentelemetry=`` argument; ``None`` means "leave the current setting unchanged".

    Raises:
        TypeError: a value of another type (the message lists what is accepted).
        ValueError: a string that is not an http(s) URL with a host.
        ImportError: the OpenTelemetry packages the value needs are not installed (the message
            gives the install command).
    """
    if value is None:
        return None
    if value is False:
        return Target("off")
    if value is True:
        _require("opentelemetry.metrics")
        return Target("global")
    if isinstance(value, str):
        endpoint = _endpoint(value)
        _require("opentelemetry.sdk.metrics", "opentelemetry.exporter.otlp.proto.http.metric_exporter")
        return Target("endpoint", endpoint=endpoint)
    if isinstance(value, OpenTelemetryExporter):
        return Target("exporter", provider=value)
    if isinstance(value, (bool, int, float, bytes)):
        raise TypeError(f"opentelemetry must be {_ACCEPTED}; got {value!r} ({type(value).__name__})")
    try:
        from opentelemetry.metrics import MeterProvider
    except ImportError:
        raise TypeError(
            f"opentelemetry must be {_ACCEPTED} (OpenTelemetry is not installed: {INSTALL_HINT}); "
            f"got {value!r} ({type(value).__name__})"
        ) from None
    if not isinstance(value, MeterProvider):
        raise TypeError(f"opentelemetry must be {_ACCEPTED}; got {value!r} ({type(value).__name__})")
    return Target("provider", provider=value)


# -- the sink ---------------------------------------------------------------------------------------


class _Series:
    """The totals of one attribute set, with the attribute dicts each instrument reports.

    The GenAI histograms get the request's attributes (``request``); the impact counters also
    get the electricity zone, which matters for impacts only (``attributes``).
    """

    __slots__ = ("attributes", "embodied", "estimated", "failed", "input", "output", "request", "totals", "usage")

    def __init__(self, attributes: dict[str, Any]) -> None:
        self.attributes = attributes
        self.request = {k: v for k, v in attributes.items() if k != ZONE_ATTRIBUTE}
        self.input = {**self.request, "gen_ai.token.type": "input"}
        self.output = {**self.request, "gen_ai.token.type": "output"}
        self.usage = {**attributes, "ecologits.phase": "usage"}
        self.embodied = {**attributes, "ecologits.phase": "embodied"}
        self.estimated = 0
        self.failed = 0
        self.totals = [0.0] * (len(_SLOTS) * 3)


def _add_bounds(totals: list[float], offset: int, value: float | RangeValue) -> None:
    if isinstance(value, RangeValue):
        totals[offset] += value.central
        totals[offset + 1] += value.min
        totals[offset + 2] += value.max
    else:
        totals[offset] += value
        totals[offset + 1] += value
        totals[offset + 2] += value


class OpenTelemetryExporter:
    """A request-record sink recording metrics through one ``MeterProvider``.

    ``EcoLogits.init(opentelemetry=...)`` creates and registers it. Build one yourself to change
    the cardinality bounds or leave out the GenAI histograms, and pass it instead:
    ``EcoLogits.init(opentelemetry=OpenTelemetryExporter(provider, genai_metrics=False))``.

    Args:
        meter_provider: Where the instruments are created.
        owns_provider: Whether :meth:`shutdown` shuts the provider down (ours, built for a URL).
        endpoint: The OTLP/HTTP URL our own provider exports to, if any (informative).
        max_label_keys: Label keys that become attributes (first seen, first kept).
        max_label_values: Distinct values per label key that become attribute values.
        max_label_value_length: Longer label values are left out of the attributes.
        max_series: Distinct attribute sets before requests go to the overflow series.
        genai_metrics: Whether to record the GenAI histograms (``gen_ai.client.token.usage``,
            ``gen_ai.client.operation.duration``); turn them off when an OpenTelemetry GenAI
            instrumentation already records them, or to save their cost (most of the exporter's).

    Raises:
        ValueError: a bound that is not a non-negative ``int``, or a provider another exporter
            already records into (its instruments exist once per provider).
        TypeError: ``genai_metrics`` that is not a bool.
    """

    def __init__(
        self,
        meter_provider: MeterProvider,
        *,
        owns_provider: bool = False,
        endpoint: str | None = None,
        max_label_keys: int = MAX_LABEL_KEYS,
        max_label_values: int = MAX_LABEL_VALUES,
        max_label_value_length: int = MAX_LABEL_VALUE_LENGTH,
        max_series: int = MAX_SERIES,
        genai_metrics: bool = True,
    ) -> None:
        if type(genai_metrics) is not bool:
            raise TypeError(f"genai_metrics must be True or False, got {genai_metrics!r}")
        for name, bound in (
            ("max_label_keys", max_label_keys),
            ("max_label_values", max_label_values),
            ("max_label_value_length", max_label_value_length),
            ("max_series", max_series),
        ):
            if type(bound) is not int or bound < 0:
                raise ValueError(f"{name} must be a non-negative int, got {bound!r}")
        self.meter_provider = meter_provider
        self.owns_provider = owns_provider
        self.endpoint = endpoint
        self._max_label_keys = max_label_keys
        self._max_label_values = max_label_values
        self._max_label_value_length = max_label_value_length
        self._max_series = max(1, max_series)
        self._lock = threading.Lock()
        # raw key (provider, requested, returned, zone, sorted labels) -> series; bounded, rebuilt on demand
        self._by_raw: dict[tuple[Any, ...], _Series] = {}
        # effective attribute set -> series: two raw keys differing only in dropped labels share one
        self._by_attributes: dict[frozenset[tuple[str, Any]], _Series] = {}
        self._label_values: dict[str, set[str]] = {}
        self._overflow: _Series | None = None
        self._closed = False
        with _registry_lock:
            other = _by_provider.get(id(meter_provider))
            if other is not None and other.meter_provider is meter_provider:
                # The SDK hands back the first exporter's instruments, so this one's counters
                # would never be read: refuse rather than export nothing.
                raise ValueError(
                    "an OpenTelemetryExporter already records into this MeterProvider; pass that "
                    "one (ecologits_like.exporters.opentelemetry.active_exporter()) or another provider"
                )
            _by_provider[id(meter_provider)] = self
        meter = meter_provider.get_meter(METER_NAME, __version__)
        # (operation duration, token usage), or None when left out
        self._histograms: tuple[Histogram, Histogram] | None = None
        if genai_metrics:
            duration = meter.create_histogram(
                "gen_ai.client.operation.duration",
                unit="s",
                description="GenAI operation duration (traced requests; streams: until the last chunk)",
                explicit_bucket_boundaries_advisory=list(_DURATION_BUCKETS),
            )
            tokens = meter.create_histogram(
                "gen_ai.client.token.usage",
                unit="{token}",
                description="Input and output tokens per traced request, as counted by the provider",
                explicit_bucket_boundaries_advisory=list(_TOKEN_BUCKETS),
            )
            self._histograms = (duration, tokens)
        meter.create_observable_counter(
            "ecologits.requests",
            callbacks=[self._observe_requests],
            unit="{request}",
            description="Traced requests; ecologits.estimated=false when no impacts could be estimated",
        )
        for index, (indicator, unit, description) in enumerate(_INDICATORS):
            for bound, suffix in enumerate(_BOUNDS):
                what = ("central value of the estimated range", "lower bound", "upper bound")[bound]
                meter.create_observable_counter(
                    f"ecologits.{indicator}{suffix}",
                    callbacks=[self._observer(index, bound)],
                    unit=unit,
                    description=f"{description} ({what}); ecologits.phase: usage or embodied",
                )

    # -- recording (the caller's hot path) ------------------------------------------------------

    def __call__(self, record: RequestRecord) -> None:
        """Record one finished request (called by the sink machinery, in the caller's thread)."""
        if self._closed:
            return
        labels = current_labels()
        if record.labels:
            labels.update(record.labels)
        raw = (
            record.provider,
            record.model_requested,
            record.model_returned,
            record.zone,
            tuple(sorted(labels.items())) if labels else (),
        )
        series = self._by_raw.get(raw)
        if series is None:
            series = self._series(raw, labels)
        histograms = self._histograms
        if histograms is not None:
            duration, tokens = histograms
            if record.latency_s is not None:
                duration.record(record.latency_s, series.request)
            if record.input_tokens is not None:
                tokens.record(record.input_tokens, series.input)
            tokens.record(record.output_tokens, series.output)
        impacts = record.impacts
        usage = impacts.usage
        embodied = impacts.embodied
        with self._lock:
            if usage is None:
                series.failed += 1
                return
            series.estimated += 1
            totals = series.totals
            for offset, name in _USAGE_SLOTS:
                _add_bounds(totals, offset, getattr(usage, name).value)
            if embodied is not None:
                for offset, name in _EMBODIED_SLOTS:
                    _add_bounds(totals, offset, getattr(embodied, name).value)

    def _series(self, raw: tuple[Any, ...], labels: Mapping[str, str]) -> _Series:
        provider, requested, returned, zone, _ = raw
        attributes: dict[str, Any] = {
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": _PROVIDER_NAMES.get(provider, provider),
        }
        if requested:
            attributes["gen_ai.request.model"] = requested
        if returned:
            attributes["gen_ai.response.model"] = returned
        if zone:
            attributes[ZONE_ATTRIBUTE] = zone
        with self._lock:
            for key, value in labels.items():
                if self._keep_label(key, value):
                    attributes[LABEL_PREFIX + key] = value
            identity = frozenset(attributes.items())
            series = self._by_attributes.get(identity)
            if series is None:
                if len(self._by_attributes) >= self._max_series:
                    log_once(
                        f"otel:overflow:{id(self)}",
                        "ecologits_like: more than %d OpenTelemetry attribute sets; further ones are "
                        "recorded under otel.metric.overflow=true",
                        self._max_series,
                    )
                    if self._overflow is None:
                        self._overflow = _Series({"otel.metric.overflow": True})
                    series = self._overflow
                else:
                    series = self._by_attributes[identity] = _Series(attributes)
            if len(self._by_raw) >= _RAW_CACHE_SIZE:
                self._by_raw.clear()  # raw keys can vary in dropped labels without bound; rebuilt on demand
            self._by_raw[raw] = series
            return series

    def _keep_label(self, key: str, value: str) -> bool:
        """Whether the label becomes an attribute (called under the lock, on a cache miss only)."""
        values = self._label_values.get(key)
        if values is None:
            if len(self._label_values) >= self._max_label_keys:
                self._drop(key, f"more than {self._max_label_keys} label keys")
                return False
            values = self._label_values[key] = set()
        if value in values:
            return True
        if len(value) > self._max_label_value_length:
            self._drop(key, f"a value longer than {self._max_label_value_length} characters")
            return False
        if len(values) >= self._max_label_values:
            self._drop(key, f"more than {self._max_label_values} distinct values")
            return False
        values.add(value)
        return True

    def _drop(self, key: str, why: str) -> None:
        log_once(
            f"otel:label:{id(self)}:{key}:{why}",
            "ecologits_like: session label %r not exported as an OpenTelemetry attribute (%s); "
            "the requests still count without it",
            key,
            why,
        )

    # -- collection (the SDK's thread) ----------------------------------------------------------

    def _all_series(self) -> list[_Series]:
        series = list(self._by_attributes.values())
        if self._overflow is not None:
            series.append(self._overflow)
        return series

    def _observe_requests(self, options: CallbackOptions) -> Iterable[Observation]:
        from opentelemetry.metrics import Observation

        observations = []
        with self._lock:
            for series in self._all_series():
                for count, estimated in ((series.estimated, True), (series.failed, False)):
                    if count:
                        observations.append(Observation(count, {**series.attributes, "ecologits.estimated": estimated}))
        return observations

    def _observer(self, indicator: int, bound: int) -> Callable[[CallbackOptions], Iterable[Observation]]:
        slots = [(i * 3 + bound, phase) for i, (index, phase, _) in enumerate(_SLOTS) if index == indicator]

        def observe(options: CallbackOptions) -> Iterable[Observation]:
            from opentelemetry.metrics import Observation

            observations = []
            with self._lock:
                for series in self._all_series():
                    if not series.estimated:
                        continue
                    for offset, phase in slots:
                        attributes = series.usage if phase == "usage" else series.embodied
                        observations.append(Observation(series.totals[offset], attributes))
            return observations

        return observe

    # -- lifecycle ------------------------------------------------------------------------------

    def force_flush(self, timeout_millis: int = 10_000) -> bool:
        """Export what is pending now, when the provider can (an SDK ``MeterProvider``)."""
        flush = getattr(self.meter_provider, "force_flush", None)
        return bool(flush(timeout_millis)) if callable(flush) else True

    def shutdown(self, timeout_millis: int = SHUTDOWN_TIMEOUT_MS) -> None:
        """Stop recording; shut our own provider down (its final export included)."""
        self._closed = True
        if self.owns_provider:
            with _registry_lock:
                if _by_provider.get(id(self.meter_provider)) is self:
                    del _by_provider[id(self.meter_provider)]
            self.meter_provider.shutdown(timeout_millis=timeout_millis)  # type: ignore[attr-defined]


# -- the process-wide setting -----------------------------------------------------------------------

_lock = threading.Lock()
_active: OpenTelemetryExporter | None = None
# One exporter per provider: instruments exist once per provider and their observable callbacks
# are fixed when created, so re-enabling the same provider reuses its exporter (and totals).
_registry_lock = threading.Lock()
# Weak values: a provider's instruments hold their exporter's callbacks, so an entry lives exactly
# as long as its provider does (and an id is never matched to a later provider).
_by_provider: weakref.WeakValueDictionary[int, OpenTelemetryExporter] = weakref.WeakValueDictionary()


_atexit_registered = False


def _register_atexit() -> None:
    global _atexit_registered
    if not _atexit_registered:
        atexit.register(stop)
        _atexit_registered = True


def active_exporter() -> OpenTelemetryExporter | None:
    """The exporter ``EcoLogits.init(opentelemetry=...)`` installed, or ``None``."""
    return _active


def _build(target: Target) -> OpenTelemetryExporter:
    if target.kind == "endpoint":
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
        from opentelemetry.sdk.metrics import MeterProvider as SdkMeterProvider
        from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
        from opentelemetry.sdk.resources import Resource

        resource = Resource.create()  # OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES
        if not resource.attributes.get("service.instance.id"):
            # Processes of one service export the same series: without an instance id of their own
            # their cumulative totals would overwrite each other downstream (older SDKs set none).
            resource = resource.merge(Resource({"service.instance.id": str(uuid.uuid4())}))

        # The reader exports from its own thread: a request never waits on the network. Our own
        # atexit hook (not the SDK's, which may wait 30 s) flushes it at exit, within the timeout.
        reader = PeriodicExportingMetricReader(OTLPMetricExporter(endpoint=target.endpoint))
        own = SdkMeterProvider(metric_readers=[reader], resource=resource, shutdown_on_exit=False)
        _register_atexit()
        return OpenTelemetryExporter(own, owns_provider=True, endpoint=target.endpoint)
    if target.kind == "exporter":
        exporter: OpenTelemetryExporter = target.provider
    else:
        if target.kind == "global":
            from opentelemetry import metrics

            provider: MeterProvider = metrics.get_meter_provider()
        else:
            provider = target.provider
        with _registry_lock:
            known = _by_provider.get(id(provider))
        exporter = known if known is not None and known.meter_provider is provider else OpenTelemetryExporter(provider)
    exporter._closed = False
    return exporter


def apply(target: Target | None) -> None:
    """Install what :func:`parse_target` checked (``None``: no change; ``off``: :func:`stop`)."""
    global _active
    if target is None:
        return
    if target.kind == "off":
        stop()
        return
    with _lock:
        current = _active
        if current is not None and target.kind == "endpoint" and current.endpoint == target.endpoint:
            return
        exporter = _build(target)
        if exporter is current:
            return
        _active = exporter
        _sinks.add_sink(exporter)
    if current is not None:
        _retire(current)


def stop() -> None:
    """Stop exporting: unregister the sink; shut our own provider down, flushing what is pending."""
    global _active
    with _lock:
        current, _active = _active, None
    if current is not None:
        _retire(current)


def _retire(exporter: OpenTelemetryExporter) -> None:
    _sinks.remove_sink(exporter)
    try:
        exporter.shutdown()
    except Exception as exc:  # shutting down must not break uninstrument()
        log_once(f"otel:shutdown:{type(exc).__name__}", "ecologits_like: OpenTelemetry shutdown failed: %s", exc)


def force_flush(timeout_millis: int = 10_000) -> bool:
    """Export the active exporter's pending metrics now; ``False`` when it timed out or none is active."""
    exporter = _active
    return exporter.force_flush(timeout_millis) if exporter is not None else False
