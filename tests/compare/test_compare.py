"""compare(): the DataFrame, its agreement with estimate(), argument errors, speed."""

from __future__ import annotations

import time

import numpy as np
import pytest

from ecologits_like import RangeValue, estimate
from ecologits_like.compare import DEFAULT_UNITS, compare, indicator_column
from ecologits_like.registry import get_registry

pd = pytest.importorskip("pandas")

PAIRS = [("openai", "gpt-4o-mini"), ("mistralai", "mistral-small-latest"), ("cohere", "command-a-03-2025")]


def test_one_row_per_model_and_scenario() -> None:
    df = compare(PAIRS, [100, 500, 2000])
    assert len(df) == 9
    assert list(df["provider"][:3]) == ["openai"] * 3
    assert list(df["output_tokens"][:3]) == [100, 500, 2000]
    for column in (
        "provider",
        "model",
        "resolved_model",
        "architecture",
        "total_parameters_b_min",
        "total_parameters_b_max",
        "active_parameters_b_min",
        "active_parameters_b_max",
        "zone",
        "hardware",
        "energy_wh_min",
        "energy_wh_max",
        "energy_wh_mean",
        "energy_per_1k_tokens_wh_mean",
        "gwp_gco2eq_mean",
        "adpe_ugsbeq_mean",
        "pe_kj_mean",
        "water_ml_mean",
        "warnings",
        "errors",
    ):
        assert column in df.columns, column
    assert df.attrs["units"]["energy_wh"] == "Wh"
    assert (df["energy_wh_min"] <= df["energy_wh_mean"]).all()
    assert (df["energy_wh_mean"] <= df["energy_wh_max"]).all()


def test_agrees_with_estimate() -> None:
    df = compare(PAIRS, 500)
    for (provider, model), (_, row) in zip(PAIRS, df.iterrows(), strict=True):
        impacts = estimate(provider, model, 500)
        assert impacts.energy is not None and impacts.gwp is not None and impacts.wcf is not None
        assert row["energy_wh_min"] == pytest.approx(impacts.energy.min * 1000, rel=1e-9)
        assert row["energy_wh_max"] == pytest.approx(impacts.energy.max * 1000, rel=1e-9)
        assert row["energy_per_1k_tokens_wh_max"] == pytest.approx(impacts.energy.max * 1000 * 2, rel=1e-9)
        assert row["gwp_gco2eq_mean"] == pytest.approx(impacts.gwp.mean * 1000, rel=1e-9)
        assert row["water_ml_max"] == pytest.approx(impacts.wcf.max * 1000, rel=1e-9)
        info = get_registry().models.resolve(provider, model).model
        assert row["architecture"] == info.architecture
        active = info.active_parameters
        low = active.min if isinstance(active, RangeValue) else active
        assert row["active_parameters_b_min"] == low
        assert row["warnings"] == ", ".join(w.code for w in impacts.warnings)


def test_zone_and_overrides_pass_through() -> None:
    base = compare([("openai", "gpt-4o")], 500)
    fra = compare(
        [("openai", "gpt-4o")], 500, electricity_mix_zone="fra", datacenter_pue=1.5, hardware="nvidia-a100-80gb-hgx"
    )
    assert fra["zone"].iloc[0] == "FRA" and base["zone"].iloc[0] == "USA"
    assert fra["hardware"].iloc[0] == "nvidia-a100-80gb-hgx"
    expected = estimate(
        "openai", "gpt-4o", 500, electricity_mix_zone="FRA", datacenter_pue=1.5, hardware="nvidia-a100-80gb-hgx"
    )
    assert expected.gwp is not None
    assert fra["gwp_gco2eq_max"].iloc[0] == pytest.approx(expected.gwp.max * 1000, rel=1e-9)


def test_selection_by_provider_and_all() -> None:
    registry = get_registry()
    cohere = compare(provider="cohere")
    assert set(cohere["provider"]) == {"cohere"}
    assert len(cohere) == len(registry.models.models_of("cohere"))
    two = compare(provider=["cohere", "anthropic"], output_tokens=[10, 20])
    assert set(two["provider"]) == {"cohere", "anthropic"}
    everything = compare("all")
    assert len(everything) == len(registry.models)
    assert everything["errors"].eq("").all()
    named = compare(["gpt-4o", "gpt-4o-mini"], provider="openai")
    assert list(named["model"]) == ["gpt-4o", "gpt-4o-mini"]


def test_units_and_single_value_columns() -> None:
    df = compare(PAIRS[:1], 500, units={"gwp": "kgCO2eq", "water": "L", "energy": "kWh"}, ranges=False)
    assert {"gwp_kgco2eq", "water_l", "energy_kwh", "energy_per_1k_tokens_kwh"} <= set(df.columns)
    assert "gwp_kgco2eq_min" not in df.columns
    impacts = estimate(*PAIRS[0], 500)
    assert impacts.gwp is not None
    assert isinstance(impacts.gwp.value, RangeValue)  # the single column is the central value, not the midpoint
    assert df["gwp_kgco2eq"].iloc[0] == pytest.approx(impacts.gwp.value.central, rel=1e-9)
    assert indicator_column("energy", "Wh", per_1k_tokens=True) == "energy_per_1k_tokens_wh_mean"
    assert indicator_column("adpe", DEFAULT_UNITS["adpe"], "max") == "adpe_ugsbeq_max"


