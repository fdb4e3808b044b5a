"""Bad input, fuzzed: a clear error naming the culprit, or a clean skip with a report; never a crash deep
inside, never a silent wrong number.

* ``estimate`` / ``compare`` arguments: a ``TypeError``/``ValueError`` naming the argument, or a result
  whose numbers are finite and non-negative (errors, when there are any, leave them ``None``/NaN).
* Data files (models, providers, hardware, electricity mixes) mutated one field at a time through
  their registry loaders: a load, or a ``DataFileError`` naming the file; a field made negative,
  NaN, infinite or of the wrong type, or a duplicated entry, never loads.
* Record files: lines truncated, corrupted or retyped are reported by line number and the good lines
  still load; ``strict=True`` raises ``RecordFileError`` naming the line.
"""

from __future__ import annotations

import copy
import json
import math
import warnings
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from ecologits_like import RangeValue, compare, estimate
from ecologits_like.recording import RecordFileError, load_records, write_records
from ecologits_like.registry import DataFileError
from ecologits_like.registry._files import data_file
from ecologits_like.registry.electricity_mixes import load_electricity_mixes
from ecologits_like.registry.hardware import load_hardware
from ecologits_like.registry.models import load_models
from ecologits_like.registry.providers import load_providers
from tests.session.factory import EXACT, UNKNOWN, make_record

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

ANYTHING = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**6), max_value=10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


def _numbers_of(impacts: Any) -> list[float]:
    values: list[float] = []
    for name in ("energy", "gwp", "adpe", "pe", "wcf"):
        impact = getattr(impacts, name)
        if impact is None:
            continue
        value = impact.value
        values.extend((value.min, value.max) if isinstance(value, RangeValue) else (value,))
    return values


# -- estimate / compare ----------------------------------------------------------------------------------


ARGUMENTS = ("provider", "model", "output_tokens", "request_latency", "electricity_mix_zone", "datacenter_pue")


@FUZZ
@given(
    provider=st.one_of(st.sampled_from(["openai", "anthropic", "mistralai", "cohere", "nope"]), ANYTHING),
    model=st.one_of(st.sampled_from(["gpt-4o-mini", "claude-sonnet-4-5", "mistral-small-latest", "x"]), ANYTHING),
    output_tokens=st.one_of(st.integers(min_value=-5, max_value=10**7), ANYTHING),
    request_latency=st.one_of(st.none(), st.floats(min_value=-1, max_value=1e6), ANYTHING),
    zone=st.one_of(st.none(), st.sampled_from(["FRA", "USA", "WOR", "fra", "XXX", ""]), ANYTHING),
    pue=st.one_of(st.none(), st.floats(min_value=0, max_value=3), ANYTHING),
)
def test_estimate_fuzzed(
    provider: Any, model: Any, output_tokens: Any, request_latency: Any, zone: Any, pue: Any
) -> None:
    overrides = {} if pue is None else {"datacenter_pue": pue}
    try:
        impacts = estimate(provider, model, output_tokens, request_latency, zone, **overrides)
    except (TypeError, ValueError) as exc:
        message = str(exc)
        named = [a for a in ARGUMENTS if a in message] + (["electricity mix zone"] if "zone" in message else [])
        assert named, f"the error names no argument: {message!r}"
        return
    numbers = _numbers_of(impacts)
    if impacts.errors:
        assert numbers == [], "an output with errors must not carry numbers"
    else:
        assert numbers and all(math.isfinite(v) and v >= 0 for v in numbers), impacts


@FUZZ
@given(
    output_tokens=st.one_of(
        st.integers(min_value=-3, max_value=10**6),
        st.lists(st.integers(min_value=-3, max_value=10**5), max_size=3),
        ANYTHING,
    ),
    latency=st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True), ANYTHING),
    models=st.one_of(
        st.just([("openai", "gpt-4o-mini")]),
        st.just([("openai", "gpt-4o-mini"), ("nope", "x")]),
        st.lists(st.tuples(st.text(max_size=6), st.text(max_size=6)), min_size=1, max_size=2),
        ANYTHING,
    ),
)
def test_compare_fuzzed(output_tokens: Any, latency: Any, models: Any) -> None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # unknown models warn, by design
            frame = compare(models, output_tokens, request_latency=latency)
    except (TypeError, ValueError) as exc:
        message = str(exc)
        assert any(a in message for a in ("models", "output_tokens", "request_latency", "model")), message
        return
    energy = [c for c in frame.columns if c.startswith("energy_wh")]
    assert energy
    for _, row in frame.iterrows():
        values = [row[c] for c in energy]
        if row["errors"]:
            assert all(math.isnan(v) for v in values), row
        else:
            assert all(math.isfinite(v) and v >= 0 for v in values), row


