"""Each formula of the methodology against a hand computation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ecologits_like.impacts import llm
from ecologits_like.impacts.llm import Datacenter, ElectricityMix, HardwareProfile

A, B, C = 1.1665273170451914e-06, -0.011205921025579175, 4.052928146734005e-05


def test_gpu_energy_per_token_follows_the_fit() -> None:
    expected = A * math.exp(B * 64) * 70 + C
    assert llm.gpu_energy_per_token(70.0, 64, A, B, C) == pytest.approx(expected, rel=1e-15)


def test_latency_per_token_uses_the_fit_or_the_known_throughput() -> None:
    assert llm.latency_per_token(8.0, 64, 1e-3, 2e-4, 0.02) == pytest.approx(8e-3 + 64 * 2e-4 + 0.02)
    assert llm.latency_per_token(8.0, 64, 1e-3, 2e-4, 0.02, tps=50.0) == pytest.approx(0.02)


def test_latency_per_token_array_falls_back_to_the_fit_where_tps_is_unknown() -> None:
    active = np.array([[8.0], [70.0]])
    tps = np.array([[np.nan], [100.0]])
    result = llm.latency_per_token(active, 64, 1e-3, 2e-4, 0.02, tps=tps)
    assert result[0, 0] == pytest.approx(8e-3 + 64 * 2e-4 + 0.02)
    assert result[1, 0] == pytest.approx(0.01)


@pytest.mark.parametrize(
    ("tokens", "per_token", "measured", "ttft", "expected"),
    [
        (100, 0.05, math.inf, None, 5.0),
        (100, 0.05, 2.0, None, 2.0),  # capped by the measured duration
        (100, 0.05, math.inf, 0.5, 5.5),
        (0, 0.05, 1.0, None, 0.0),
    ],
)
def test_generation_latency_is_capped_by_the_measured_request(
    tokens: int, per_token: float, measured: float, ttft: float | None, expected: float
) -> None:
    assert llm.generation_latency(tokens, per_token, measured, ttft) == pytest.approx(expected)


def test_memory_and_gpu_count_round_up_to_a_power_of_two() -> None:
    assert llm.model_required_memory(70.0, 16, 1.2) == pytest.approx(168.0)
    assert llm.required_gpu_count(168.0, 80.0) == 4.0  # ceil(2.1) = 3 -> 4
    assert llm.required_gpu_count(1.0, 80.0) == 1.0
    assert llm.required_gpu_count(80.0, 80.0) == 1.0
    assert llm.required_gpu_count(80.1, 80.0) == 2.0
    assert llm.required_gpu_count(1610.4, 80.0) == 32.0  # 671B MoE: 21 GPUs -> 32
    arrays = llm.required_gpu_count(np.array([1.0, 168.0, 1610.4]), 80.0)
    assert arrays.tolist() == [1.0, 4.0, 32.0]


def test_server_energy_shares_the_server_by_gpus_and_batch() -> None:
    # 10 s on half a server (4 of 8 GPUs) at 1.2 kW, split over 64 requests.
    assert llm.server_energy(10.0, 1.2, 4.0, 8, 64) == pytest.approx(10 / 3600 * 1.2 * 0.5 / 64)


def test_it_energy_request_energy_and_water() -> None:
    it = llm.request_it_energy(0.001, 2.0, 100, 1e-4)
    assert it == pytest.approx(0.001 + 2 * 100 * 1e-4 / 1000)
    assert llm.request_energy(it, 1.2) == pytest.approx(1.2 * it)
    assert llm.usage_impact(2.0, 0.4) == pytest.approx(0.8)
    assert llm.request_water(1.0, 0.5, 1.2, 3.0) == pytest.approx(0.5 + 1.2 * 3.0)


def test_embodied_share_and_allocation() -> None:
    share = llm.server_embodied_share(4.0, 8, 5700.0, 273.0)
    assert share == pytest.approx(0.5 * 5700 + 4 * 273)
    lifespan = 3 * 365 * 24 * 3600.0
    assert llm.embodied_allocation(share, 10.0, lifespan, 64) == pytest.approx(10 * share / (lifespan * 64))


def test_compute_llm_impacts_composes_the_formulas(hardware: HardwareProfile, usa_mix: ElectricityMix) -> None:
    result = llm.compute_llm_impacts(
        active_parameters=70.0,
        total_parameters=70.0,
        output_tokens=500,
        request_latency=math.inf,
        hardware=hardware,
        mix=usa_mix,
        datacenter=Datacenter(pue=1.2, wue=0.5),
        batch_size=64,
    )
    latency = 500 * (6.785088094353663e-04 * 70 + 3.119310311688259e-04 * 64 + 1.9473717579473387e-02)
    gpus = 4.0
    it = latency / 3600 * 1.2 * gpus / 8 / 64 + gpus * 500 * (A * math.exp(B * 64) * 70 + C) / 1000
    assert result.latency == pytest.approx(latency)
    assert result.gpu_count == gpus
    assert result.it_energy == pytest.approx(it)
    assert result.energy == pytest.approx(1.2 * it)
    assert result.usage_gwp == pytest.approx(1.2 * it * usa_mix.gwp)
    assert result.usage_wcf == pytest.approx(it * (0.5 + 1.2 * usa_mix.wue))
    share = gpus / 8 * 5700 + gpus * 273
    assert result.embodied_gwp == pytest.approx(latency * share / (hardware.lifespan_s * 64))


# -- prompt processing (prefill) --------------------------------------------------------------


def test_prefill_tokens_exclude_cached_ones_and_never_go_negative() -> None:
    assert llm.prefill_tokens(20_000, 5_000) == 15_000
    assert llm.prefill_tokens(100, 100) == 0
    assert llm.prefill_tokens(10, 30) == 0  # an inconsistent provider report never gives negative work
    assert llm.prefill_tokens(np.array([10.0, 5.0]), np.array([3.0, 9.0])).tolist() == [7.0, 0.0]


def test_prefill_flops_latency_and_gpu_energy() -> None:
    flops = llm.prefill_flops(70.0, 20_000)
    assert flops == pytest.approx(2 * 70e9 * 20_000)  # 2.8e15
    latency = llm.prefill_latency(flops, 4.0, 989.4e12, 0.5)
    assert latency == pytest.approx(2.8e15 / (4 * 989.4e12 * 0.5))
    assert llm.prefill_gpu_energy(latency, 4.0, 0.7) == pytest.approx(latency / 3600 * 4 * 0.7)


def test_compute_llm_impacts_adds_the_prompt(hardware: HardwareProfile, usa_mix: ElectricityMix) -> None:
    common = dict(
        active_parameters=70.0,
        total_parameters=70.0,
        output_tokens=10,
        request_latency=math.inf,
        hardware=hardware,
        mix=usa_mix,
        datacenter=Datacenter(pue=1.2, wue=0.5),
        batch_size=64,
    )
    without = llm.compute_llm_impacts(**common)  # type: ignore[arg-type]
    ignored = llm.compute_llm_impacts(**common, input_tokens=20_000)  # type: ignore[arg-type]
    assert ignored == without  # no MFU: prompt processing is not counted (the reference methodology)
    result = llm.compute_llm_impacts(**common, input_tokens=25_000, cached_input_tokens=5_000, prefill_mfu=0.5)  # type: ignore[arg-type]
    gpus = 4.0
    prompt_latency = 2 * 70e9 * 20_000 / (gpus * 989.4e12 * 0.5)
    prompt_it = prompt_latency / 3600 * (gpus * 0.7 + 1.2 * gpus / 8)  # GPUs at full power + server share
    assert result.prefill_latency == pytest.approx(prompt_latency)
    assert result.latency == without.latency  # the generation time is unchanged
    assert result.it_energy == pytest.approx(without.it_energy + prompt_it)
    assert result.energy == pytest.approx(1.2 * (without.it_energy + prompt_it))
    share = gpus / 8 * 5700 + gpus * 273
    assert result.embodied_gwp == pytest.approx(without.embodied_gwp + prompt_latency * share / hardware.lifespan_s)
