"""EcoLogits.init() with no arguments: every provider whose SDK is installed, and none that is absent."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from ecologits_like import EcoLogits
from ecologits_like.tracers import PROVIDERS

ALL = {"openai", "anthropic", "mistralai", "huggingface_hub", "cohere"}


def test_init_without_arguments_instruments_all_five() -> None:
    from cohere.v2.client import V2Client
    from huggingface_hub import InferenceClient
    from mistralai.client.chat import Chat

    assert set(PROVIDERS) == ALL
    methods = ((Chat, "complete"), (InferenceClient, "chat_completion"), (V2Client, "chat_stream"))
    originals = {(cls, name): cls.__dict__[name] for cls, name in methods}
    EcoLogits.init()
    assert set(EcoLogits.instrumented_providers()) == ALL
    for cls, name in methods:
        assert cls.__dict__[name] is not originals[(cls, name)]
        assert cls.__dict__[name].__wrapped__ is originals[(cls, name)]
    EcoLogits.uninstrument()
    for cls, name in methods:
        assert cls.__dict__[name] is originals[(cls, name)]


def test_an_absent_sdk_is_skipped_without_failing() -> None:
    """In a fresh interpreter where ``import cohere`` fails, as when it is not installed."""
    script = textwrap.dedent(
        """
        import sys
        sys.modules["cohere"] = None  # the import system then raises ImportError for it
        from ecologits_like import EcoLogits
        EcoLogits.init()
        print(sorted(EcoLogits.instrumented_providers()))
        try:
            EcoLogits.init(providers=["cohere"])
        except ImportError as exc:
            print("ImportError:", exc)
        """
    )
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=root, timeout=60, check=True
    )
    lines = done.stdout.splitlines()
    assert lines[0] == str(sorted(ALL - {"cohere"}))
    assert (
        lines[1].startswith("ImportError: Provider 'cohere' needs its SDK")
        and "pip install 'ecologits-like[cohere]'" in lines[1]
    )
