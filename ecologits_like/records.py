"""The request record: what is kept about one traced request (never prompts, completions or keys)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType

from ecologits_like.impacts.output import ImpactsOutput

__all__ = ["RequestRecord"]

_NO_LABELS: Mapping[str, str] = MappingProxyType({})


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
