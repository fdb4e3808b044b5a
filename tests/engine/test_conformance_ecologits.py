"""Conformance: for identical inputs the engine reproduces the reference implementation.

The reference is the PyPI package ``ecologits`` (0.11.x), a dev-only dependency.
"""

from __future__ import annotations

import itertools
import math

import pytest

from ecologits_like.impacts.compose import llm_impacts
from ecologits_like.impacts.llm import ElectricityMix
from ecologits_like.impacts.range_value import RangeValue
from tests.conftest import methodology_hardware

ecologits_llm = pytest.importorskip(
    "ecologits.impacts.llm", reason="the reference package `ecologits` is not installed (pip install ecologits==0.11.*)"
)
ecologits_range = pytest.importorskip("ecologits.utils.range_value")

REL = 1e-9

# (active, total) in billions: dense, MoE, and undisclosed architectures given as ranges.
MODELS = [
    (0.5, 0.5),
    (8.03, 8.03),
    (70.6, 70.6),
    (405, 405),
    (12.9, 46.7),
    (37, 671),
    (17, 400),
    ((2, 8), (8, 40)),
    ((30, 100), (300, 1000)),
    ((60, 180), (60, 180)),
]
TOKENS = [0, 1, 17, 500, 4096]
LATENCIES = [None, 0.2, 3.5, 60.0]
MIXES = [
    ElectricityMix(zone="USA", gwp=0.3844, adpe=9.855e-08, pe=9.6884, wue=3.1321),
    ElectricityMix(zone="FRA", gwp=0.04144, adpe=4.858e-08, pe=9.3135, wue=3.6737),
]
DATACENTERS = [(1.2, 0.569), ((1.09, 1.14), (0.13, 0.999)), (1.16, 0.09)]


def _ours(value: float | tuple[float, float]) -> float | RangeValue:
    return RangeValue(*value) if isinstance(value, tuple) else value


def _theirs(value: float | tuple[float, float]) -> object:
    if isinstance(value, tuple):
        return ecologits_range.RangeValue(min=value[0], max=value[1])
    return value


def _bounds(value: object) -> tuple[float, float]:
    if hasattr(value, "min") and hasattr(value, "max"):
        return float(value.min), float(value.max)  # type: ignore[attr-defined]
    return float(value), float(value)  # type: ignore[arg-type]


def _close(a: object, b: object) -> bool:
    (a_lo, a_hi), (b_lo, b_hi) = _bounds(a), _bounds(b)
    return math.isclose(a_lo, b_lo, rel_tol=REL, abs_tol=1e-300) and math.isclose(
        a_hi, b_hi, rel_tol=REL, abs_tol=1e-300
    )


CASES = list(itertools.product(MODELS, TOKENS, LATENCIES, MIXES, DATACENTERS))


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}-{c[1]}tok-{c[2]}s-{c[3].zone}-{c[4][0]}")
def test_engine_matches_reference(case: tuple) -> None:
    (active, total), tokens, latency, mix, (pue, wue) = case
    theirs = ecologits_llm.compute_llm_impacts(
        model_active_parameter_count=_theirs(active),
        model_total_parameter_count=_theirs(total),
        output_token_count=tokens,
        if_electricity_mix_adpe=mix.adpe,
        if_electricity_mix_pe=mix.pe,
        if_electricity_mix_gwp=mix.gwp,
        if_electricity_mix_wue=mix.wue,
        datacenter_pue=_theirs(pue),
        datacenter_wue=_theirs(wue),
        request_latency=latency,
    )
    ours = llm_impacts(
        active_parameters=_ours(active),
        total_parameters=_ours(total),
        output_tokens=tokens,
        request_latency=math.inf if latency is None else latency,
        hardware=methodology_hardware(),
        mix=mix,
        datacenter_pue=_ours(pue),
        datacenter_wue=_ours(wue),
        input_tokens=20_000,  # the reference counts output tokens only: these must change nothing
        methodology="ecologits",  # output tokens only, batch size fixed at the hardware's 64
    )
    pairs = {
        "energy": (ours.energy, theirs.energy),
        "gwp": (ours.gwp, theirs.gwp),
        "adpe": (ours.adpe, theirs.adpe),
        "pe": (ours.pe, theirs.pe),
        "wcf": (ours.wcf, theirs.wcf),
        "usage.energy": (ours.usage.energy, theirs.usage.energy),
        "usage.gwp": (ours.usage.gwp, theirs.usage.gwp),
        "usage.adpe": (ours.usage.adpe, theirs.usage.adpe),
        "usage.pe": (ours.usage.pe, theirs.usage.pe),
        "usage.wcf": (ours.usage.wcf, theirs.usage.wcf),
        "embodied.gwp": (ours.embodied.gwp, theirs.embodied.gwp),
        "embodied.adpe": (ours.embodied.adpe, theirs.embodied.adpe),
        "embodied.pe": (ours.embodied.pe, theirs.embodied.pe),
    }
    mismatches = {
        name: (_bounds(o.value), _bounds(t.value)) for name, (o, t) in pairs.items() if not _close(o.value, t.value)
    }
    assert not mismatches, mismatches
    assert ours.energy.unit == theirs.energy.unit == "kWh"
