"""The request record: what is kept about one traced request (never prompts, completions or keys)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType

from ecologits_like.impacts.output import ImpactsOutput

__all__ = ["FACT_FIELDS", "RequestRecord", "utc_isoformat"]

_NO_LABELS: Mapping[str, str] = MappingProxyType({})

#: The record's plain facts (after its timestamp, before its labels and impacts), in the order
#: the exports (JSON lines, CSV) write them.
FACT_FIELDS: tuple[str, ...] = (
    "provider",
    "model_requested",
    "model_resolved",
    "model_returned",
    "input_tokens",
    "output_tokens",
    "cached_input_tokens",
    "reasoning_tokens",
    "latency_s",
    "stream",
    "partial",
    "zone",
)


def utc_isoformat(value: datetime) -> str:
    """ISO 8601 text of a record timestamp in UTC (a naive one is UTC by contract, never local)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat()


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """One traced request, as handed to sessions and exporters.

    Attributes:
        timestamp: When the request started (UTC, timezone-aware).
        provider: Provider key (``openai``, ``anthropic``, ...).
        model_requested: The model name the caller asked for.
        model_resolved: The registry entry it resolved to, ``None`` when unknown.
        model_returned: The model name the API returned, when it returned one.
        input_tokens: Prompt tokens as counted by the provider (``None`` when not reported).
        output_tokens: Generated tokens (reasoning tokens included) used for the estimate.
        cached_input_tokens: Prompt tokens served from the provider's cache, when reported.
        reasoning_tokens: Hidden reasoning/thinking tokens, when reported (included in output_tokens).
        latency_s: Measured duration in seconds (first byte to last chunk for streams).
        stream: Whether the response was streamed.
        partial: Whether a stream ended before the provider finished (closed early or failed).
        zone: Electricity mix zone used for the estimate.
        impacts: The estimate.
        labels: Labels of the enclosing sessions.
    """

    timestamp: datetime
    provider: str
    model_requested: str
    output_tokens: int
    impacts: ImpactsOutput
    model_resolved: str | None = None
    model_returned: str | None = None
    input_tokens: int | None = None
    cached_input_tokens: int | None = None
    reasoning_tokens: int | None = None
    latency_s: float | None = None
    stream: bool = False
    partial: bool = False
    zone: str | None = None
    labels: Mapping[str, str] = field(default_factory=lambda: _NO_LABELS)
