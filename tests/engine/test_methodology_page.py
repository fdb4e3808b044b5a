"""The figures quoted on docs/methodology.md are what the engine computes today."""

from __future__ import annotations

from pathlib import Path

import pytest

from ecologits_like import RangeValue, estimate
from ecologits_like.uncertainty import uncertainty_sources

PAGE = Path(__file__).resolve().parents[2] / "docs" / "methodology.md"

#: (provider, model, output tokens, input tokens) of the page's "which source dominates" table.
DOMINANCE_ROWS = [
    ("mistralai", "mistral-large-2407", 400, 0),
    ("mistralai", "mistral-large-2407", 10, 20_000),
    ("openai", "gpt-4o", 400, 0),
    ("openai", "gpt-4o", 10, 20_000),
    ("anthropic", "claude-sonnet-4-5", 400, 2_000),
    ("huggingface_hub", "meta-llama/Llama-3.1-8B-Instruct", 400, 0),
]


def _section(name: str) -> str:
    text = PAGE.read_text(encoding="utf-8")
    start = text.index(f"<!-- {name}:start")
    return text[start : text.index(f"<!-- {name}:end -->", start)]


def dominance_row(provider: str, model: str, tokens: int, prompt: int) -> str:
    first, second = uncertainty_sources(provider, model, tokens, input_tokens=prompt, indicator="gwp")[:2]
    return (
        f"| {provider} / {model} | {tokens} | {prompt} | {first.name} | {first.ratio:.2f} "
        f"| {second.name} ({second.ratio:.2f}) |"
    )


def worked_example_rows() -> list[str]:
    model = ("mistralai", "mistral-large-2407")
    reference = estimate(*model, 10, input_tokens=20_000, methodology="ecologits")
    ours = estimate(*model, 10, input_tokens=20_000)
    without_prompt = estimate(*model, 10)
    energy, gwp = ours.energy.value, ours.gwp.value
    assert isinstance(energy, RangeValue) and isinstance(gwp, RangeValue)
    assert isinstance(without_prompt.energy.value, RangeValue)
    assert isinstance(reference.energy.value, float) and isinstance(reference.gwp.value, float)
    wh, g = 1000.0, 1000.0
    prompt_part = energy.central - without_prompt.energy.value.central
    return [
        f"| energy | {reference.energy.value * wh:.3g} Wh | {energy.central * wh:.3g} Wh "
        f"| {energy.min * wh:.3g}–{energy.max * wh:.3g} Wh |",
        f"| of which prompt processing | — | {prompt_part * wh:.3g} Wh | |",
        f"| GWP (usage + embodied) | {reference.gwp.value * g:.3g} gCO2eq | {gwp.central * g:.3g} gCO2eq "
        f"| {gwp.min * g:.3g}–{gwp.max * g:.3g} gCO2eq |",
    ]


@pytest.mark.parametrize("row", DOMINANCE_ROWS, ids=lambda r: f"{r[1]}-{r[2]}-{r[3]}")
def test_the_dominance_table_is_current(row: tuple[str, str, int, int]) -> None:
    assert dominance_row(*row) in _section("uncertainty-table")


def test_the_worked_example_is_current() -> None:
    section = _section("worked-example")
    for line in worked_example_rows():
        assert line in section


if __name__ == "__main__":  # print the rows to paste into the page
    for row in DOMINANCE_ROWS:
        print(dominance_row(*row))
    print()
    print("\n".join(worked_example_rows()))
