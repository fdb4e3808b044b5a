"""GPU server profiles and the regression fits measured on them."""

from __future__ import annotations

from importlib.abc import Traversable
from pathlib import Path

from ecologits_like.impacts.llm import HardwareProfile, ImpactFactors, Spread
from ecologits_like.registry._files import data_file, read_json
from ecologits_like.registry._validate import Entry

__all__ = ["HardwareCatalog", "load_hardware"]

SECONDS_PER_YEAR = 365 * 24 * 3600
FLOPS_PER_TFLOPS = 1e12


class HardwareCatalog:
    """The hardware profiles and which one is the default."""

    def __init__(self, profiles: dict[str, HardwareProfile], default: str) -> None:
        self.profiles = profiles
        self.default = default

    def get(self, name: str | None) -> HardwareProfile:
        """The profile ``name`` (the default when ``None``)."""
        key = self.default if name is None else name
        try:
            return self.profiles[key]
        except (KeyError, TypeError):
            raise ValueError(f"hardware must be one of {', '.join(sorted(self.profiles))}, got {name!r}") from None


def _embodied(entry: Entry) -> ImpactFactors:
    return ImpactFactors(gwp=entry.number("gwp"), adpe=entry.number("adpe"), pe=entry.number("pe"))


def _spread(entry: Entry, *, minimum: float, strict: bool, maximum: float | None = None) -> Spread:
    """A ``{"min", "central", "max"}`` band above ``minimum`` with ``min <= central <= max (<= maximum)``."""
    lo, central, hi = (entry.number(key, minimum=minimum, strict=strict) for key in ("min", "central", "max"))
    if not lo <= central <= hi:
        entry.fail(None, f"must have min <= central <= max, got {lo!r}, {central!r}, {hi!r}")
    if maximum is not None and hi > maximum:
        entry.fail("max", f"must be <= {maximum:g}, got {hi!r}")
    return Spread(lo, central, hi)


def _profile(name: str, entry: Entry) -> HardwareProfile:
    gpu = entry.child("gpu")
    server = entry.child("server")
    energy = entry.child("gpu_energy_per_token")
    latency = entry.child("latency_per_token")
    prefill = entry.child("prefill")
    batch = entry.number("batch_size")
    batch_range = _spread(entry.child("batch_size_range"), minimum=1.0, strict=False)
    bits = entry.number("quantization_bits")
    gpus = server.number("gpu_count")
    for label, value, owner in (
        ("batch_size", batch, entry),
        ("quantization_bits", bits, entry),
        ("gpu_count", gpus, server),
    ):
        if value != int(value):
            owner.fail(label, f"must be a whole number, got {value!r}")
    return HardwareProfile(
        name=name,
        gpu_memory_gb=gpu.number("memory_gb"),
        gpu_embodied=_embodied(gpu.child("embodied")),
        server_gpu_count=int(gpus),
        server_power_kw=server.number("power_kw"),
        server_embodied=_embodied(server.child("embodied")),
        lifespan_s=server.number("lifespan_years") * SECONDS_PER_YEAR,
        energy_alpha=energy.number("alpha"),
        energy_beta=energy.number("beta", minimum=-1e9),
        energy_gamma=energy.number("gamma", strict=False),
        latency_alpha=latency.number("alpha", strict=False),
        latency_beta=latency.number("beta", strict=False),
        latency_gamma=latency.number("gamma", strict=False),
        gpu_peak_flops=prefill.number("gpu_peak_tflops") * FLOPS_PER_TFLOPS,
        gpu_power_kw=prefill.number("gpu_power_kw"),
        prefill_mfu=_spread(prefill.child("mfu"), minimum=0.0, strict=True, maximum=1.0),
        batch_size_range=batch_range,
        quantization_bits=int(bits),
        memory_overhead=entry.number("memory_overhead"),
        batch_size=int(batch),
    )


def load_hardware(source: Traversable | Path | None = None) -> HardwareCatalog:
    """Load and validate a hardware file (the shipped ``data/hardware.json`` by default)."""
    path = source if source is not None else data_file("hardware.json")
    label = str(path) if source is not None else "data/hardware.json"
    top = Entry(label, "top level", read_json(path, label))
    profiles_entry = top.child("profiles")
    profiles = {name: _profile(name, profiles_entry.child(name)) for name in profiles_entry.raw}
    default = top.string("default")
    if default not in profiles:
        top.fail("default", f"names no profile; profiles: {', '.join(sorted(profiles))}")
    return HardwareCatalog(profiles, default)
