"""Which methodology an estimate follows, and the uncertain inputs each one lets vary.

* ``"ecologits-like"`` (the default): the reference methodology plus the energy of processing the
  prompt (input tokens, computed at an achieved fraction of the GPUs' peak throughput), and the
  serving batch size as a band instead of a fixed 64. Ranges carry a central value: the estimate
  with every uncertain input at its central value.
* ``"ecologits"``: the published EcoLogits LLM-inference methodology exactly: output tokens only,
  batch size fixed (64 unless overridden); reproduces the ``ecologits`` package to 1e-9.

This module only names them (it imports nothing, so that tracing stays cheap to start); what each
one feeds the engine is :func:`ecologits_like.impacts.compose.methodology_inputs`.
"""

from __future__ import annotations

__all__ = ["DEFAULT_METHODOLOGY", "ECOLOGITS", "ECOLOGITS_LIKE", "METHODOLOGIES", "check_methodology"]

ECOLOGITS_LIKE = "ecologits-like"
ECOLOGITS = "ecologits"

#: Accepted methodology names, with what each one counts.
METHODOLOGIES: dict[str, str] = {
    ECOLOGITS_LIKE: "output and uncached input tokens; batch size as a band; ranges with a central value",
    ECOLOGITS: "the reference EcoLogits methodology: output tokens only, fixed batch size",
}
DEFAULT_METHODOLOGY = ECOLOGITS_LIKE


def check_methodology(value: object) -> str:
    """A methodology name (``ValueError``/``TypeError`` listing the accepted ones otherwise)."""
    accepted = ", ".join(repr(name) for name in METHODOLOGIES)
    if not isinstance(value, str):
        raise TypeError(f"methodology must be one of {accepted}, got {value!r} ({type(value).__name__})")
    if value not in METHODOLOGIES:
        raise ValueError(f"methodology must be one of {accepted}, got {value!r}")
    return value
