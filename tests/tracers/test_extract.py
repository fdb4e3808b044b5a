"""Each provider's ``extract``: what it reads off a complete response, including the rare shapes."""

from __future__ import annotations

from types import SimpleNamespace as NS

import pytest

from ecologits_like.tracers import anthropic, cohere, huggingface_hub, mistralai, openai
from ecologits_like.tracers._core import ResponseUsage, Tally


@pytest.mark.parametrize(
    "extract",
    [mistralai.extract_chat, openai.extract_chat, openai.extract_response, anthropic.extract_message],
    ids=["mistralai", "openai-chat", "openai-responses", "anthropic"],
)
def test_a_response_without_usage_counts_no_tokens(extract: object) -> None:
    assert extract(NS(model="m-1", usage=None)) == ("m-1", 0, None, None, None, None)  # type: ignore[operator]


def test_anthropic_counts_cache_reads_and_writes_as_input() -> None:
    usage = NS(input_tokens=10, cache_read_input_tokens=5, cache_creation_input_tokens=None, output_tokens=7)
    assert anthropic.extract_message(NS(model="claude", usage=usage)) == ("claude", 7, 15, 5, None, None)
    unknown = NS(input_tokens=None, cache_read_input_tokens=5, cache_creation_input_tokens=2, output_tokens=None)
    assert anthropic.extract_message(NS(model="claude", usage=unknown)) == ("claude", 0, None, None, None, None)


@pytest.mark.parametrize(
    ("usage", "expected"),
    [
        (None, (None, 0, None, None, None, None)),
        (NS(tokens=None, billed_units=None), (None, 0, None, None, None, None)),
        (NS(tokens=NS(output_tokens=None), billed_units=None, cached_tokens=3.0), (None, 0, None, 3, None, None)),
        (NS(tokens=None, billed_units=NS(output_tokens=9.0, input_tokens=4.0)), (None, 9, 4, None, None, None)),
    ],
    ids=["no-usage", "no-counts", "cached-only", "billed-units"],
)
def test_cohere_reads_token_counts_then_billed_units(usage: object, expected: ResponseUsage) -> None:
    assert cohere.extract_v2(NS(usage=usage)) == expected
    assert cohere.extract_v1(NS(meta=usage)) == expected


def test_huggingface_approximates_what_reports_no_count() -> None:
    approx = huggingface_hub.APPROX_CHARS
    assert huggingface_hub.extract_text("abcde") == (None, 2, None, None, None, approx)
    empty = {"details": None, "generated_text": None}
    assert huggingface_hub.extract_text(empty) == (None, 0, None, None, None, approx)
    assert huggingface_hub.extract_text({"details": {"generated_tokens": 12}}) == (None, 12, None, None, None, None)
    chat = {"model": "", "choices": [{"message": {"content": "abcd", "reasoning": "ef"}}]}
    assert huggingface_hub.extract_chat(chat) == (None, 2, None, None, None, approx)


def test_a_tally_of_a_complete_response_keeps_every_count() -> None:
    tally = Tally.of_response(("m-1", 40, 100, 20, 8, "approximated"))
    assert (tally.model, tally.tokens, tally.input_tokens, tally.cached_input_tokens, tally.reasoning_tokens) == (
        "m-1",
        40,
        100,
        20,
        8,
    )
    assert tally.approximation == "approximated"