def test_unknown_model_keeps_its_row_and_warns() -> None:
    with pytest.warns(UserWarning, match="gpt-4o-mimi"):
        df = compare([("openai", "gpt-4o-mimi"), ("openai", "gpt-4o")], 500)
    assert np.isnan(df["energy_wh_mean"].iloc[0])
    assert "gpt-4o-mimi" in df["errors"].iloc[0]
    assert df["errors"].iloc[1] == ""


def test_zero_tokens_has_no_per_token_figure() -> None:
    df = compare(PAIRS[:1], [0, 10])
    assert np.isnan(df["energy_per_1k_tokens_wh_mean"].iloc[0])
    assert not np.isnan(df["energy_per_1k_tokens_wh_mean"].iloc[1])


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({}, ValueError, "needs models="),
        ({"models": "gpt-4o"}, TypeError, "models must be 'all' or a list"),
        ({"models": []}, ValueError, "at least one model"),
        ({"models": [("openai",)]}, TypeError, r"models\[0\] must be a \(provider, model\) pair"),
        ({"models": ["gpt-4o"]}, TypeError, "bare name"),
        ({"models": 42}, TypeError, "models must be"),
        ({"provider": "openia"}, ValueError, "provider must be one of .*openai"),
        ({"provider": 3}, TypeError, "provider must be a provider name"),
        ({"models": PAIRS, "output_tokens": -1}, ValueError, "output_tokens"),
        ({"models": PAIRS, "output_tokens": 1.5}, TypeError, "output_tokens"),
        ({"models": PAIRS, "output_tokens": []}, ValueError, "output_tokens"),
        ({"models": PAIRS, "electricity_mix_zone": "XXX"}, ValueError, "electricity_mix_zone"),
        ({"models": PAIRS, "electricity_mix_zone": 5}, TypeError, "electricity_mix_zone"),
        ({"models": PAIRS, "hardware": "tpu"}, ValueError, "hardware must be one of"),
        ({"models": PAIRS, "datacenter_pue": 0.5}, ValueError, "datacenter_pue"),
        ({"models": PAIRS, "colour": "red"}, TypeError, "accepted: datacenter_pue"),
        ({"models": PAIRS, "units": {"energy": "kcal"}}, ValueError, "unit for energy must be one of"),
        ({"models": PAIRS, "units": {"noise": "dB"}}, ValueError, "units keys"),
        ({"models": PAIRS, "units": "Wh"}, TypeError, "units must be a mapping"),
        ({"models": PAIRS, "ranges": "yes"}, TypeError, "ranges"),
    ],
)
def test_bad_arguments(kwargs: dict[str, object], error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        compare(**kwargs)  # type: ignore[arg-type]


def test_every_model_over_100_token_counts_is_fast() -> None:
    compare("all", 10)  # warm the registry and plan caches, as a notebook session would be
    tokens = list(range(20, 2020, 20))
    start = time.perf_counter()
    df = compare("all", tokens)
    elapsed = time.perf_counter() - start
    assert len(df) == len(get_registry().models) * 100
    assert elapsed < 3.0, f"compare('all', 100 token counts) took {elapsed:.2f} s"


def test_input_tokens_methodology_and_central_columns() -> None:
    df = compare(PAIRS[:2], [10, 100], input_tokens=[20_000, 0], cached_input_tokens=[5_000, 0])
    assert list(df["input_tokens"]) == [20_000, 0, 20_000, 0]
    assert list(df["cached_input_tokens"]) == [5_000, 0, 5_000, 0]
    for (provider, model), rows in zip(PAIRS[:2], (df.iloc[:2], df.iloc[2:]), strict=True):
        for (_, row), (prompt, cached, tokens) in zip(rows.iterrows(), ((20_000, 5_000, 10), (0, 0, 100)), strict=True):
            impacts = estimate(provider, model, tokens, input_tokens=prompt, cached_input_tokens=cached)
            assert isinstance(impacts.energy.value, RangeValue)
            assert row["energy_wh_central"] == pytest.approx(impacts.energy.value.central * 1000, rel=1e-9)
            assert row["energy_wh_min"] <= row["energy_wh_central"] <= row["energy_wh_max"]
    reference = compare(PAIRS[:1], 10, input_tokens=20_000, methodology="ecologits")
    assert reference["energy_wh_max"].iloc[0] < df["energy_wh_min"].iloc[0]
    assert reference["energy_wh_central"].iloc[0] == pytest.approx(reference["energy_wh_mean"].iloc[0], rel=1e-12)
    with pytest.raises(ValueError, match="methodology must be one of"):
        compare(PAIRS[:1], 10, methodology="nope")
