"""Locating the reference data shipped with the package."""

from __future__ import annotations

import json
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path
from typing import Any

from ecologits_like.registry._validate import DataFileError

__all__ = ["data_file", "read_json"]


def _data_root() -> Traversable:
    packaged = resources.files("ecologits_like") / "data"
    if packaged.is_dir():
        return packaged
    # A source checkout or editable install: the data lives at the repository root.
    return Path(__file__).resolve().parents[2] / "data"


def data_file(name: str) -> Traversable:
    """The shipped data file ``name`` (e.g. ``"models.json"``)."""
    return _data_root() / name


def read_json(source: Traversable | Path, label: str) -> Any:
    """Parse a JSON data file, naming it in any error."""
    try:
        text = source.read_text(encoding="utf-8")
    except OSError as exc:
        raise DataFileError(f"{label}: cannot be read ({exc})") from exc

    def unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        # json.loads keeps the last of two equal keys: an entry listed twice would silently win.
        table: dict[str, Any] = {}
        for key, value in pairs:
            if key in table:
                raise DataFileError(f"{label}: key {key!r} appears twice in the same object")
            table[key] = value
        return table

    try:
        return json.loads(text, object_pairs_hook=unique_keys)
    except json.JSONDecodeError as exc:
        raise DataFileError(f"{label}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from exc
