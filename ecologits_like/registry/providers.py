"""Per-provider datacenter assumptions: zone, PUE and WUE."""

from __future__ import annotations

from dataclasses import dataclass
from importlib.abc import Traversable
from pathlib import Path

from ecologits_like.impacts.range_value import ValueOrRange
from ecologits_like.registry._files import data_file, read_json
from ecologits_like.registry._validate import Entry

__all__ = ["ProviderProfile", "load_providers"]


@dataclass(frozen=True, slots=True)
class ProviderProfile:
    """Where and how efficiently a provider is assumed to serve requests.

    Attributes:
        name: Provider key.
        datacenter_zone: Electricity mix zone of its datacenters.
        pue: Power usage effectiveness (>= 1), value or range.
        wue: On-site water usage effectiveness (L/kWh), value or range.
        sources: URLs backing the figures.
    """

    name: str
    datacenter_zone: str
    pue: ValueOrRange
    wue: ValueOrRange
    sources: tuple[str, ...]


def load_providers(source: Traversable | Path | None = None) -> dict[str, ProviderProfile]:
    """Load and validate a providers file (the shipped ``data/providers.json`` by default)."""
    path = source if source is not None else data_file("providers.json")
    label = str(path) if source is not None else "data/providers.json"
    top = Entry(label, "top level", read_json(path, label))
    providers = top.child("providers")
    profiles: dict[str, ProviderProfile] = {}
    for name in providers.raw:
        entry = providers.child(name)
        profiles[name] = ProviderProfile(
            name=name,
            datacenter_zone=entry.string("datacenter_zone").upper(),
            pue=entry.value_or_range("pue", minimum=1.0, strict=False),
            wue=entry.value_or_range("wue", minimum=0.0, strict=False),
            sources=tuple(entry.strings("sources", required=True)),
        )
    return profiles
