"""``EcoLogits``: instrument the installed provider SDKs so every response carries ``impacts``.

>>> from ecologits_like import EcoLogits
>>> EcoLogits.init(providers=["openai"], electricity_mix_zone="FRA")  # doctest: +SKIP
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from ecologits_like._arguments import check_optional_str, check_overrides
from ecologits_like._log import log_once
from ecologits_like.impacts.methodology import DEFAULT_METHODOLOGY, check_methodology
from ecologits_like.tracers import PROVIDERS, load_spec, sdk_installed
from ecologits_like.tracers._core import TracerConfig, UnsupportedSDKError, state
from ecologits_like.tracers._patching import instrument, instrumented, uninstrument_all

# The engine, its reference data, sessions, recording and the OpenTelemetry exporter are imported
# when first needed, not here: ``import ecologits_like; EcoLogits.init()`` stays cheap at an
# application's start-up.
if TYPE_CHECKING:
    from opentelemetry.metrics import MeterProvider

    from ecologits_like import _custom_models
    from ecologits_like.exporters.opentelemetry import OpenTelemetryExporter
    from ecologits_like.recording import JsonlRecorder
    from ecologits_like.registry import ModelInfo
    from ecologits_like.session import Session

#: The variable naming a models file (``ecologits_like.registry.user_models.ENV_VAR``, not imported
#: here to keep the reference data out of start-up).
_MODELS_FILE_VAR = "ECOLOGITS_LIKE_MODELS_FILE"

__all__ = ["EcoLogits"]

_lock = threading.Lock()


def _models_in_use() -> bool:
    """Whether model overlays may need syncing: the reference data is loaded, or a models file is named.

    When the data is not loaded yet there is nothing to sync: it applies the environment's models
    file when it loads.
    """
    if os.environ.get(_MODELS_FILE_VAR):
        return True
    registry = sys.modules.get("ecologits_like.registry")
    return registry is not None and getattr(registry, "_registry", None) is not None


def _supported() -> str:
    return ", ".join(sorted(PROVIDERS))


def _supported_layout(name: str) -> bool:
    """Whether the installed SDK of ``name`` has a layout its tracer knows (logs once when not)."""
    try:
        load_spec(name).patch_table()
    except UnsupportedSDKError as exc:
        log_once(f"layout:{name}", "ecologits_like: %s not traced: %s", name, exc)
        return False
    return True


def _check_providers(providers: str | list[str] | tuple[str, ...] | None) -> list[str]:
    if providers is None:
        return [name for name in PROVIDERS if sdk_installed(name) and _supported_layout(name)]
    if isinstance(providers, str):
        providers = [providers]
    if not isinstance(providers, (list, tuple)) or not all(isinstance(p, str) for p in providers):
        raise TypeError(
            f"providers must be None, a provider name or a list of names ({_supported()}), got {providers!r}"
        )
    names: list[str] = []
    for raw in providers:
        name = raw.strip().lower()
        if name not in PROVIDERS:
            raise ValueError(f"Unknown provider {raw!r}; supported providers: {_supported()}.")
        if not sdk_installed(name):
            raise ImportError(
                f"Provider {name!r} needs its SDK, which is not installed: {load_spec(name).install} "
                f"(supported providers: {_supported()})."
            )
        load_spec(name).patch_table()  # UnsupportedSDKError (an ImportError) naming the supported versions
        if name not in names:
            names.append(name)
    return names


class EcoLogits:
    """Instrumentation of the provider SDKs (process-wide; the same from every thread and task)."""

    _recorder: JsonlRecorder | None = None

    @staticmethod
    def init(
        providers: str | list[str] | None = None,
        electricity_mix_zone: str | None = None,
        record_to: str | os.PathLike[str] | None = None,
        models_file: str | os.PathLike[str] | None = None,
        opentelemetry: bool | str | MeterProvider | OpenTelemetryExporter | None = None,
        methodology: str = DEFAULT_METHODOLOGY,
        **overrides: Any,
    ) -> None:
        """Trace the given providers' SDKs; every response then carries ``impacts``.

        Args:
            providers: ``None`` for every supported provider whose SDK is installed (a provider
                whose SDK is absent, or of an unknown layout, is skipped), or one or more of
                ``openai``, ``anthropic``, ``mistralai``, ``huggingface_hub``, ``cohere``.
            electricity_mix_zone: ISO 3166-1 alpha-3 zone (``WOR`` for the world) used for every
                request; default: each provider's datacenter zone.
            record_to: a JSON-lines file to which one record per traced request is appended
                (safe across threads and processes; see :mod:`ecologits_like.recording`).
            models_file: a JSON file of extra models (the schema of ``data/models.json``; ``sources``
                optional) laid over the shipped ones until the next ``init`` or ``uninstrument``;
                ``estimate()`` uses them too. A file named by the ``ECOLOGITS_LIKE_MODELS_FILE``
                environment variable is always loaded; this file and registered models take
                precedence over it (see :meth:`register_model`).
            opentelemetry: export metrics per request through OpenTelemetry (extra ``otel``):
                ``True`` for the global ``MeterProvider``, a ``MeterProvider``, an
                ``OpenTelemetryExporter``, or an ``http(s)`` OTLP/HTTP endpoint URL
                (``http://collector:4318`` gets ``/v1/metrics``); ``False`` stops exporting,
                ``None`` leaves the current setting. See :mod:`ecologits_like.exporters.opentelemetry`.
            methodology: ``"ecologits-like"`` (default: output and uncached input tokens, batch size
                as a band) or ``"ecologits"`` (the reference methodology exactly: output tokens only,
                batch size 64), as for :func:`ecologits_like.estimate`.
            **overrides: ``datacenter_pue``, ``datacenter_wue``, ``hardware``, ``batch_size``.

        Calling ``init`` again never wraps twice: it replaces the settings and adds providers.

        Raises:
            ValueError: an unknown provider, zone or hardware profile, an impossible override, or
                an ``opentelemetry`` string that is not an http(s) URL;
                ``DataFileError`` (a ``ValueError``) for a malformed models file, naming file, entry and field.
            ImportError: a named provider's SDK is not installed, or is a version whose layout the
                tracer does not know (the message names the supported versions), or
                ``opentelemetry`` was asked for without the ``otel`` extra installed.
            TypeError: an argument of the wrong type or an unknown override.
        """
        if record_to is not None and not isinstance(record_to, (str, os.PathLike)):
            raise TypeError(f"record_to must be a file path or None, got {record_to!r} ({type(record_to).__name__})")
        checked = check_overrides(overrides)
        methodology = check_methodology(methodology)
        otel_target = None
        if opentelemetry is not None:
            from ecologits_like.exporters import opentelemetry as _otel

            otel_target = _otel.parse_target(opentelemetry)
        zone = check_optional_str("electricity_mix_zone", electricity_mix_zone)
        if zone is not None or checked.get("hardware") is not None:  # the data loads on first use
            from ecologits_like.registry import ZoneNotFoundError, get_registry

            registry = get_registry()
            if zone is not None:
                try:
                    zone = registry.mixes.get(zone).mix.zone
                except ZoneNotFoundError as exc:
                    raise ValueError(str(exc)) from None
            if checked.get("hardware") is not None:
                registry.hardware.get(checked["hardware"])  # ValueError naming the known profiles
        names = _check_providers(providers)
        if models_file is not None or _models_in_use():
            from ecologits_like import _custom_models

            _custom_models.sync_environment_models()
            _custom_models.use_models_file(models_file)  # validated before any state changes below
        with _lock:
            all_names = tuple(dict.fromkeys((*instrumented(), *names)))
            state.config = TracerConfig(
                electricity_mix_zone=zone,
                datacenter_pue=checked.get("datacenter_pue"),
                datacenter_wue=checked.get("datacenter_wue"),
                hardware=checked.get("hardware"),
                batch_size=checked.get("batch_size"),
                providers=all_names,
                methodology=methodology,
            )
            for name in names:
                instrument(load_spec(name))
            if record_to is not None:
                from ecologits_like.recording import JsonlRecorder

                EcoLogits._replace_recorder(JsonlRecorder(record_to))
            if otel_target is not None:
                _otel.apply(otel_target)

    @staticmethod
    def uninstrument() -> None:
        """Restore every patched SDK method to its original function object; stop tracing."""
        with _lock:
            state.config = None
            uninstrument_all()
            EcoLogits._replace_recorder(None)
            _otel = sys.modules.get("ecologits_like.exporters.opentelemetry")
            if _otel is not None:  # never imported: nothing to stop
                _otel.stop()
        if _models_in_use():
            from ecologits_like import _custom_models

            _custom_models.use_models_file(None)

    @staticmethod
    def _replace_recorder(recorder: JsonlRecorder | None) -> None:
        old = EcoLogits._recorder
        if old is None and recorder is None:
            return
        from ecologits_like import _sinks

        if old is not None:
            _sinks.remove_sink(old)
            old.close()
        EcoLogits._recorder = recorder
        if recorder is not None:
            _sinks.add_sink(recorder)

    @staticmethod
    def register_model(
        provider: str,
        name: str,
        *,
        total_parameters: _custom_models.ParameterCount,
        active_parameters: _custom_models.ParameterCount | None = None,
        architecture: str | None = None,
        aliases: Iterable[str] = (),
        warnings: Iterable[str] | None = None,
        sources: Iterable[str] = (),
        tps: float | None = None,
        ttft: float | None = None,
    ) -> ModelInfo:
        """Add a private or new model, for ``estimate()`` and every traced call, without a release.

        The entry lasts for the process (or until :meth:`unregister_model`) and takes precedence
        over the shipped data and over models files: it replaces an entry of the same provider and
        name, and its name and aliases win over names they collide with. Names the API returns
        resolve as for shipped models (``acme-7b-2025-01-01`` finds ``acme-7b``).

        Args:
            provider: A provider with a datacenter profile (``openai``, ``anthropic``, ``mistralai``,
                ``huggingface_hub``, ``cohere``): its PUE, WUE and zone are used.
            name: The model name as your requests or the API name it.
            total_parameters: Billions of parameters: a number, or a ``(min, max)`` pair (or
                ``RangeValue``) when the size is not disclosed.
            active_parameters: Billions used per token (mixture-of-experts); default: the total.
            architecture: ``"dense"`` or ``"moe"``; default: ``"moe"`` when active differs from total.
            aliases: Other names that resolve to this model.
            warnings: Warning codes shown with every estimate; default: ``model-arch-not-released``
                when a count is a range, else none.
            sources: Where the figures come from (URLs or references).
            tps: Deployment throughput, tokens/s, when known (replaces the latency fit).
            ttft: Deployment time to first token, s, when known.

        Returns:
            The registered entry.

        Raises:
            TypeError: an argument of the wrong type.
            ValueError: an unknown provider, a count <= 0 or in raw units (7e9 for 7B), min > max,
                active > total, a dense model with active != total, an unknown warning code, or a
                name or alias already used by another registered model.

        Re-registering the same provider and name replaces the entry and emits a
        ``ModelReplacedWarning`` (as does registering over a shipped entry).
        """
        from ecologits_like import _custom_models

        return _custom_models.register_model(
            provider,
            name,
            total_parameters=total_parameters,
            active_parameters=active_parameters,
            architecture=architecture,
            aliases=aliases,
            warnings=warnings,
            sources=sources,
            tps=tps,
            ttft=ttft,
        )

    @staticmethod
    def unregister_model(provider: str, name: str) -> bool:
        """Remove a model added by :meth:`register_model`; ``False`` when there was none of that name."""
        from ecologits_like import _custom_models

        return _custom_models.unregister_model(provider, name)

    @staticmethod
    def session(name: str | None = None, labels: Mapping[str, str] | None = None) -> Session:
        """A session collecting every traced request made inside it (``with``, ``async with`` or decorator).

        See :func:`ecologits_like.session.session`.
        """
        from ecologits_like.session import session

        return session(name, labels)

    @staticmethod
    def config() -> TracerConfig | None:
        """The active settings, or ``None`` when not initialised."""
        return state.config

    @staticmethod
    def instrumented_providers() -> tuple[str, ...]:
        """The providers currently traced."""
        return instrumented()
