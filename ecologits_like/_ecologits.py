"""``EcoLogits``: instrument the installed provider SDKs so every response carries ``impacts``.

>>> from ecologits_like import EcoLogits
>>> EcoLogits.init(providers=["openai"], electricity_mix_zone="FRA")  # doctest: +SKIP
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from typing import Any

from ecologits_like import _sinks
from ecologits_like._arguments import check_optional_str, check_overrides
from ecologits_like._log import log_once
from ecologits_like.recording import JsonlRecorder
from ecologits_like.registry import ZoneNotFoundError, get_registry
from ecologits_like.session import Session
from ecologits_like.session import session as _open_session
from ecologits_like.tracers import PROVIDERS, load_spec, sdk_installed
from ecologits_like.tracers._core import TracerConfig, UnsupportedSDKError, state
from ecologits_like.tracers._patching import instrument, instrumented, uninstrument_all

__all__ = ["EcoLogits"]

_lock = threading.Lock()


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
            **overrides: ``datacenter_pue``, ``datacenter_wue``, ``hardware``, ``batch_size``.

        Calling ``init`` again never wraps twice: it replaces the settings and adds providers.

        Raises:
            ValueError: an unknown provider, zone or hardware profile, or an impossible override.
            ImportError: a named provider's SDK is not installed, or is a version whose layout the
                tracer does not know (the message names the supported versions).
            TypeError: an argument of the wrong type or an unknown override.
        """
        if record_to is not None and not isinstance(record_to, (str, os.PathLike)):
            raise TypeError(f"record_to must be a file path or None, got {record_to!r} ({type(record_to).__name__})")
        checked = check_overrides(overrides)
        zone = check_optional_str("electricity_mix_zone", electricity_mix_zone)
        registry = get_registry()
        if zone is not None:
            try:
                zone = registry.mixes.get(zone).mix.zone
            except ZoneNotFoundError as exc:
                raise ValueError(str(exc)) from None
        if checked.get("hardware") is not None:
            registry.hardware.get(checked["hardware"])  # ValueError naming the known profiles
        names = _check_providers(providers)
        with _lock:
            all_names = tuple(dict.fromkeys((*instrumented(), *names)))
            state.config = TracerConfig(
                electricity_mix_zone=zone,
                datacenter_pue=checked.get("datacenter_pue"),
                datacenter_wue=checked.get("datacenter_wue"),
                hardware=checked.get("hardware"),
                batch_size=checked.get("batch_size"),
                providers=all_names,
            )
            for name in names:
                instrument(load_spec(name))
            if record_to is not None:
                EcoLogits._replace_recorder(JsonlRecorder(record_to))

    @staticmethod
    def uninstrument() -> None:
        """Restore every patched SDK method to its original function object; stop tracing."""
        with _lock:
            state.config = None
            uninstrument_all()
            EcoLogits._replace_recorder(None)

    @staticmethod
    def _replace_recorder(recorder: JsonlRecorder | None) -> None:
        old = EcoLogits._recorder
        if old is not None:
            _sinks.remove_sink(old)
            old.close()
        EcoLogits._recorder = recorder
        if recorder is not None:
            _sinks.add_sink(recorder)

    @staticmethod
    def session(name: str | None = None, labels: Mapping[str, str] | None = None) -> Session:
        """A session collecting every traced request made inside it (``with``, ``async with`` or decorator).

        See :func:`ecologits_like.session.session`.
        """
        return _open_session(name, labels)

    @staticmethod
    def config() -> TracerConfig | None:
        """The active settings, or ``None`` when not initialised."""
        return state.config

    @staticmethod
    def instrumented_providers() -> tuple[str, ...]:
        """The providers currently traced."""
        return instrumented()
