"""The official BoAmps schemas as fixtures, with their remote ``$ref``s resolved to the local copies."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

#: ``shared/boamps`` is a sibling of the repository checkout (``<root>/../shared/boamps``).
BOAMPS_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "boamps"


@pytest.fixture(scope="session")
def boamps_dir() -> Path:
    if not (BOAMPS_DIR / "report_schema.json").is_file():
        pytest.skip(f"the official BoAmps schemas are not available (expected them in {BOAMPS_DIR})")
    return BOAMPS_DIR


@pytest.fixture(scope="session")
def report_validator(boamps_dir: Path) -> Any:
    jsonschema = pytest.importorskip("jsonschema")
    referencing = pytest.importorskip("referencing")
    from referencing.jsonschema import DRAFT4

    resources = []
    for path in sorted(boamps_dir.glob("*_schema.json")):
        schema = json.loads(path.read_text(encoding="utf-8"))
        # Draft 4 schemas name themselves with "id": the remote URL their $refs point to.
        resources.append((schema["id"], DRAFT4.create_resource(schema)))
    registry = referencing.Registry().with_resources(resources)
    report_schema = json.loads((boamps_dir / "report_schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft4Validator.check_schema(report_schema)
    return jsonschema.Draft4Validator(report_schema, registry=registry)


def schema_errors(validator: Any, data: Any) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(data)]
