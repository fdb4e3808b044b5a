"""The LLM-inference methodology, one named formula per function.

Every function is pure and works element-wise on Python floats or numpy arrays alike, so the
scalar path (:func:`compute_llm_impacts` on floats) and the vectorised path (the same call on
arrays) run the very same arithmetic. Ranges are handled one level up
(:mod:`ecologits_like.impacts.compose`) by evaluating a low and a high scenario.

The formulas follow the published EcoLogits LLM-inference methodology
(https://ecologits.ai/latest/methodology/llm_inference/); the coefficients live in
``data/hardware.json`` with their sources.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple, TypeAlias

# numpy is imported only inside the array branches: the scalar path (every traced request, and
# ``import ecologits_like``) never needs it, and importing it costs ~80 ms of cold start.
if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = [
    "Datacenter",
    "ElectricityMix",
    "HardwareProfile",
    "ImpactFactors",
    "RequestImpacts",
    "Spread",
    "compute_llm_impacts",
    "embodied_allocation",
    "generation_latency",
    "gpu_energy_per_token",
    "latency_per_token",
    "model_required_memory",
    "prefill_flops",
    "prefill_gpu_energy",
    "prefill_latency",
    "prefill_tokens",
    "request_energy",
    "request_it_energy",
    "request_water",
    "required_gpu_count",
    "server_embodied_share",
    "server_energy",
    "usage_impact",
]

Number: TypeAlias = "float | npt.NDArray[np.float64]"
"""A float, or an array of floats evaluated element-wise."""

SECONDS_PER_HOUR = 3600.0
WH_PER_KWH = 1000.0
PARAMETERS_PER_BILLION = 1e9
FLOPS_PER_PARAMETER_PER_TOKEN = 2.0
"""A forward pass costs one multiply and one add per (active) weight per token."""


class Spread(NamedTuple):
    """A constant known as a band: its lower bound, the value the methodology takes, its upper bound."""

    min: float
    central: float
    max: float


@dataclass(frozen=True, slots=True)
class ImpactFactors:
    """Embodied (manufacturing) impacts of one piece of hardware.

    Attributes:
        gwp: Global warming potential, kgCO2eq.
        adpe: Abiotic depletion potential (elements), kgSbeq.
        pe: Primary energy, MJ.
    """

    gwp: float
    adpe: float
    pe: float


@dataclass(frozen=True, slots=True)
class HardwareProfile:
    """A GPU server profile and the regression fits measured on it.

    Attributes:
        name: Profile key in ``data/hardware.json``.
        gpu_memory_gb: Memory of one GPU, GB.
        gpu_embodied: Embodied impacts of one GPU.
        server_gpu_count: GPUs installed in one server.
        server_power_kw: Power of the server excluding its GPUs, kW.
        server_embodied: Embodied impacts of one server excluding its GPUs.
        lifespan_s: Hardware lifespan, seconds.
        energy_alpha, energy_beta, energy_gamma: GPU energy per output token fit (Wh).
        latency_alpha, latency_beta, latency_gamma: Latency per output token fit (s).
        gpu_peak_flops: Peak dense 16-bit (BF16/FP16) tensor throughput of one GPU, FLOP/s.
        gpu_power_kw: Power one GPU draws while compute-bound (prompt processing), kW.
        prefill_mfu: Achieved fraction of ``gpu_peak_flops`` while processing prompts
            (model FLOPs utilisation), as a band.
        batch_size_range: Requests decoded together in real serving, as a band (its ``central``
            is the reference methodology's fixed batch size).
        quantization_bits: Bits per weight when serving.
        memory_overhead: Multiplier on weight memory for activations and KV cache.
        batch_size: The reference methodology's fixed batch size.
    """

    name: str
    gpu_memory_gb: float
    gpu_embodied: ImpactFactors
    server_gpu_count: int
    server_power_kw: float
    server_embodied: ImpactFactors
    lifespan_s: float
    energy_alpha: float
    energy_beta: float
    energy_gamma: float
    latency_alpha: float
    latency_beta: float
    latency_gamma: float
    gpu_peak_flops: float
    gpu_power_kw: float
    prefill_mfu: Spread
    batch_size_range: Spread
    quantization_bits: int = 16
    memory_overhead: float = 1.2
    batch_size: int = 64


@dataclass(frozen=True, slots=True)
class ElectricityMix:
    """Impact factors of one kWh of electricity in a zone (arrays of them on the vectorised path).

    Attributes:
        zone: ISO 3166-1 alpha-3 code, or ``WOR`` for the world average.
        gwp: kgCO2eq per kWh.
        adpe: kgSbeq per kWh.
        pe: MJ per kWh.
        wue: Litres of water consumed per kWh generated.
    """

    zone: str
    gwp: Number
    adpe: Number
    pe: Number
    wue: Number


@dataclass(frozen=True, slots=True)
class Datacenter:
    """One scenario's datacenter efficiency figures (arrays of them on the vectorised path).

    Attributes:
        pue: Power usage effectiveness (total facility energy / IT energy), >= 1.
        wue: On-site water usage effectiveness, litres per kWh of IT energy.
    """

    pue: Number
    wue: Number


class RequestImpacts(NamedTuple):
    """The impacts of one request under one scenario (floats, or arrays on the vectorised path)."""

    energy: Number  # kWh, at the datacenter meter (PUE included)
    it_energy: Number  # kWh, servers and GPUs only
    latency: Number  # s, generation time allocated to the request
    gpu_count: Number  # GPUs the model occupies
    usage_gwp: Number  # kgCO2eq
    usage_adpe: Number  # kgSbeq
    usage_pe: Number  # MJ
    usage_wcf: Number  # L
    embodied_gwp: Number  # kgCO2eq
    embodied_adpe: Number  # kgSbeq
    embodied_pe: Number  # MJ
    prefill_latency: Number = 0.0  # s, time the model's GPUs spend on the prompt


def _is_array(*values: object) -> bool:
    numpy = sys.modules.get("numpy")
    if numpy is None:  # no array can exist before numpy is imported
        return False
    ndarray = numpy.ndarray
    return any(isinstance(v, ndarray) for v in values)


def gpu_energy_per_token(
    active_parameters: Number, batch_size: Number, alpha: float, beta: float, gamma: float
) -> Number:
    """Energy drawn by one GPU to generate one output token, in Wh.

    ``alpha * exp(beta * batch_size) * active_parameters + gamma`` with ``active_parameters``
    in billions; the fit was made on measured H100 generations.
    """
    if _is_array(batch_size):
        import numpy as np

        return alpha * np.exp(beta * batch_size) * active_parameters + gamma
    return alpha * math.exp(beta * batch_size) * active_parameters + gamma


def latency_per_token(
    active_parameters: Number,
    batch_size: Number,
    alpha: float,
    beta: float,
    gamma: float,
    tps: Number | None = None,
) -> Number:
    """Time to generate one output token, in seconds.

    ``1 / tps`` when the deployment's throughput is known, else the fit
    ``alpha * active_parameters + beta * batch_size + gamma`` (parameters in billions). On the
    vectorised path ``tps`` may be an array with ``nan`` where the throughput is unknown.
    """
    fitted = alpha * active_parameters + beta * batch_size + gamma
    if tps is None:
        return fitted
    if _is_array(tps, fitted):
        import numpy as np

        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(np.isnan(tps), fitted, 1.0 / tps)
    return 1.0 / tps


def generation_latency(
    output_tokens: Number, per_token_latency: Number, request_latency: Number, ttft: Number | None = None
) -> Number:
    """Generation time attributed to a request, in seconds.

    The modelled time ``output_tokens * per_token_latency (+ ttft)``, capped by the measured
    request latency (``inf`` when unknown): a request cannot have computed longer than it lasted.
    """
    modelled = output_tokens * per_token_latency
    if ttft is not None:
        modelled = modelled + ttft
    if _is_array(modelled, request_latency):
        import numpy as np

        return np.minimum(request_latency, modelled)
    return min(request_latency, modelled)


def model_required_memory(total_parameters: Number, quantization_bits: float, overhead: float) -> Number:
    """GPU memory needed to serve the model, in GB: ``overhead * P_total * bits / 8``."""
    return overhead * total_parameters * quantization_bits / 8


def required_gpu_count(required_memory_gb: Number, gpu_memory_gb: float) -> Number:
    """GPUs needed to hold the model: ``ceil(memory / gpu_memory)`` rounded up to a power of two."""
    if _is_array(required_memory_gb):
        import numpy as np

        raw = np.maximum(np.ceil(required_memory_gb / gpu_memory_gb), 1.0)
        return np.exp2(np.ceil(np.log2(raw)))
    raw_count = max(math.ceil(required_memory_gb / gpu_memory_gb), 1)
    return float(2 ** math.ceil(math.log2(raw_count)))


def server_energy(
    latency_s: Number, server_power_kw: float, gpu_count: Number, server_gpu_count: int, batch_size: Number
) -> Number:
    """Energy of the server's non-GPU parts allocated to one request, in kWh.

    The share of the server the model occupies (``gpu_count / server_gpu_count``), over the
    generation time, divided among the ``batch_size`` requests served together.
    """
    return latency_s / SECONDS_PER_HOUR * server_power_kw * (gpu_count / server_gpu_count) / batch_size


def request_it_energy(
    server_energy_kwh: Number, gpu_count: Number, output_tokens: Number, gpu_energy_per_token_wh: Number
) -> Number:
    """IT energy of the request, in kWh: server share plus every GPU's token energy."""
    return server_energy_kwh + gpu_count * output_tokens * gpu_energy_per_token_wh / WH_PER_KWH


def request_energy(it_energy_kwh: Number, pue: Number) -> Number:
    """Energy at the datacenter meter, in kWh: IT energy times PUE."""
    return pue * it_energy_kwh


def usage_impact(energy_kwh: Number, factor_per_kwh: Number) -> Number:
    """A usage-phase impact: energy times the electricity mix factor (per kWh)."""
    return energy_kwh * factor_per_kwh


def request_water(it_energy_kwh: Number, datacenter_wue: Number, pue: Number, mix_wue: Number) -> Number:
    """Water consumed, in litres: on-site cooling plus off-site generation.

    ``it_energy * (WUE_datacenter + PUE * WUE_electricity_mix)``.
    """
    return it_energy_kwh * (datacenter_wue + pue * mix_wue)


def server_embodied_share(
    gpu_count: Number, server_gpu_count: int, server_embodied: float, gpu_embodied: float
) -> Number:
    """Embodied impact of the hardware a model occupies: its server share plus its GPUs."""
    return gpu_count / server_gpu_count * server_embodied + gpu_count * gpu_embodied


def embodied_allocation(hardware_embodied: Number, latency_s: Number, lifespan_s: float, batch_size: Number) -> Number:
    """Embodied impact allocated to one request: by its share of the hardware's lifetime."""
    return latency_s * hardware_embodied / (lifespan_s * batch_size)


def prefill_tokens(input_tokens: Number, cached_input_tokens: Number) -> Number:
    """Prompt tokens whose prefill is computed: ``input_tokens - cached_input_tokens`` (never below 0).

    Tokens served from the provider's prompt cache are excluded: their keys and values were
    computed by an earlier request and are reused, so their weight multiplications do not run again.
    """
    fresh = input_tokens - cached_input_tokens
    if _is_array(fresh):
        import numpy as np

        return np.maximum(fresh, 0.0)
    return fresh if fresh > 0 else 0.0


def prefill_flops(active_parameters: Number, tokens: Number) -> Number:
    """Floating-point operations to process ``tokens`` prompt tokens: ``2 * P_active * tokens``.

    ``active_parameters`` in billions. Attention over the context (quadratic in its length) is
    not counted; for prompts shorter than the model width it is a small share.
    """
    return FLOPS_PER_PARAMETER_PER_TOKEN * active_parameters * PARAMETERS_PER_BILLION * tokens


def prefill_latency(flops: Number, gpu_count: Number, gpu_peak_flops: float, mfu: Number) -> Number:
    """Time the model's GPUs spend on the prompt, in seconds: ``flops / (GPUs * peak * MFU)``.

    Prompt processing is compute-bound: it runs at an achieved fraction (``mfu``) of the GPUs'
    peak throughput. This is the request's own GPU time; it is not divided by the batch size,
    because batching prompts together does not reduce the operations each one needs.
    """
    return flops / (gpu_count * gpu_peak_flops * mfu)


def prefill_gpu_energy(latency_s: Number, gpu_count: Number, gpu_power_kw: float) -> Number:
    """Energy the GPUs draw while processing the prompt, in kWh: ``latency * GPUs * power``."""
    return latency_s / SECONDS_PER_HOUR * gpu_count * gpu_power_kw


def compute_llm_impacts(
    *,
    active_parameters: Number,
    total_parameters: Number,
    output_tokens: Number,
    request_latency: Number,
    hardware: HardwareProfile,
    mix: ElectricityMix,
    datacenter: Datacenter,
    batch_size: Number,
    tps: Number | None = None,
    ttft: Number | None = None,
    input_tokens: Number = 0.0,
    cached_input_tokens: Number = 0.0,
    prefill_mfu: Number | None = None,
) -> RequestImpacts:
    """Impacts of one LLM generation request under one scenario.

    Args:
        active_parameters: Parameters used per token, billions.
        total_parameters: Parameters held in GPU memory, billions.
        output_tokens: Generated tokens.
        request_latency: Measured request duration in seconds (``math.inf`` when unknown).
        hardware: The serving hardware and its fits.
        mix: Electricity mix factors of the datacenter's zone.
        datacenter: PUE and WUE of the datacenter.
        batch_size: Requests served concurrently.
        tps: Deployment throughput in tokens/s, when known (replaces the latency fit).
        ttft: Deployment time to first token in seconds, when known.
        input_tokens: Prompt tokens (cached ones included).
        cached_input_tokens: Prompt tokens served from the provider's prompt cache.
        prefill_mfu: Achieved fraction of the GPUs' peak while processing the prompt; ``None``
            leaves prompt processing out, as the reference methodology does.
    """
    token_latency = latency_per_token(
        active_parameters,
        batch_size,
        hardware.latency_alpha,
        hardware.latency_beta,
        hardware.latency_gamma,
        tps,
    )
    latency = generation_latency(output_tokens, token_latency, request_latency, ttft)
    memory = model_required_memory(total_parameters, hardware.quantization_bits, hardware.memory_overhead)
    gpus = required_gpu_count(memory, hardware.gpu_memory_gb)
    token_energy = gpu_energy_per_token(
        active_parameters, batch_size, hardware.energy_alpha, hardware.energy_beta, hardware.energy_gamma
    )
    server = server_energy(latency, hardware.server_power_kw, gpus, hardware.server_gpu_count, batch_size)
    it_energy = request_it_energy(server, gpus, output_tokens, token_energy)
    prompt_latency: Number = 0.0
    if prefill_mfu is not None:
        flops = prefill_flops(active_parameters, prefill_tokens(input_tokens, cached_input_tokens))
        prompt_latency = prefill_latency(flops, gpus, hardware.gpu_peak_flops, prefill_mfu)
        # The prompt's own GPU time: the whole server share for that time, not shared by a batch.
        prompt_server = server_energy(prompt_latency, hardware.server_power_kw, gpus, hardware.server_gpu_count, 1.0)
        it_energy = it_energy + prompt_server + prefill_gpu_energy(prompt_latency, gpus, hardware.gpu_power_kw)
    energy = request_energy(it_energy, datacenter.pue)

    def embodied(server_factor: float, gpu_factor: float) -> Number:
        share = server_embodied_share(gpus, hardware.server_gpu_count, server_factor, gpu_factor)
        allocated = embodied_allocation(share, latency, hardware.lifespan_s, batch_size)
        if prefill_mfu is None:
            return allocated
        return allocated + embodied_allocation(share, prompt_latency, hardware.lifespan_s, 1.0)

    return RequestImpacts(
        energy=energy,
        it_energy=it_energy,
        latency=latency,
        gpu_count=gpus,
        usage_gwp=usage_impact(energy, mix.gwp),
        usage_adpe=usage_impact(energy, mix.adpe),
        usage_pe=usage_impact(energy, mix.pe),
        usage_wcf=request_water(it_energy, datacenter.wue, datacenter.pue, mix.wue),
        embodied_gwp=embodied(hardware.server_embodied.gwp, hardware.gpu_embodied.gwp),
        embodied_adpe=embodied(hardware.server_embodied.adpe, hardware.gpu_embodied.adpe),
        embodied_pe=embodied(hardware.server_embodied.pe, hardware.gpu_embodied.pe),
        prefill_latency=prompt_latency,
    )
