"""The compiled hot path agrees with the readable formulas."""

from __future__ import annotations

import itertools
import math

import pytest

from ecologits_like.impacts.compiled import compile_scenario, evaluate
from ecologits_like.impacts.llm import Datacenter, ElectricityMix, HardwareProfile, compute_llm_impacts, prefill_tokens


@pytest.mark.parametrize(
    ("params", "tokens", "latency", "deployment", "prompt"),
    list(
        itertools.product(
            [(0.5, 0.5), (8.0, 8.0), (12.9, 46.7), (37.0, 671.0), (405.0, 405.0)],
            [0, 1, 333, 10_000],
            [math.inf, 0.0, 0.7, 45.0],
            [(None, None), (80.0, 0.35)],
            [(0, 0, None), (20_000, 0, 0.5), (20_000, 15_000, 0.31), (7, 0, None)],
        )
    ),
)
def test_compiled_scenario_matches_compute_llm_impacts(
    params: tuple[float, float],
    tokens: int,
    latency: float,
    deployment: tuple[float | None, float | None],
    prompt: tuple[int, int, float | None],
    hardware: HardwareProfile,
    usa_mix: ElectricityMix,
) -> None:
    active, total = params
    tps, ttft = deployment
    input_tokens, cached, mfu = prompt
    datacenter = Datacenter(pue=1.17, wue=0.4)
    reference = compute_llm_impacts(
        active_parameters=active,
        total_parameters=total,
        output_tokens=tokens,
        request_latency=latency,
        hardware=hardware,
        mix=usa_mix,
        datacenter=datacenter,
        batch_size=48,
        tps=tps,
        ttft=ttft,
        input_tokens=input_tokens,
        cached_input_tokens=cached,
        prefill_mfu=mfu,
    )
    compiled = compile_scenario(
        active_parameters=active,
        total_parameters=total,
        hardware=hardware,
        mix=usa_mix,
        datacenter=datacenter,
        batch_size=48,
        tps=tps,
        ttft=ttft,
        prefill_mfu=mfu,
    )
    fast = evaluate(compiled, tokens, latency, float(prefill_tokens(input_tokens, cached)))
    for field, expected in reference._asdict().items():
        assert getattr(fast, field) == pytest.approx(expected, rel=1e-12, abs=1e-300), field
