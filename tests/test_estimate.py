"""estimate(): the public entry point, its validation and its failure modes."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecologits_like import ImpactsOutput, RangeValue, estimate
from ecologits_like._plan import clear_plan_cache, get_plan, remembered_plan
from ecologits_like.estimate_grid import INDICATORS, ImpactsGrid, estimate_grid
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


def _central(value: float | RangeValue) -> float:
    return value.central if isinstance(value, RangeValue) else value


@pytest.mark.parametrize("methodology", ["ecologits-like", "ecologits"])
@pytest.mark.parametrize(("input_tokens", "cached"), [(0, 0), (12_000, 0), (12_000, 9_000)])
def test_estimate_matches_the_engine_with_the_providers_data(methodology: str, input_tokens: int, cached: int) -> None:
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
        input_tokens=input_tokens,
        cached_input_tokens=cached,
        methodology=methodology,
    )
    got = estimate(
        "anthropic",
        "claude-3-5-haiku-latest",
        output_tokens=321,
        request_latency=4.2,
        input_tokens=input_tokens,
        cached_input_tokens=cached,
        methodology=methodology,
    )
    for name in ("energy", "gwp", "adpe", "pe", "wcf"):
        got_value, expected_value = getattr(got, name).value, getattr(expected, name).value
        assert _bounds(got_value) == pytest.approx(_bounds(expected_value), rel=1e-12), name
        assert _central(got_value) == pytest.approx(_central(expected_value), rel=1e-12), name
        assert isinstance(got_value, RangeValue) and got_value.has_central == (methodology == "ecologits-like")
    for name in ("gwp", "adpe", "pe"):
        got_bounds = _bounds(getattr(got.embodied, name).value)
        assert got_bounds == pytest.approx(_bounds(getattr(expected.embodied, name).value), rel=1e-12), name


def test_reference_methodology_ignores_input_tokens_and_fixes_the_batch() -> None:
    plain = estimate("mistralai", "mistral-large-latest", 300, methodology="ecologits")
    prompt = estimate("mistralai", "mistral-large-latest", 300, input_tokens=50_000, methodology="ecologits")
    assert prompt.energy.value == plain.energy.value
    batch_64 = estimate("mistralai", "mistral-large-latest", 300, methodology="ecologits", batch_size=64)
    assert batch_64.energy.value == plain.energy.value


def test_default_methodology_counts_uncached_prompt_tokens() -> None:
    plain = estimate("mistralai", "mistral-large-latest", 10)
    prompt = estimate("mistralai", "mistral-large-latest", 10, input_tokens=20_000)
    cached = estimate("mistralai", "mistral-large-latest", 10, input_tokens=20_000, cached_input_tokens=20_000)
    half = estimate("mistralai", "mistral-large-latest", 10, input_tokens=20_000, cached_input_tokens=10_000)
    assert prompt.energy.min > plain.energy.max  # 20,000 prompt tokens cost far more than 10 output tokens
    assert cached.energy.value == plain.energy.value  # cached tokens are excluded
    assert plain.energy.min < half.energy.min < prompt.energy.min
    # Batch size as a band: the default range contains the reference figure at batch 64, its central value.
    reference = estimate("mistralai", "mistral-large-latest", 10, methodology="ecologits")
    assert isinstance(plain.energy.value, RangeValue)
    assert plain.energy.value.central == pytest.approx(reference.energy.mean, rel=1e-12)
    assert plain.energy.min < reference.energy.min and reference.energy.max < plain.energy.max


def test_methodology_and_input_tokens_are_validated() -> None:
    estimate("openai", "gpt-4o", 10)  # the names resolved once: repeated calls check their arguments all the same
    with pytest.raises(ValueError, match="methodology must be one of 'ecologits-like', 'ecologits', got 'full'"):
        estimate("openai", "gpt-4o", 10, methodology="full")
    with pytest.raises(TypeError, match="methodology must be one of"):
        estimate("openai", "gpt-4o", 10, methodology=None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="input_tokens must be a non-negative integer, got -1"):
        estimate("openai", "gpt-4o", 10, input_tokens=-1)
    with pytest.raises(TypeError, match=r"cached_input_tokens must be a non-negative integer, got 1.5"):
        estimate("openai", "gpt-4o", 10, input_tokens=3, cached_input_tokens=1.5)  # type: ignore[arg-type]
    with pytest.raises(
        ValueError, match=r"cached_input_tokens must be at most input_tokens.*got cached_input_tokens=5 > "
    ):
        estimate("openai", "gpt-4o", 10, input_tokens=4, cached_input_tokens=5)


def test_batch_size_may_be_a_range() -> None:
    ranged = estimate("mistralai", "mistral-large-latest", 300, batch_size=RangeValue(8, 32, central=16))
    fixed_8 = estimate("mistralai", "mistral-large-latest", 300, batch_size=8)
    fixed_32 = estimate("mistralai", "mistral-large-latest", 300, batch_size=32)
    assert ranged.energy.max == pytest.approx(fixed_8.energy.max, rel=1e-12)
    assert ranged.energy.min == pytest.approx(fixed_32.energy.min, rel=1e-12)
    with pytest.raises(ValueError, match="batch_size must be an integer >= 1 or a RangeValue of sizes >= 1"):
        estimate("openai", "gpt-4o", 10, batch_size=RangeValue(0.5, 4))


def test_zone_changes_usage_but_not_embodied() -> None:
    usa = estimate("mistralai", "mistral-small-latest", 400, electricity_mix_zone="USA")
    fra = estimate("mistralai", "mistral-small-latest", 400, electricity_mix_zone="fra")
    assert usa.energy.value == fra.energy.value
    assert usa.usage.gwp.value != fra.usage.gwp.value
    assert usa.embodied.gwp.value == fra.embodied.gwp.value


def test_overrides_change_the_estimate() -> None:
    # The reference methodology: a fixed batch size, so that each override alone moves the whole range.
    ref = "ecologits"
    base = estimate("cohere", "command-a-03-2025", 400, methodology=ref)
    pue = estimate("cohere", "command-a-03-2025", 400, methodology=ref, datacenter_pue=2.0)
    assert _bounds(pue.energy.value)[0] > _bounds(base.energy.value)[1]
    ranged = estimate("cohere", "command-a-03-2025", 400, methodology=ref, datacenter_pue=RangeValue(1.1, 1.5))
    assert isinstance(ranged.energy.value, RangeValue)
    small_batch = estimate("cohere", "command-a-03-2025", 400, batch_size=8, methodology=ref)
    assert _bounds(small_batch.energy.value)[0] > _bounds(base.energy.value)[1]
    a100 = estimate("cohere", "command-a-03-2025", 400, methodology=ref, hardware="nvidia-a100-80gb-hgx")
    assert a100.embodied.gwp.value != base.embodied.gwp.value
    water = estimate("cohere", "command-a-03-2025", 400, methodology=ref, datacenter_wue=0.0)
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
    estimate("openai", "gpt-4o", 10)  # the names resolved once: repeated calls check their arguments all the same
    with pytest.raises(error, match=message):
        estimate(**arguments)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("provider", "model", "message"),
    [
        (["openai"], "gpt-4o", r"provider must be a string, got \['openai'\] \(list\)"),
        ("openai", None, r"model must be a string, got None \(NoneType\)"),
    ],
)
def test_non_string_names_raise_after_the_names_resolved(provider: object, model: object, message: str) -> None:
    estimate("openai", "gpt-4o", 10)
    with pytest.raises(TypeError, match=message):
        estimate(provider, model, 10)  # type: ignore[arg-type]


def test_repeated_calls_reuse_the_plan_and_equal_the_full_path() -> None:
    clear_plan_cache()
    key = ("anthropic", "claude-3-5-haiku-latest", "FRA", "ecologits-like")
    assert remembered_plan(key) is None
    first = estimate("anthropic", "claude-3-5-haiku-latest", 300, 2.5, "FRA", input_tokens=900, cached_input_tokens=100)
    plan = remembered_plan(key)
    assert plan is get_plan("anthropic", "claude-3-5-haiku-latest", "FRA")
    # the same figures whether the call takes the inline path (exact int/float/str arguments and a
    # remembered plan) or the full one (a numpy integer, an int latency, a zone to strip)
    again = estimate("anthropic", "claude-3-5-haiku-latest", 300, 2.5, "FRA", input_tokens=900, cached_input_tokens=100)
    full = estimate(
        "anthropic", "claude-3-5-haiku-latest", np.int64(300), 2.5, " FRA ", input_tokens=900, cached_input_tokens=100
    )
    assert first == again == full and first.model_dump() == full.model_dump()
    unknown = estimate("anthropic", "claude-3-5-haiku-latest", 300, None)
    assert unknown == estimate("anthropic", "claude-3-5-haiku-latest", 300, math.inf)
    assert estimate("anthropic", "claude-3-5-haiku-latest", 300, 2) == estimate(
        "anthropic", "claude-3-5-haiku-latest", 300, 2.0
    )
    clear_plan_cache()  # the registry changed: the remembered plans go with the cached ones
    assert remembered_plan(key) is None


def test_failed_plans_are_not_remembered() -> None:
    assert estimate("openai", "nope-model", 1).errors
    assert remembered_plan(("openai", "nope-model", None, "ecologits-like")) is None
    assert estimate("openai", "nope-model", 1).errors


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
            input_tokens=tokens * 3,
        )

    a, b = run(small), run(small * factor)
    for bigger, smaller in ((b.energy.value, a.energy.value), (b.embodied.gwp.value, a.embodied.gwp.value)):
        assert _bounds(bigger)[0] >= _bounds(smaller)[0]
        assert _bounds(bigger)[1] >= _bounds(smaller)[1]
        assert _central(bigger) >= _central(smaller)


# -- the vectorised path ------------------------------------------------------------------------


@pytest.mark.parametrize("methodology", ["ecologits-like", "ecologits"])
def test_grid_matches_the_scalar_path_to_1e12(methodology: str) -> None:
    models = [*MODELS, ("openai", "not-a-model"), ("huggingface_hub", "Qwen/Qwen2.5-7B-Instruct")]
    tokens = [0, 1, 50, 500, 4000]
    latencies = [None, 0.5, 3.0, None, 40.0]
    prompts = [0, 20_000, 7, 1500, 300]
    cached = [0, 5_000, 0, 1500, 100]
    grid = estimate_grid(
        models,
        tokens,
        latencies,
        electricity_mix_zone=None,
        input_tokens=prompts,
        cached_input_tokens=cached,
        methodology=methodology,
        datacenter_wue=RangeValue(0.1, 0.9),
    )
    assert grid.low["energy"].shape == (len(models), len(tokens))
    assert grid.errors.keys() == {5}
    assert np.isnan(grid.low["energy"][5]).all()
    assert grid.resolved[0] == "gpt-4o-mini"
    for row, (provider, model) in enumerate(models):
        if row == 5:
            continue
        for col, (n, latency) in enumerate(zip(tokens, latencies, strict=True)):
            scalar = estimate(
                provider,
                model,
                n,
                latency,
                input_tokens=prompts[col],
                cached_input_tokens=cached[col],
                methodology=methodology,
                datacenter_wue=RangeValue(0.1, 0.9),
            )
            for name in INDICATORS:
                part, _, leaf = name.rpartition("_")
                holder = getattr(scalar, part) if part else scalar
                value = getattr(holder, leaf).value
                lo, hi = _bounds(value)
                assert grid.low[name][row, col] == pytest.approx(lo, rel=1e-12, abs=0), (model, n, name)
                assert grid.high[name][row, col] == pytest.approx(hi, rel=1e-12, abs=0), (model, n, name)
                assert grid.central[name][row, col] == pytest.approx(_central(value), rel=1e-12, abs=0), (model, n)


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
    with pytest.raises(ValueError, match=r"input_tokens must be one value or one per output_tokens entry \(2\), got 3"):
        estimate_grid(MODELS, [1, 2], input_tokens=[1, 2, 3])
    with pytest.raises(ValueError, match="cached_input_tokens must be at most input_tokens"):
        estimate_grid(MODELS, [1, 2], input_tokens=[10, 1], cached_input_tokens=2)
    with pytest.raises(ValueError, match="methodology must be one of"):
        estimate_grid(MODELS, 1, methodology="EcoLogits")


def _grids_equal(a: ImpactsGrid, b: ImpactsGrid) -> bool:
    return all(
        np.array_equal(getattr(a, part)[name], getattr(b, part)[name], equal_nan=True)
        for part in ("low", "high", "central")
        for name in INDICATORS
    ) and np.array_equal(a.output_tokens, b.output_tokens)


@pytest.mark.parametrize("with_unknown_model", [False, True])
def test_grid_axes_as_numpy_arrays_or_ranges_give_the_grid_of_the_list(with_unknown_model: bool) -> None:
    models = [*MODELS, ("openai", "not-a-model")] if with_unknown_model else MODELS
    listed = estimate_grid(models, [0, 3, 6, 9], input_tokens=40, cached_input_tokens=10)
    for axis in (np.arange(0, 12, 3), np.arange(0, 12, 3, dtype=np.uint16), range(0, 12, 3), np.array([0, 3, 6, 9])):
        assert _grids_equal(estimate_grid(models, axis, input_tokens=40, cached_input_tokens=10), listed), axis


@pytest.mark.parametrize("with_unknown_model", [False, True])
def test_grid_indicators_never_share_memory(with_unknown_model: bool) -> None:
    models = [*MODELS, ("openai", "not-a-model")] if with_unknown_model else MODELS
    grid = estimate_grid(models, np.arange(1, 5))
    arrays = [grid_part[name] for grid_part in (grid.low, grid.high, grid.central) for name in INDICATORS]
    assert not any(np.shares_memory(a, b) for i, a in enumerate(arrays) for b in arrays[i + 1 :])
    grid.low["energy"][0, 0] = -1.0  # the caller's to change: nothing else moves
    assert grid.low["usage_energy"][0, 0] != -1.0


def test_grid_checks_numpy_and_range_axes_as_it_checks_lists() -> None:
    for axis in ([5, -3, -4], np.array([5, -3, -4]), range(5, -5, -8)):
        with pytest.raises(ValueError, match=r"^output_tokens must be a non-negative integer, got -3$"):
            estimate_grid(MODELS, axis)  # type: ignore[arg-type]
    for empty in (np.array([], dtype=np.int64), range(0)):
        with pytest.raises(ValueError, match="output_tokens must hold at least one token count"):
            estimate_grid(MODELS, empty)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"output_tokens must be a non-negative integer, got np.float64\(1.5\)"):
        estimate_grid(MODELS, np.array([1.5]))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="output_tokens must be a non-negative integer"):
        estimate_grid(MODELS, np.array([True, False]))  # type: ignore[arg-type]
    with pytest.raises(
        ValueError,
        match=r"cached_input_tokens must be at most input_tokens .* got cached_input_tokens=9 > input_tokens=2",
    ):
        estimate_grid(MODELS, np.arange(1, 4), input_tokens=2, cached_input_tokens=9)
    with pytest.raises(TypeError, match=r"input_tokens must be a non-negative integer, got True"):
        estimate_grid(MODELS, np.arange(1, 4), input_tokens=True)
