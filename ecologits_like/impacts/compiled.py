"""The per-request hot path: the methodology compiled into a few coefficients per scenario.

For a fixed model, hardware, datacenter and electricity mix, every impact of a request is linear
in three quantities: its generation latency, its output tokens and its prefill (uncached input)
tokens. :func:`compile_scenario`
evaluates the named formulas of :mod:`ecologits_like.impacts.llm` once, at unit inputs, to get
those coefficients; :func:`evaluate` then costs a handful of multiplications per request. The
results equal :func:`~ecologits_like.impacts.llm.compute_llm_impacts` up to floating-point
rounding (tests hold them to 1e-12 relative).
"""

from __future__ import annotations

from dataclasses import dataclass

from ecologits_like.impacts.llm import (
    Datacenter,
    ElectricityMix,
    HardwareProfile,
    RequestImpacts,
    embodied_allocation,
    gpu_energy_per_token,
    latency_per_token,
    model_required_memory,
    prefill_flops,
    prefill_gpu_energy,
    prefill_latency,
    prefill_tokens,
    request_energy,
    request_it_energy,
    request_water,
    required_gpu_count,
    server_embodied_share,
    server_energy,
    usage_impact,
)

__all__ = [
    "INDICATORS",
    "Coefficients",
    "CompiledScenario",
    "compile_scenario",
    "evaluate",
    "evaluate_indicators",
    "scenario_coefficients",
]

#: The eleven indicators :func:`evaluate_indicators` returns per scenario, in this order.
INDICATORS = (
    "energy",
    "usage_gwp",
    "usage_adpe",
    "usage_pe",
    "usage_wcf",
    "embodied_gwp",
    "embodied_adpe",
    "embodied_pe",
    "total_gwp",
    "total_adpe",
    "total_pe",
)

#: A :class:`CompiledScenario`'s coefficients as a flat tuple (see :func:`scenario_coefficients`).
Coefficients = tuple[float, ...]


@dataclass(frozen=True, slots=True)
class CompiledScenario:
    """Coefficients of one scenario; see :func:`compile_scenario` for their meaning."""

    seconds_per_token: float
    ttft: float
    gpu_count: float
    it_kwh_per_second: float  # server share, per second of generation
    it_kwh_per_token: float  # all GPUs, per output token
    energy_per_it: float  # PUE
    gwp_per_kwh: float
    adpe_per_kwh: float
    pe_per_kwh: float
    water_per_it_kwh: float
    embodied_gwp_per_second: float
    embodied_adpe_per_second: float
    embodied_pe_per_second: float
    prefill_seconds_per_token: float  # the model's GPUs, per uncached input token
    it_kwh_per_input_token: float  # GPUs and server share, per uncached input token
    embodied_gwp_per_input_token: float
    embodied_adpe_per_input_token: float
    embodied_pe_per_input_token: float