# -- data files ------------------------------------------------------------------------------------------


def _leaves(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(node, dict):
        return [p for key, value in node.items() for p in _leaves(value, (*path, key))] or [path]
    if isinstance(node, list) and node and not all(isinstance(v, str) for v in node):
        return [p for index, value in enumerate(node) for p in _leaves(value, (*path, index))]
    return [path]


def _set(node: Any, path: tuple[Any, ...], value: Any, delete: bool = False) -> None:
    for key in path[:-1]:
        node = node[key]
    if delete:
        del node[path[-1]]
    else:
        node[path[-1]] = value


def _get(node: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        node = node[key]
    return node


def _small_models() -> dict[str, Any]:
    shipped = json.loads(data_file("models.json").read_text(encoding="utf-8"))
    return {**shipped, "models": shipped["models"][:4]}


JSON_FILES = {
    "models": (_small_models, load_models),
    "providers": (lambda: json.loads(data_file("providers.json").read_text(encoding="utf-8")), load_providers),
    "hardware": (lambda: json.loads(data_file("hardware.json").read_text(encoding="utf-8")), load_hardware),
}
BAD_NUMBERS = (-1, -0.5, math.nan, math.inf, -math.inf)
#: Fields whose values may be negative (regression coefficients).
SIGNED_FIELDS = frozenset({"alpha", "beta", "gamma"})


@FUZZ
@given(
    kind=st.sampled_from(sorted(JSON_FILES)),
    pick=st.integers(min_value=0, max_value=10**6),
    mutation=st.sampled_from(["delete", "bad-number", "wrong-type", "anything"]),
    bad_number=st.sampled_from(BAD_NUMBERS),
    replacement=ANYTHING,
)
def test_json_data_files_fuzzed(
    tmp_path: Path, kind: str, pick: int, mutation: str, bad_number: float, replacement: Any
) -> None:
    build, load = JSON_FILES[kind]
    data = build()
    leaves = [p for p in _leaves(data) if p and p[0] != "schema_version"]
    path = leaves[pick % len(leaves)]
    original = _get(data, path)
    if mutation == "bad-number":
        assume(isinstance(original, (int, float)) and not isinstance(original, bool))
        # Fit coefficients are signed (the energy fit's beta is negative): only NaN and infinities are
        # wrong there; elsewhere a negative figure is too.
        signed = path[-1] in SIGNED_FIELDS or original < 0
        assume(not (signed and math.isfinite(bad_number)))
        _set(data, path, bad_number)
    elif mutation == "wrong-type":
        assume(isinstance(original, (int, float)) and not isinstance(original, bool))
        _set(data, path, str(original))
    elif mutation == "delete":
        assume(isinstance(path[-1], str))
        _set(data, path, None, delete=True)
    else:
        assume(replacement != original)
        _set(data, path, replacement)
    file = tmp_path / f"{kind}.json"
    file.write_text(json.dumps(data, allow_nan=True))
    try:
        load(file)
    except DataFileError as exc:
        assert str(file) in str(exc), f"the error does not name the file: {exc}"
        return
    # It loaded: only harmless changes may (a note, an optional field, a number still in range).
    assert mutation not in ("bad-number", "wrong-type"), f"{kind}: {path} = {_get(data, path)!r} was accepted"


@pytest.mark.parametrize("kind", ["models", "providers", "hardware"])
def test_duplicate_entries_never_load(tmp_path: Path, kind: str) -> None:
    data = JSON_FILES[kind][0]()
    if kind == "models":
        data["models"].append(copy.deepcopy(data["models"][0]))
        file = tmp_path / "models.json"
        file.write_text(json.dumps(data))
    else:  # JSON objects cannot hold a key twice once parsed: write the text by hand
        table = "providers" if kind == "providers" else "profiles"
        name, entry = next(iter(data[table].items()))
        text = json.dumps(data)
        duplicate = f'"{table}": {{{json.dumps(name)}: {json.dumps(entry)}, '
        file = tmp_path / f"{kind}.json"
        file.write_text(text.replace(f'"{table}": {{', duplicate, 1))
    with pytest.raises(DataFileError) as caught:
        JSON_FILES[kind][1](file)
    assert str(file) in str(caught.value)


def _mixes_rows() -> list[list[str]]:
    import csv
    import io

    text = data_file("electricity_mixes.csv").read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    world = next(r for r in rows if r[0] == "WOR")
    return [rows[0], rows[1], rows[2], world]


@FUZZ
@given(
    row=st.integers(min_value=1, max_value=3),
    column=st.integers(min_value=0, max_value=6),
    value=st.one_of(st.sampled_from(["-1", "nan", "inf", "", "1e400", "abc", "FRA"]), st.text(max_size=5)),
)
def test_electricity_mixes_fuzzed(tmp_path: Path, row: int, column: int, value: str) -> None:
    import csv

    rows = _mixes_rows()
    rows[row][column] = value
    file = tmp_path / "mixes.csv"
    with file.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    try:
        mixes = load_electricity_mixes(file)
    except DataFileError as exc:
        assert str(file) in str(exc)
        return
    for record in mixes:
        mix = record.mix
        assert all(math.isfinite(v) and v >= 0 for v in (mix.gwp, mix.adpe, mix.pe, mix.wue)), mix


# -- record files ----------------------------------------------------------------------------------------


def _record_lines(tmp_path: Path) -> list[bytes]:
    source = tmp_path / "source.jsonl"
    source.unlink(missing_ok=True)  # hypothesis reuses tmp_path across examples
    write_records([make_record(), make_record(*EXACT), make_record(*UNKNOWN, labels={"team": "care"})], source)
    return source.read_bytes().splitlines(keepends=True)


RECORD_KEYS = (
    "schema",
    "timestamp",
    "provider",
    "model_requested",
    "output_tokens",
    "input_tokens",
    "latency_s",
    "stream",
    "partial",
    "labels",
    "impacts",
)


@FUZZ
@given(
    target=st.integers(min_value=0, max_value=2),
    mutation=st.sampled_from(["truncate", "retype", "drop-key", "garbage"]),
    cut=st.integers(min_value=1, max_value=400),
    key=st.sampled_from(RECORD_KEYS),
    replacement=ANYTHING,
    garbage=st.binary(min_size=1, max_size=20),
)
def test_record_files_fuzzed(
    tmp_path: Path, target: int, mutation: str, cut: int, key: str, replacement: Any, garbage: bytes
) -> None:
    lines = _record_lines(tmp_path)
    line = lines[target]
    if mutation == "truncate":
        lines[target] = line[: min(cut, len(line) - 2)] + (b"" if target == len(lines) - 1 else b"\n")
    elif mutation == "garbage":
        assume(garbage.strip() and b"\n" not in garbage)
        lines[target] = garbage + b"\n"
    else:
        data = json.loads(line)
        if mutation == "drop-key":
            del data[key]
        else:
            assume(replacement != data[key] and not (isinstance(replacement, float) and math.isnan(replacement)))
            data[key] = replacement
        lines[target] = json.dumps(data).encode() + b"\n"
    file = tmp_path / "records.jsonl"
    file.write_bytes(b"".join(lines))

    loaded, problems = load_records(file)  # never raises on content
    assert len(loaded) + len(problems) == 3 or (len(loaded) == 3 and not problems)
    for problem in problems:
        assert problem.line == target + 1 and problem.kind in ("truncated", "corrupt", "schema") and problem.message
    for record in loaded:
        assert record.output_tokens >= 0 and (record.latency_s is None or math.isfinite(record.latency_s))
        assert all(math.isfinite(v) and v >= 0 for v in _numbers_of(record.impacts))
    if problems:
        with pytest.raises(RecordFileError, match=f"line {target + 1}"):
            load_records(file, strict=True)
