"""Overhead benchmarks: real SDK clients over in-process HTTP, bare vs instrumented, plus engine throughput.

    python benchmarks/run.py            # full run (about 2-3 minutes on 2 cores)
    python benchmarks/run.py --quick    # about 30 s, noisier

Every mode (bare SDK, ecologits_like, and the ``ecologits`` package when importable) runs in its
own subprocess, because patching is process-wide. Results go to ``benchmarks/RESULTS.md`` and stdout.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "RESULTS.md"
PROVIDER_MODULES = ("openai", "anthropic", "mistralai", "huggingface_hub", "cohere", "google.genai")

# Targets of issue #7.
TARGET_CALL_US = 25.0
TARGET_CHUNK_US = 1.0
TARGET_ESTIMATE_PER_S = 100_000
TARGET_GRID_ROWS_PER_S = 2_000_000
TARGET_COLD_MS = 30.0
TARGET_RSS_MIB = 3.0


# -- worker: one mode per process -----------------------------------------------------------------


def _median_per_call(fn: Callable[[], Any], calls: int, repeats: int) -> float:
    """Median over ``repeats`` of the mean seconds per call over ``calls`` calls (after a warm-up)."""
    for _ in range(max(3, calls // 10)):
        fn()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        samples.append((time.perf_counter() - start) / calls)
    return statistics.median(samples)


PROVIDERS = ["openai", "anthropic", "mistralai", "cohere", "huggingface_hub"]
#: Cases whose figure is informational, not a target (the impacts are read after each call: the
#: output models are built on first read, so this shows what a caller that reads them pays).
READ_CASES = ("openai chat, impacts read",)


def worker(mode: str, quick: bool) -> dict[str, Any]:
    import asyncio

    sys.path.insert(0, str(HERE))
    from _transport import OtherServer, Server, async_clients, clients, other_clients

    from ecologits_like import EcoLogits

    traced: dict[str, bool] = {}
    if mode == "ecologits":
        import warnings

        warnings.simplefilter("ignore")
        from ecologits import EcoLogits as Reference

        for provider in PROVIDERS:  # one at a time: a provider it cannot trace must not stop the others
            try:
                Reference.init(providers=[provider])
            except Exception as exc:
                print(f"[bench] ecologits cannot init {provider}: {exc!r}", file=sys.stderr)

    server = Server()
    oai, ant = clients(server)
    aoai, aant = async_clients(server)
    other = OtherServer()
    mistral, co_bare, hf = other_clients(other)
    # cohere's Client.__init__ stores bound methods on the instance: a client made before init() is
    # never traced, one made after keeps the wrapper (which passes straight through when
    # uninstrumented). So the bare figure uses a client made before, the instrumented one after.
    if mode == "ecologits":  # already initialised above
        co_traced = other_clients(other)[1]
    else:
        EcoLogits.init(providers=PROVIDERS)
        co_traced = other_clients(other)[1]
        EcoLogits.uninstrument()
    loop = asyncio.new_event_loop()
    messages = [{"role": "user", "content": "Hello!"}]

    def chat() -> Any:
        return oai.chat.completions.create(model="gpt-4o-mini", messages=messages)

    def chat_read() -> Any:
        response = chat()
        impacts = getattr(response, "impacts", None)
        if impacts is not None:
            _ = impacts.energy.value
        return response

    def responses() -> Any:
        return oai.responses.create(model="gpt-4.1", input="Tell me a story.")

    def message() -> Any:
        return ant.messages.create(model="claude-sonnet-4-5", max_tokens=256, messages=messages)

    def mistral_chat() -> Any:
        return mistral.chat.complete(model="mistral-small-latest", messages=messages)

    def cohere_chat() -> Any:
        return co_traced.chat(model="command-a-03-2025", messages=messages)

    def cohere_chat_bare() -> Any:
        return co_bare.chat(model="command-a-03-2025", messages=messages)

    def hf_chat() -> Any:
        return hf.chat_completion(messages, model="meta-llama/Llama-3.1-8B-Instruct")

    def chat_async() -> Any:
        return loop.run_until_complete(aoai.chat.completions.create(model="gpt-4o-mini", messages=messages))

    def responses_async() -> Any:
        return loop.run_until_complete(aoai.responses.create(model="gpt-4.1", input="Tell me a story."))

    def message_async() -> Any:
        return loop.run_until_complete(
            aant.messages.create(model="claude-sonnet-4-5", max_tokens=256, messages=messages)
        )

    def chat_stream() -> Any:
        last = None
        for chunk in oai.chat.completions.create(model="gpt-4o-mini", messages=messages, stream=True):
            last = chunk
        return last

    def anthropic_stream() -> Any:
        last = None
        for event in ant.messages.create(model="claude-sonnet-4-5", max_tokens=256, messages=messages, stream=True):
            last = event
        return last

    scale = 0.3 if quick else 1.0
    repeats = 5 if quick else 15
    out: dict[str, Any] = {"mode": mode, "cases": {}, "traced": traced}

    def case(
        name: str, fn: Callable[[], Any], calls: int, chunks: int = 0, bare_fn: Callable[[], Any] | None = None
    ) -> None:
        calls = max(3, int(calls * scale))
        row: dict[str, Any] = {"chunks": chunks}
        if mode == "ecologits":  # cannot be uninstrumented: the instrumented figure only
            try:
                traced[name] = getattr(fn(), "impacts", None) is not None
            except Exception as exc:  # e.g. ecologits 0.11 against a newer SDK's response types
                row["error"] = f"{type(exc).__name__}"
                out["cases"][name] = row
                return
            row["us"] = _median_per_call(fn, calls, repeats) * 1e6
        else:  # bare and instrumented interleaved, repeat by repeat, in this process
            EcoLogits.init(providers=PROVIDERS)
            traced[name] = getattr(fn(), "impacts", None) is not None
            bare, instrumented = [], []
            for _ in range(repeats):
                EcoLogits.uninstrument()
                bare.append(_median_per_call(bare_fn or fn, calls, 1))
                EcoLogits.init(providers=PROVIDERS)
                instrumented.append(_median_per_call(fn, calls, 1))
            EcoLogits.uninstrument()
            row["bare_us"] = statistics.median(bare) * 1e6
            row["us"] = statistics.median(instrumented) * 1e6
            row["overhead_us"] = statistics.median(i - b for i, b in zip(instrumented, bare, strict=True)) * 1e6
        out["cases"][name] = row

    case("openai chat", chat, 200)
    case("openai responses", responses, 200)
    case("anthropic messages", message, 200)
    case("mistralai chat", mistral_chat, 200)
    case("cohere chat (v2)", cohere_chat, 200, bare_fn=cohere_chat_bare)
    case("huggingface_hub chat", hf_chat, 200)
    case("openai chat, async", chat_async, 200)
    case("openai responses, async", responses_async, 200)
    case("anthropic messages, async", message_async, 200)
    case(READ_CASES[0], chat_read, 200)
    for n, calls in ((100, 40), (1000, 6)):
        server.set_stream_chunks(n)
        case(f"openai chat stream, N={n}", chat_stream, calls, n)
        case(f"anthropic stream, N={n}", anthropic_stream, calls, n)
    loop.close()
    return out


# -- engine throughput (run in its own process too) ------------------------------------------------


def engine(quick: bool) -> dict[str, Any]:
    import numpy as np

    from ecologits_like import estimate, estimate_grid

    result: dict[str, Any] = {}
    repeats = 5 if quick else 11
    calls = 5_000 if quick else 20_000
    for provider, model in (("openai", "gpt-4o-mini"), ("mistralai", "mistral-small-latest")):
        seconds = _median_per_call(lambda p=provider, m=model: estimate(p, m, 500, request_latency=4.0), calls, repeats)
        result[f"{provider}/{model}"] = 1.0 / seconds
        # The output models are built on first read: what a caller that reads one indicator pays.
        seconds = _median_per_call(
            lambda p=provider, m=model: estimate(p, m, 500, request_latency=4.0).energy, calls, repeats
        )
        result[f"read:{provider}/{model}"] = 1.0 / seconds
    models = [
        ("openai", "gpt-4o-mini"),
        ("openai", "gpt-4o"),
        ("anthropic", "claude-sonnet-4-5"),
        ("mistralai", "mistral-small-latest"),
        ("mistralai", "mistral-large-latest"),
        ("cohere", "command-a-03-2025"),
        ("openai", "gpt-4.1"),
        ("anthropic", "claude-3-5-haiku-latest"),
        ("mistralai", "open-mistral-7b"),
        ("openai", "o4-mini"),
    ]
    tokens = np.arange(1, 100_001)
    seconds = _median_per_call(lambda: estimate_grid(models, tokens), 1, repeats)
    result["grid_rows"] = len(models) * len(tokens)
    result["grid_rows_per_s"] = len(models) * len(tokens) / seconds
    return result


# -- cold start ------------------------------------------------------------------------------------

_RSS = "import resource; print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
COLD = {
    "bare": "import openai; " + _RSS,
    "ecologits_like": "import openai, ecologits_like; ecologits_like.EcoLogits.init(providers=['openai']); " + _RSS,
    "ecologits": "import openai; from ecologits import EcoLogits; EcoLogits.init(providers=['openai']); " + _RSS,
    # Informational: the engine, its data and the output models load with the first estimate.
    "ecologits_like, first estimate": "import openai, ecologits_like; "
    "ecologits_like.EcoLogits.init(providers=['openai']); "
    "ecologits_like.estimate('openai', 'gpt-4o-mini', 10).energy; " + _RSS,
}


def cold_start(modes: list[str], runs: int) -> dict[str, tuple[float, float]]:
    """Median wall ms and median peak RSS MiB of ``python -c`` per mode, runs interleaved."""
    times: dict[str, list[float]] = {m: [] for m in modes}
    rss: dict[str, list[float]] = {m: [] for m in modes}
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    # As installed from a wheel: every package imports from compiled .pyc files (a checkout run with
    # PYTHONDONTWRITEBYTECODE would recompile ecologits_like's sources in every run).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    for mode in modes:  # warm the OS file cache and write .pyc files once
        subprocess.run([sys.executable, "-c", COLD[mode]], check=True, capture_output=True, env=env)
    for _ in range(runs):
        for mode in modes:
            start = time.perf_counter()
            done = subprocess.run([sys.executable, "-c", COLD[mode]], check=True, capture_output=True, env=env)
            times[mode].append((time.perf_counter() - start) * 1e3)
            rss[mode].append(int(done.stdout.split()[-1]) / 1024)
    return {m: (statistics.median(times[m]), statistics.median(rss[m])) for m in modes}


def imported_providers() -> list[str]:
    """Provider SDK modules present after ``import ecologits_like; EcoLogits.init(providers=['openai'])``
    that ``import openai`` alone does not import (other SDKs, or openai submodules)."""
    code = (
        "import sys, json; import openai; before = set(sys.modules); import ecologits_like; "
        "ecologits_like.EcoLogits.init(providers=['openai']); "
        "print(json.dumps(sorted(m for m in set(sys.modules) - before "
        f"if m.split('.')[0] in {list(PROVIDER_MODULES)!r} or m.startswith('google.genai'))))"
    )
    done = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return list(json.loads(done.stdout))


# -- orchestration and report ----------------------------------------------------------------------


def _subprocess_json(args: list[str]) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), *args],
        check=True,
        capture_output=True,
        text=True,
        env=dict(os.environ, PYTHONWARNINGS="ignore"),
    )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _mark(ok: bool) -> str:
    return "met" if ok else "**not met**"


def report(
    runs: dict[str, dict[str, Any]],
    eng: dict[str, Any],
    cold: dict[str, tuple[float, float]],
    pulled: list[str],
    quick: bool,
    elapsed: float,
    load: tuple[tuple[float, ...], tuple[float, ...]],
) -> str:
    has_ref = "ecologits" in runs
    before, after = (", ".join(f"{x:.1f}" for x in avg) for avg in load)
    lines = [
        "# Benchmark results",
        "",
        f"Produced by `python benchmarks/run.py{' --quick' if quick else ''}` in {elapsed:.0f} s "
        "(this file is written by the script; nothing here is edited by hand).",
        "",
        f"- CPU: {_cpu_model()}, {os.cpu_count()} cores; {platform.system()} {platform.release()}",
        f"- Load average (1, 5, 15 min) at start: {before}; at end: {after}. Above the core count, other",
        "  processes shared the CPU and the figures are noisy (differences of a few µs are within noise).",
        f"- Python {platform.python_version()} ({platform.python_implementation()})",
        "- Packages: "
        + ", ".join(
            f"{d} {_version(d)}"
            for d in (
                "ecologits-like",
                "openai",
                "anthropic",
                "mistralai",
                "cohere",
                "huggingface_hub",
                "httpx2",
                "httpx",
                "pydantic",
                "numpy",
                "wrapt",
                "ecologits",
            )
        ),
        "",
        "Real SDK clients over in-process transports (`httpx2.MockTransport`; `httpx.MockTransport` for",
        "cohere) serving realistic wire bodies. Bare and ecologits_like are measured in one process,",
        "alternating repeat by repeat (`EcoLogits.uninstrument()` / `init()` between them); overhead = median",
        "of the paired differences. `ecologits` cannot be uninstrumented, so it runs in its own process; its",
        "overhead is against the bare median. Overhead per stream chunk = (instrumented - bare) / N, which",
        "folds the once-per-stream cost (estimate, record) into the chunks. ecologits_like builds the",
        "`impacts` output models when they are first read: the row marked *(read)* reads one indicator",
        "after each call and shows what a caller that looks at the impacts pays.",
        "",
        "## SDK calls (µs per call)",
        "",
    ]
    head = "| case | bare | ecologits_like | overhead | per chunk |"
    rule = "|---|---:|---:|---:|---:|"
    if has_ref:
        head += " ecologits 0.11 | its overhead | its per chunk |"
        rule += "---:|---:|---:|"
    lines += [head, rule]
    verdicts: list[tuple[str, str, str]] = []
    for name, ours in runs["ecologits_like"]["cases"].items():
        n = ours["chunks"]
        bare_us = ours["bare_us"]
        over = ours["overhead_us"]
        per_chunk = f"{over / n:.2f}" if n else ""
        label = f"{name} *(read)*" if name in READ_CASES else name
        row = f"| {label} | {bare_us:.1f} | {ours['us']:.1f} | {over:+.1f} | {per_chunk} |"
        if has_ref:
            ref = runs["ecologits"]["cases"].get(name, {"error": "not run"})
            if "error" in ref:
                row += f" fails ({ref['error']}) | | |"
            elif runs["ecologits"]["traced"].get(name):
                ro = ref["us"] - bare_us
                row += f" {ref['us']:.1f} | {ro:+.1f} | {f'{ro / n:.2f}' if n else ''} |"
            else:
                row += f" {ref['us']:.1f} | not traced | |"
        if not runs["ecologits_like"]["traced"].get(name):
            row += " **not traced by ecologits_like** |"
        lines.append(row)
        if name in READ_CASES:
            continue
        if n:
            verdicts.append(
                (f"{name}: per chunk ≤ {TARGET_CHUNK_US} µs", f"{over / n:.2f} µs", _mark(over / n <= TARGET_CHUNK_US))
            )
        else:
            verdicts.append(
                (f"{name}: overhead ≤ {TARGET_CALL_US:.0f} µs", f"{over:.1f} µs", _mark(over <= TARGET_CALL_US))
            )
    lines += ["", "## Engine", "", "| measure | ecologits_like |", "|---|---:|"]
    for key, value in eng.items():
        if key.startswith("read:"):
            lines.append(f"| `estimate(...).energy` {key[5:]} *(read)* | {value:,.0f} calls/s |")
            # Judged with the result read: an estimate nobody reads does none of the work, so the
            # unread figure below would meet any target without measuring the engine.
            verdicts.append(
                (
                    f"estimate(...).energy {key[5:]} ≥ {TARGET_ESTIMATE_PER_S:,} calls/s",
                    f"{value:,.0f}",
                    _mark(value >= TARGET_ESTIMATE_PER_S),
                )
            )
        elif "/" in key:
            lines.append(f"| `estimate()` {key}, result not read | {value:,.0f} calls/s |")
    lines.append(f"| `estimate_grid` ({eng['grid_rows']:,} rows) | {eng['grid_rows_per_s']:,.0f} rows/s |")
    verdicts.append(
        (
            f"estimate_grid ≥ {TARGET_GRID_ROWS_PER_S:,} rows/s",
            f"{eng['grid_rows_per_s']:,.0f}",
            _mark(eng["grid_rows_per_s"] >= TARGET_GRID_ROWS_PER_S),
        )
    )
    lines += ["", "## Cold start (`python -c`, median of subprocess runs, from compiled .pyc files)", ""]
    lines += ["| command | wall ms | peak RSS MiB | vs bare |", "|---|---:|---:|---:|"]
    base_ms, base_rss = cold["bare"]
    labels = {
        "bare": "`import openai`",
        "ecologits_like": "`import openai, ecologits_like; EcoLogits.init(providers=['openai'])`",
        "ecologits": "`import openai; from ecologits import EcoLogits; EcoLogits.init(providers=['openai'])`",
        "ecologits_like, first estimate": "the line above, then `estimate(...).energy` *(engine and data load)*",
    }
    for mode in cold:
        ms, rss = cold[mode]
        delta = "" if mode == "bare" else f"{ms - base_ms:+.1f} ms, {rss - base_rss:+.1f} MiB"
        lines.append(f"| {labels[mode]} | {ms:.1f} | {rss:.1f} | {delta} |")
    ms, rss = cold["ecologits_like"]
    verdicts.append(
        (f"cold start ≤ +{TARGET_COLD_MS:.0f} ms", f"{ms - base_ms:+.1f} ms", _mark(ms - base_ms <= TARGET_COLD_MS))
    )
    verdicts.append(
        (f"peak RSS ≤ +{TARGET_RSS_MIB:.0f} MiB", f"{rss - base_rss:+.1f} MiB", _mark(rss - base_rss <= TARGET_RSS_MIB))
    )
    lines += [
        "",
        "Provider SDK modules imported by `import ecologits_like; EcoLogits.init(providers=['openai'])` that",
        f"`import openai` alone does not import: {', '.join(pulled) if pulled else 'none'}.",
        "",
    ]
    verdicts.append(
        ("init imports no provider module `import openai` does not", ", ".join(pulled) or "none", _mark(not pulled))
    )
    lines += ["## Targets (issue #7)", "", "| target | measured | verdict |", "|---|---:|---|"]
    lines += [f"| {t} | {m} | {v} |" for t, m, v in verdicts]
    met = sum(v == "met" for _, _, v in verdicts)
    lines += ["", f"{met} of {len(verdicts)} targets met in this run."]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer repeats (about 30 s)")
    parser.add_argument("--no-write", action="store_true", help=f"print only; do not write {RESULTS.name}")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker == "engine":
        print(json.dumps(engine(args.quick)))
        return
    if args.worker:
        print(json.dumps(worker(args.worker, args.quick)))
        return

    start = time.perf_counter()
    load_before = os.getloadavg()
    modes = ["ecologits_like"]
    try:
        import ecologits  # noqa: F401

        modes.append("ecologits")
    except Exception:
        pass
    flag = ["--quick"] if args.quick else []
    runs: dict[str, dict[str, Any]] = {}
    for mode in modes:
        print(f"[bench] SDK calls: {mode} ...", file=sys.stderr, flush=True)
        try:
            runs[mode] = _subprocess_json(["--worker", mode, *flag])
        except subprocess.CalledProcessError as exc:
            if mode != "ecologits":
                raise
            print(f"[bench] ecologits column skipped: {exc.stderr.strip().splitlines()[-1:]}", file=sys.stderr)
    print("[bench] engine ...", file=sys.stderr, flush=True)
    eng = _subprocess_json(["--worker", "engine", *flag])
    print("[bench] cold start ...", file=sys.stderr, flush=True)
    cold = cold_start(["bare", *modes, "ecologits_like, first estimate"], 4 if args.quick else 10)
    pulled = imported_providers()
    load = (load_before, os.getloadavg())
    text = report(runs, eng, cold, pulled, args.quick, time.perf_counter() - start, load)
    print(text)
    if not args.no_write:
        RESULTS.write_text(text)


if __name__ == "__main__":
    main()