def compile_scenario(
    *,
    active_parameters: float,
    total_parameters: float,
    hardware: HardwareProfile,
    mix: ElectricityMix,
    datacenter: Datacenter,
    batch_size: float,
    tps: float | None = None,
    ttft: float | None = None,
    prefill_mfu: float | None = None,
) -> CompiledScenario:
    """Evaluate everything that does not depend on the request's tokens or latency.

    ``prefill_mfu`` ``None`` leaves prompt processing out (its coefficients are zero).
    """
    gpus = float(
        required_gpu_count(
            model_required_memory(total_parameters, hardware.quantization_bits, hardware.memory_overhead),
            hardware.gpu_memory_gb,
        )
    )
    token_energy = gpu_energy_per_token(
        active_parameters, batch_size, hardware.energy_alpha, hardware.energy_beta, hardware.energy_gamma
    )

    def embodied_rate(server_factor: float, gpu_factor: float) -> float:
        share = server_embodied_share(gpus, hardware.server_gpu_count, server_factor, gpu_factor)
        return float(embodied_allocation(share, 1.0, hardware.lifespan_s, batch_size))

    # Prompt processing, per uncached input token: the prompt's own GPU time (batch size 1).
    prompt_seconds = 0.0
    prompt_it_kwh = 0.0
    if prefill_mfu is not None:
        flops = prefill_flops(active_parameters, prefill_tokens(1.0, 0.0))
        prompt_seconds = float(prefill_latency(flops, gpus, hardware.gpu_peak_flops, prefill_mfu))
        prompt_it_kwh = float(
            server_energy(prompt_seconds, hardware.server_power_kw, gpus, hardware.server_gpu_count, 1.0)
            + prefill_gpu_energy(prompt_seconds, gpus, hardware.gpu_power_kw)
        )

    def prompt_embodied(server_factor: float, gpu_factor: float) -> float:
        share = server_embodied_share(gpus, hardware.server_gpu_count, server_factor, gpu_factor)
        return float(embodied_allocation(share, prompt_seconds, hardware.lifespan_s, 1.0))

    return CompiledScenario(
        seconds_per_token=float(
            latency_per_token(
                active_parameters,
                batch_size,
                hardware.latency_alpha,
                hardware.latency_beta,
                hardware.latency_gamma,
                tps,
            )
        ),
        ttft=0.0 if ttft is None else float(ttft),
        gpu_count=gpus,
        it_kwh_per_second=float(
            server_energy(1.0, hardware.server_power_kw, gpus, hardware.server_gpu_count, batch_size)
        ),
        it_kwh_per_token=float(request_it_energy(0.0, gpus, 1.0, token_energy)),
        energy_per_it=float(request_energy(1.0, datacenter.pue)),
        gwp_per_kwh=float(usage_impact(1.0, mix.gwp)),
        adpe_per_kwh=float(usage_impact(1.0, mix.adpe)),
        pe_per_kwh=float(usage_impact(1.0, mix.pe)),
        water_per_it_kwh=float(request_water(1.0, datacenter.wue, datacenter.pue, mix.wue)),
        embodied_gwp_per_second=embodied_rate(hardware.server_embodied.gwp, hardware.gpu_embodied.gwp),
        embodied_adpe_per_second=embodied_rate(hardware.server_embodied.adpe, hardware.gpu_embodied.adpe),
        embodied_pe_per_second=embodied_rate(hardware.server_embodied.pe, hardware.gpu_embodied.pe),
        prefill_seconds_per_token=prompt_seconds,
        it_kwh_per_input_token=prompt_it_kwh,
        embodied_gwp_per_input_token=prompt_embodied(hardware.server_embodied.gwp, hardware.gpu_embodied.gwp),
        embodied_adpe_per_input_token=prompt_embodied(hardware.server_embodied.adpe, hardware.gpu_embodied.adpe),
        embodied_pe_per_input_token=prompt_embodied(hardware.server_embodied.pe, hardware.gpu_embodied.pe),
    )


def evaluate(
    scenario: CompiledScenario, output_tokens: float, request_latency: float, prompt_tokens: float = 0.0
) -> RequestImpacts:
    """Impacts of one request under a compiled scenario.

    ``request_latency`` is ``inf`` when unknown; ``prompt_tokens`` are the uncached input tokens
    (:func:`~ecologits_like.impacts.llm.prefill_tokens`).
    """
    modelled = output_tokens * scenario.seconds_per_token + scenario.ttft
    latency = request_latency if request_latency < modelled else modelled
    it_energy = (
        latency * scenario.it_kwh_per_second
        + output_tokens * scenario.it_kwh_per_token
        + prompt_tokens * scenario.it_kwh_per_input_token
    )
    energy = it_energy * scenario.energy_per_it
    return RequestImpacts(
        energy=energy,
        it_energy=it_energy,
        latency=latency,
        gpu_count=scenario.gpu_count,
        usage_gwp=energy * scenario.gwp_per_kwh,
        usage_adpe=energy * scenario.adpe_per_kwh,
        usage_pe=energy * scenario.pe_per_kwh,
        usage_wcf=it_energy * scenario.water_per_it_kwh,
        embodied_gwp=latency * scenario.embodied_gwp_per_second + prompt_tokens * scenario.embodied_gwp_per_input_token,
        embodied_adpe=latency * scenario.embodied_adpe_per_second
        + prompt_tokens * scenario.embodied_adpe_per_input_token,
        embodied_pe=latency * scenario.embodied_pe_per_second + prompt_tokens * scenario.embodied_pe_per_input_token,
        prefill_latency=prompt_tokens * scenario.prefill_seconds_per_token,
    )


