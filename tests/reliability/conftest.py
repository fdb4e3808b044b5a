"""Reliability suite fixtures: a clean tracer state around every test, and the provider fake APIs."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from ecologits_like import EcoLogits
from ecologits_like._log import reset_log_once
from ecologits_like._plan import clear_plan_cache
from tests.reliability.kit import apis
from tests.tracers.conftest import records

__all__ = ["apis", "records"]

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(autouse=True)
def _clean_tracer_state() -> Iterator[None]:
    EcoLogits.uninstrument()
    reset_log_once()
    clear_plan_cache()
    yield
    EcoLogits.uninstrument()
    clear_plan_cache()


@pytest.fixture
def tracer_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Every record of the library logger, from DEBUG up."""
    caplog.set_level(logging.DEBUG, logger="ecologits_like")
    return caplog
