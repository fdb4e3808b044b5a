"""Request records built the way tracers build them: from real ``estimate`` outputs."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from ecologits_like.estimate import estimate
from ecologits_like.records import RequestRecord

T0 = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)

#: A model with exact parameters (floats under the reference methodology, whose batch size is
#: fixed), one with ranges, and one that is unknown.
EXACT = ("openai", "gpt-oss-120b")
RANGED = ("openai", "gpt-4o")
UNKNOWN = ("openai", "gpt-unknown-model")


def make_record(
    provider: str = RANGED[0],
    model: str = RANGED[1],
    output_tokens: int = 400,
    *,
    latency: float | None = 2.5,
    zone: str | None = None,
    input_tokens: int | None = 25,
    labels: Mapping[str, str] | None = None,
    offset_s: float = 0.0,
    stream: bool = False,
    methodology: str = "ecologits",
) -> RequestRecord:
    impacts = estimate(
        provider, model, output_tokens, request_latency=latency, electricity_mix_zone=zone, methodology=methodology
    )
    return RequestRecord(
        timestamp=T0 + timedelta(seconds=offset_s),
        provider=provider,
        model_requested=model,
        model_resolved=None if impacts.errors else model,
        model_returned=None if impacts.errors else f"{model}-2024-08-06",
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        latency_s=latency,
        stream=stream,
        zone=zone or ("USA" if provider in ("openai", "anthropic", "huggingface_hub") else None),
        impacts=impacts,
        **({"labels": dict(labels)} if labels is not None else {}),
    )
