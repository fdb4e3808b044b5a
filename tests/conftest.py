"""Shared fixtures."""

from __future__ import annotations

import math

import pytest

from ecologits_like.impacts.llm import ElectricityMix, HardwareProfile, ImpactFactors, Spread


def methodology_hardware(**changes: float) -> HardwareProfile:
    """The H100 HGX server of the published methodology, built from its constants (not from data/)."""
    values = dict(
        name="reference-h100",
        gpu_memory_gb=80.0,
        gpu_embodied=ImpactFactors(gwp=273.0, adpe=0.00895, pe=3721.0),
        server_gpu_count=8,
        server_power_kw=1.2,
        server_embodied=ImpactFactors(gwp=5700.0, adpe=0.37, pe=70000.0),
        lifespan_s=3 * 365 * 24 * 3600.0,
        energy_alpha=1.1665273170451914e-06,
        energy_beta=-0.011205921025579175,
        energy_gamma=4.052928146734005e-05,
        latency_alpha=6.785088094353663e-04,
        latency_beta=3.119310311688259e-04,
        latency_gamma=1.9473717579473387e-02,
        gpu_peak_flops=989.4e12,
        gpu_power_kw=0.7,
        prefill_mfu=Spread(0.3, 0.5, 0.75),
        batch_size_range=Spread(16.0, 64.0, 256.0),
        quantization_bits=16,
        memory_overhead=1.2,
        batch_size=64,
    )
    values.update(changes)
    return HardwareProfile(**values)  # type: ignore[arg-type]


@pytest.fixture
def hardware() -> HardwareProfile:
    return methodology_hardware()


@pytest.fixture
def usa_mix() -> ElectricityMix:
    return ElectricityMix(zone="USA", gwp=0.3844, adpe=9.855e-08, pe=9.6884, wue=3.1321)


INF = math.inf
