"""Memory over many traced calls: the process must stay flat.

    python benchmarks/memory.py                 # 100,000 calls (a few minutes on 2 cores)
    python benchmarks/memory.py --calls 20000   # quicker

One instrumented OpenAI client over an in-process transport that keeps nothing; every call runs in
a session opened and closed around it, with a JSONL recorder on. Mixed: plain chat completions,
one stream in ten read to the end, one in fifty abandoned after its first chunk (finalised by the
garbage collector). Resident memory (``/proc/self/statm``), the number of objects the garbage
collector tracks, and the library's own tables are sampled every tenth of the run; growth is
measured from the first sample (after a warm-up of 2% of the calls).
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import tempfile
import time
from pathlib import Path

import httpx2
import openai

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from _transport import chat_completion, chat_stream  # noqa: E402

from ecologits_like import EcoLogits  # noqa: E402
from ecologits_like._log import _seen  # noqa: E402
from ecologits_like._plan import _cached_build  # noqa: E402

MESSAGES = [{"role": "user", "content": "Hello!"}]


def rss_mib() -> float:
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def client() -> openai.OpenAI:
    plain, stream = chat_completion(), chat_stream(20, include_usage=True)

    def answer(request: httpx2.Request) -> httpx2.Response:
        streamed = b'"stream":true' in request.content.replace(b" ", b"")
        if streamed:
            return httpx2.Response(200, content=stream, headers={"content-type": "text/event-stream"})
        return httpx2.Response(200, content=plain, headers={"content-type": "application/json"})

    return openai.OpenAI(
        api_key="sk-bench", http_client=httpx2.Client(transport=httpx2.MockTransport(answer)), max_retries=0
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=100_000)
    args = parser.parse_args()
    calls = args.calls
    with tempfile.TemporaryDirectory() as folder:
        EcoLogits.init(providers=["openai"], record_to=Path(folder) / "records.jsonl")
        oai = client()

        def call(i: int) -> None:
            with EcoLogits.session(f"s{i % 13}", labels={"n": str(i % 5)}):
                if i % 10 == 0:
                    for _ in oai.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True):
                        pass
                elif i % 50 == 1:
                    next(iter(oai.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True)))
                else:
                    oai.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)

        warm_up = max(100, calls // 50)
        for i in range(warm_up):
            call(i)
        samples: list[tuple[int, float, int, int, int, float]] = []
        start = time.perf_counter()

        def sample(done: int) -> None:
            gc.collect()
            line = (done, rss_mib(), len(gc.get_objects()), len(_seen), _cached_build.cache_info().currsize)
            samples.append((*line, time.perf_counter() - start))

        sample(0)
        step = max(1, calls // 10)
        for i in range(calls):
            call(warm_up + i)
            if (i + 1) % step == 0:
                sample(i + 1)
        EcoLogits.uninstrument()
        lines = (Path(folder) / "records.jsonl").read_bytes().count(b"\n")

    print(f"{calls:,} traced calls after {warm_up:,} warm-up calls; JSONL lines written: {lines:,}")
    print("| calls | RSS MiB | GC-tracked objects | log-once keys | cached plans | seconds |")
    print("|---:|---:|---:|---:|---:|---:|")
    for done, rss, objects, keys, plans, seconds in samples:
        print(f"| {done:,} | {rss:.1f} | {objects:,} | {keys} | {plans} | {seconds:.0f} |")
    first, last = samples[0], samples[-1]
    print(
        f"growth: {last[1] - first[1]:+.1f} MiB RSS, {last[2] - first[2]:+,} objects "
        f"({(last[1] - first[1]) * 2**20 / calls:.1f} bytes per call)"
    )


if __name__ == "__main__":
    main()
