"""Provider tracers: one small module per provider plus the shared machinery.

Adding a provider: write ``tracers/<name>.py`` defining ``SPEC`` (a :class:`ProviderSpec`: the
patch table and the usage extractors, see ``_core.py``), and add it to :data:`PROVIDERS`.
"""

from __future__ import annotations

import importlib
import importlib.util

from ecologits_like.tracers._core import ProviderSpec

__all__ = ["PROVIDERS", "load_spec", "sdk_installed"]

#: Supported provider -> (tracer module, SDK import name).
PROVIDERS: dict[str, tuple[str, str]] = {
    "openai": ("ecologits_like.tracers.openai", "openai"),
    "anthropic": ("ecologits_like.tracers.anthropic", "anthropic"),
    "mistralai": ("ecologits_like.tracers.mistralai", "mistralai"),
    "huggingface_hub": ("ecologits_like.tracers.huggingface_hub", "huggingface_hub"),
    "cohere": ("ecologits_like.tracers.cohere", "cohere"),
}


def sdk_installed(provider: str) -> bool:
    """Whether the SDK of ``provider`` can be imported (without importing it)."""
    try:
        return importlib.util.find_spec(PROVIDERS[provider][1]) is not None
    except (ImportError, ValueError):
        return False


def load_spec(provider: str) -> ProviderSpec:
    """The spec of a supported provider (imports its tracer module, not its SDK)."""
    module = importlib.import_module(PROVIDERS[provider][0])
    spec: ProviderSpec = module.SPEC
    return spec
