"""uncertainty_sources: each source alone, ranked; the reported range is their envelope."""

from __future__ import annotations

import pytest

from ecologits_like import RangeValue, estimate
from ecologits_like.uncertainty import SOURCES, dominant_source, uncertainty_sources

CASES = [
    (("openai", "gpt-4o"), 400, 0),
    (("openai", "gpt-4o"), 10, 20_000),
    (("mistralai", "mistral-large-2407"), 400, 0),
    (("mistralai", "mistral-large-2407"), 10, 20_000),
    (("anthropic", "claude-sonnet-4-5"), 300, 3_000),
]


@pytest.mark.parametrize(("model", "tokens", "prompt"), CASES)
@pytest.mark.parametrize("indicator", ["energy", "gwp", "wcf"])
def test_each_source_lies_inside_the_envelope_and_contains_the_central_value(
    model: tuple[str, str], tokens: int, prompt: int, indicator: str
) -> None:
    sources = uncertainty_sources(*model, tokens, input_tokens=prompt, indicator=indicator)
    assert {s.name for s in sources} == set(SOURCES)
    assert [s.ratio for s in sources] == sorted((s.ratio for s in sources), reverse=True)
    value = getattr(estimate(*model, tokens, input_tokens=prompt), indicator).value
    assert isinstance(value, RangeValue)
    for source in sources:
        assert value.min * (1 - 1e-12) <= source.low <= value.central * (1 + 1e-12), source
        assert value.central * (1 - 1e-12) <= source.high <= value.max * (1 + 1e-12), source
        assert source.ratio == pytest.approx(source.high / source.low, rel=1e-12)


def test_which_source_dominates() -> None:
    # A model of disclosed size, output tokens only: the batch size is the only wide band.
    assert dominant_source("mistralai", "mistral-large-2407", 400) == "batch_size"
    # The same model reading a long prompt: prompt processing dominates, and its MFU band with it.
    assert dominant_source("mistralai", "mistral-large-2407", 10, input_tokens=20_000) == "prefill_mfu"
    # An undisclosed model reading a long prompt: its size dominates.
    assert dominant_source("openai", "gpt-4o", 10, input_tokens=20_000) == "model_size"
    # Cached prompt tokens cost nothing: back to the batch size.
    cached = dominant_source("mistralai", "mistral-large-2407", 400, input_tokens=20_000, cached_input_tokens=20_000)
    assert cached == "batch_size"
    # Nothing uncertain: a disclosed model at a fixed PUE, batch size fixed by the reference methodology.
    assert dominant_source("mistralai", "mistral-large-2407", 400, methodology="ecologits") is None


def test_disclosed_sizes_and_fixed_datacenters_have_no_spread() -> None:
    sources = {s.name: s for s in uncertainty_sources("mistralai", "mistral-large-2407", 400)}
    assert sources["model_size"].ratio == 1.0
    assert sources["prefill_mfu"].ratio == 1.0  # no prompt tokens: the MFU band changes nothing
    assert sources["batch_size"].ratio > 3


def test_bad_arguments_and_unknown_models() -> None:
    with pytest.raises(ValueError, match="indicator must be one of energy, gwp, adpe, pe, wcf, got 'co2'"):
        uncertainty_sources("openai", "gpt-4o", 10, indicator="co2")
    with pytest.raises(LookupError, match="gpt-4o-mini"):
        uncertainty_sources("openai", "gpt-4o-mimi", 10)
    with pytest.raises(ValueError, match="cached_input_tokens must be at most input_tokens"):
        uncertainty_sources("openai", "gpt-4o", 10, input_tokens=1, cached_input_tokens=2)
