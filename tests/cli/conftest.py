"""Fixtures: the official BoAmps schemas."""

from tests.exporters.schemas import boamps_dir, report_validator  # noqa: F401
