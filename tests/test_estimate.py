"""estimate(): the public entry point, its validation and its failure modes."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecologits_like import ImpactsOutput, RangeValue, estimate
from ecologits_like.estimate_grid import INDICATORS, estimate_grid
from ecologits_like.impacts.compose import llm_impacts
from ecologits_like.registry import get_registry


def _bounds(value: float | RangeValue) -> tuple[float, float]:
    return (value.min, value.max) if isinstance(value, RangeValue) else (value, value)


def test_known_model_returns_every_indicator_with_units() -> None:
    impacts = estimate("openai", "gpt-4o-mini", output_tokens=500)
    assert isinstance(impacts, ImpactsOutput)
    assert not impacts.errors
    assert (impacts.energy.unit, impacts.gwp.unit, impacts.adpe.unit, impacts.pe.unit, impacts.wcf.unit) == (
        "kWh",
        "kgCO2eq",
        "kgSbeq",
        "MJ",
        "L",
    )
    assert impacts.usage.energy.value == impacts.energy.value
    assert impacts.embodied.gwp.unit == "kgCO2eq"
    # Totals are usage + embodied.
    total = _bounds(impacts.gwp.value)
    usage, embodied = _bounds(impacts.usage.gwp.value), _bounds(impacts.embodied.gwp.value)
    assert total == pytest.approx((usage[0] + embodied[0], usage[1] + embodied[1]), rel=1e-12)
    assert {w.code for w in impacts.warnings} >= {"model-arch-not-released"}


def test_estimate_matches_the_engine_with_the_providers_data() -> None:
    registry = get_registry()
    model = registry.models.resolve("anthropic", "claude-3-5-haiku-latest").model
    provider = registry.providers["anthropic"]
    expected = llm_impacts(
        active_parameters=model.active_parameters,
        total_parameters=model.total_parameters,
        output_tokens=321,
        request_latency=4.2,
        hardware=registry.hardware.get(None),
        mix=registry.mixes.get(provider.datacenter_zone).mix,
        datacenter_pue=provider.pue,
        datacenter_wue=provider.wue,
        batch_size=64,
    )
    got = estimate("anthropic", "claude-3-5-haiku-latest", output_tokens=321, request_latency=4.2)
    for name in ("energy", "gwp", "adpe", "pe", "wcf"):
        got_bounds, expected_bounds = _bounds(getattr(got, name).value), _bounds(getattr(expected, name).value)
        assert got_bounds == pytest.approx(expected_bounds, rel=1e-12), name
    for name in ("gwp", "adpe", "pe"):
        got_bounds = _bounds(getattr(got.embodied, name).value)
        assert got_bounds == pytest.approx(_bounds(getattr(expected.embodied, name).value), rel=1e-12), name


def test_zone_changes_usage_but_not_embodied() -> None:
    usa = estimate("mistralai", "mistral-small-latest", 400, electricity_mix_zone="USA")
    fra = estimate("mistralai", "mistral-small-latest", 400, electricity_mix_zone="fra")
    assert usa.energy.value == fra.energy.value
    assert usa.usage.gwp.value != fra.usage.gwp.value
    assert usa.embodied.gwp.value == fra.embodied.gwp.value


def test_overrides_change_the_estimate() -> None:
    base = estimate("cohere", "command-a-03-2025", 400)
    pue = estimate("cohere", "command-a-03-2025", 400, datacenter_pue=2.0)
    assert _bounds(pue.energy.value)[0] > _bounds(base.energy.value)[1]
    ranged = estimate("cohere", "command-a-03-2025", 400, datacenter_pue=RangeValue(1.1, 1.5))
    assert isinstance(ranged.energy.value, RangeValue)
    small_batch = estimate("cohere", "command-a-03-2025", 400, batch_size=8)
    assert _bounds(small_batch.energy.value)[0] > _bounds(base.energy.value)[1]
    a100 = estimate("cohere", "command-a-03-2025", 400, hardware="nvidia-a100-80gb-hgx")
    assert a100.embodied.gwp.value != base.embodied.gwp.value
    water = estimate("cohere", "command-a-03-2025", 400, datacenter_wue=0.0)
    assert _bounds(water.wcf.value)[1] < _bounds(base.wcf.value)[0]


def test_unknown_model_never_raises_and_suggests() -> None:
    impacts = estimate("openai", "gpt-4o-mimi", 100)
    assert impacts.energy is None and impacts.usage is None
    assert [e.code for e in impacts.errors] == ["model-not-registered"]
    assert "'gpt-4o-mimi'" in impacts.errors[0].message and "gpt-4o-mini" in impacts.errors[0].message


def test_unknown_zone_and_provider_never_raise() -> None:
    zone = estimate("openai", "gpt-4o", 100, electricity_mix_zone="XXQ")
    assert [e.code for e in zone.errors] == ["zone-not-registered"]
    assert "'XXQ'" in zone.errors[0].message and "alpha-3" in zone.errors[0].message
    france = estimate("openai", "gpt-4o", 100, electricity_mix_zone="France")
    assert "FRA" in france.errors[0].message
    provider = estimate("acme", "gpt-4o", 100)
    assert [e.code for e in provider.errors] == ["provider-not-registered"]
    assert "openai" in provider.errors[0].message


def test_failed_outputs_are_independent_copies() -> None:
    first = estimate("openai", "nope-model", 1)
    first.errors.clear()
    assert estimate("openai", "nope-model", 1).errors


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"output_tokens": -1}, ValueError, "output_tokens must be a non-negative integer, got -1"),
        ({"output_tokens": 2.5}, TypeError, r"output_tokens must be a non-negative integer, got 2.5 \(float\)"),
        ({"output_tokens": True}, TypeError, "output_tokens must be a non-negative integer"),
        ({"output_tokens": "5"}, TypeError, "output_tokens must be a non-negative integer"),
        ({"request_latency": -1.0}, ValueError, "request_latency must be a number of seconds >= 0 or None, got -1.0"),
        (
            {"request_latency": math.nan},
            ValueError,
            "request_latency must be a number of seconds >= 0 or None, got nan",
        ),
        ({"request_latency": "1s"}, TypeError, "request_latency must be a number"),
        ({"electricity_mix_zone": 33}, TypeError, "electricity_mix_zone must be a non-empty string or None"),
        ({"datacenter_pue": 0.9}, ValueError, "datacenter_pue must be a PUE >= 1, got 0.9"),
        ({"datacenter_pue": math.nan}, ValueError, "datacenter_pue must be a PUE >= 1, got nan"),
        ({"datacenter_pue": RangeValue(0.5, 1.2)}, ValueError, "datacenter_pue must be a PUE >= 1"),
        ({"datacenter_wue": -0.1}, ValueError, "datacenter_wue must be a WUE in L/kWh >= 0"),
        ({"batch_size": 0}, ValueError, "batch_size must be an integer >= 1, got 0"),
        ({"batch_size": 2.5}, TypeError, "batch_size must be an integer >= 1"),
        (
            {"hardware": "tpu-v9"},
            ValueError,
            "hardware must be one of nvidia-a100-80gb-hgx, nvidia-h100-80gb-hgx, got 'tpu-v9'",
        ),
        ({"temperature": 1}, TypeError, "unexpected override\\(s\\) 'temperature'; accepted: datacenter_pue"),
    ],
)
def test_bad_arguments_raise_clear_errors(kwargs: dict[str, object], error: type[Exception], message: str) -> None:
    arguments: dict[str, object] = {"provider": "openai", "model": "gpt-4o", "output_tokens": 10, **kwargs}
    with pytest.raises(error, match=message):
        estimate(**arguments)  # type: ignore[arg-type]


def test_numpy_integers_are_accepted() -> None:
    assert estimate("openai", "gpt-4o", np.int64(10)).energy is not None


def test_latency_caps_the_estimate() -> None:
    unbounded = estimate("huggingface_hub", "meta-llama/Llama-3.1-70B-Instruct", 1000)
    fast = estimate("huggingface_hub", "meta-llama/Llama-3.1-70B-Instruct", 1000, request_latency=1.0)
    assert _bounds(fast.embodied.gwp.value)[1] < _bounds(unbounded.embodied.gwp.value)[0]


# -- properties ---------------------------------------------------------------------------------

MODELS = [
    ("openai", "gpt-4o-mini"),
    ("anthropic", "claude-3-5-haiku-latest"),
    ("mistralai", "mistral-large-latest"),
    ("huggingface_hub", "deepseek-ai/DeepSeek-V3"),
    ("cohere", "command-r-plus"),
]


@settings(max_examples=60, deadline=None)
@given(
    model=st.sampled_from(MODELS),
    tokens=st.integers(min_value=0, max_value=100_000),
    extra=st.integers(min_value=1, max_value=10_000),
    latency=st.one_of(st.none(), st.floats(min_value=0, max_value=1e4)),
)
def test_impacts_are_non_negative_ordered_and_monotonic_in_tokens(
    model: tuple[str, str], tokens: int, extra: int, latency: float | None
) -> None:
    smaller = estimate(*model, output_tokens=tokens, request_latency=latency)
    larger = estimate(*model, output_tokens=tokens + extra, request_latency=latency)
    for name in ("energy", "gwp", "adpe", "pe", "wcf"):
        lo, hi = _bounds(getattr(smaller, name).value)
        assert 0 <= lo <= hi
        big_lo, big_hi = _bounds(getattr(larger, name).value)
        assert big_lo >= lo and big_hi >= hi


@settings(max_examples=60, deadline=None)
@given(
    small=st.floats(min_value=0.1, max_value=500),
    factor=st.floats(min_value=1.0, max_value=10),
    tokens=st.integers(min_value=1, max_value=10_000),
)
def test_impacts_grow_with_parameters(small: float, factor: float, tokens: int) -> None:
    registry = get_registry()

    def run(params: float) -> ImpactsOutput:
        return llm_impacts(
            active_parameters=params,
            total_parameters=params,
            output_tokens=tokens,
            request_latency=math.inf,
            hardware=registry.hardware.get(None),
            mix=registry.mixes.get("WOR").mix,
            datacenter_pue=1.2,
            datacenter_wue=0.5,
            batch_size=64,
        )

    a, b = run(small), run(small * factor)
    assert b.energy.value >= a.energy.value
    assert b.embodied.gwp.value >= a.embodied.gwp.value


# -- the vectorised path ------------------------------------------------------------------------


def test_grid_matches_the_scalar_path_to_1e12() -> None:
    models = [*MODELS, ("openai", "not-a-model"), ("huggingface_hub", "Qwen/Qwen2.5-7B-Instruct")]
    tokens = [0, 1, 50, 500, 4000]
    latencies = [None, 0.5, 3.0, None, 40.0]
    grid = estimate_grid(models, tokens, latencies, electricity_mix_zone=None, datacenter_wue=RangeValue(0.1, 0.9))
    assert grid.low["energy"].shape == (len(models), len(tokens))
    assert grid.errors.keys() == {5}
    assert np.isnan(grid.low["energy"][5]).all()
    assert grid.resolved[0] == "gpt-4o-mini"
    for row, (provider, model) in enumerate(models):
        if row == 5:
            continue
        for col, (n, latency) in enumerate(zip(tokens, latencies, strict=True)):
            scalar = estimate(provider, model, n, latency, datacenter_wue=RangeValue(0.1, 0.9))
            for name in INDICATORS:
                part, _, leaf = name.rpartition("_")
                holder = getattr(scalar, part) if part else scalar
                lo, hi = _bounds(getattr(holder, leaf).value)
                assert grid.low[name][row, col] == pytest.approx(lo, rel=1e-12, abs=0), (model, n, name)
                assert grid.high[name][row, col] == pytest.approx(hi, rel=1e-12, abs=0), (model, n, name)


def test_grid_to_frame_has_one_row_per_model_and_scenario() -> None:
    pytest.importorskip("pandas")
    frame = estimate_grid(MODELS[:2], [100, 1000]).to_frame()
    assert len(frame) == 4
    assert {"provider", "model", "output_tokens", "energy_min", "energy_max", "energy_mean", "notes"} <= set(frame)
    assert (frame["energy_min"] <= frame["energy_max"]).all()


def test_grid_validates_its_arguments() -> None:
    with pytest.raises(TypeError, match=r"\(provider, model\) pairs"):
        estimate_grid([("openai",)], 10)  # type: ignore[list-item]
    with pytest.raises(ValueError, match="one per output_tokens entry"):
        estimate_grid(MODELS, [1, 2], [1.0])
    with pytest.raises(ValueError, match="at least one token count"):
        estimate_grid(MODELS, [])
    with pytest.raises(ValueError, match="output_tokens must be a non-negative integer"):
        estimate_grid(MODELS, [-3])
    with pytest.raises(TypeError, match=r"output_tokens must be a non-negative integer or a sequence of them, got 1.5"):
        estimate_grid(MODELS, 1.5)  # type: ignore[arg-type]