def scenario_coefficients(scenario: CompiledScenario) -> Coefficients:
    """The coefficients :func:`evaluate_indicators` reads, in the order it unpacks them.

    A tuple unpacks into local variables in one step, where reading sixteen attributes of the
    scenario would cost a lookup each on every request.
    """
    return (
        scenario.seconds_per_token,
        scenario.ttft,
        scenario.it_kwh_per_second,
        scenario.it_kwh_per_token,
        scenario.it_kwh_per_input_token,
        scenario.energy_per_it,
        scenario.gwp_per_kwh,
        scenario.adpe_per_kwh,
        scenario.pe_per_kwh,
        scenario.water_per_it_kwh,
        scenario.embodied_gwp_per_second,
        scenario.embodied_adpe_per_second,
        scenario.embodied_pe_per_second,
        scenario.embodied_gwp_per_input_token,
        scenario.embodied_adpe_per_input_token,
        scenario.embodied_pe_per_input_token,
    )


def evaluate_indicators(
    scenarios: tuple[Coefficients, ...], output_tokens: float, request_latency: float, prompt_tokens: float
) -> list[tuple[float, ...]]:
    """The eleven :data:`INDICATORS` of one request under each scenario, in one pass.

    The same arithmetic as :func:`evaluate` (in the same order, so the same floats) plus the
    totals (usage + embodied) that :func:`~ecologits_like.impacts.compose.to_output` adds, without
    building a :class:`~ecologits_like.impacts.llm.RequestImpacts` per scenario: the output built
    on first read calls this once for all its scenarios.
    """
    results: list[tuple[float, ...]] = []
    for (
        seconds_per_token,
        ttft,
        it_kwh_per_second,
        it_kwh_per_token,
        it_kwh_per_input_token,
        energy_per_it,
        gwp_per_kwh,
        adpe_per_kwh,
        pe_per_kwh,
        water_per_it_kwh,
        embodied_gwp_per_second,
        embodied_adpe_per_second,
        embodied_pe_per_second,
        embodied_gwp_per_input_token,
        embodied_adpe_per_input_token,
        embodied_pe_per_input_token,
    ) in scenarios:
        modelled = output_tokens * seconds_per_token + ttft
        latency = request_latency if request_latency < modelled else modelled
        it_energy = (
            latency * it_kwh_per_second + output_tokens * it_kwh_per_token + prompt_tokens * it_kwh_per_input_token
        )
        energy = it_energy * energy_per_it
        usage_gwp = energy * gwp_per_kwh
        usage_adpe = energy * adpe_per_kwh
        usage_pe = energy * pe_per_kwh
        embodied_gwp = latency * embodied_gwp_per_second + prompt_tokens * embodied_gwp_per_input_token
        embodied_adpe = latency * embodied_adpe_per_second + prompt_tokens * embodied_adpe_per_input_token
        embodied_pe = latency * embodied_pe_per_second + prompt_tokens * embodied_pe_per_input_token
        results.append(
            (
                energy,
                usage_gwp,
                usage_adpe,
                usage_pe,
                it_energy * water_per_it_kwh,
                embodied_gwp,
                embodied_adpe,
                embodied_pe,
                usage_gwp + embodied_gwp,
                usage_adpe + embodied_adpe,
                usage_pe + embodied_pe,
            )
        )
    return results
