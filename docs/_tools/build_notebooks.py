"""Write the documentation notebooks from the cell sources below, and execute them in place.

    python docs/_tools/build_notebooks.py            # write and execute every notebook
    python docs/_tools/build_notebooks.py --no-run   # write them without outputs

The committed notebooks carry their outputs so the site and GitHub show the plots; the test
suite (tests/docs/test_notebooks.py) re-executes them so they never rot. Edit the cells here,
then re-run this script.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent
NOTEBOOKS = HERE.parent / "notebooks"

Cell = tuple[str, str]  # ("md" | "py", source)

COMPARE: list[Cell] = [
    (
        "md",
        """# Comparing providers and models

One workload — a 500-token answer — estimated for several models without calling any API.
`compare()` returns a pandas DataFrame, one row per model and token count; the plot helpers
draw it. Every figure is an estimate from the published EcoLogits methodology: read the
[methodology](../methodology.md) and [limitations](../limitations.md) pages before quoting one.""",
    ),
    (
        "py",
        """from ecologits_like.compare import compare
from ecologits_like.plots import plot_energy_vs_parameters, plot_quality_vs_energy, plot_ranking

models = [
    ("openai", "gpt-4o-mini"),
    ("openai", "gpt-4o"),
    ("anthropic", "claude-3-5-haiku-20241022"),
    ("mistralai", "mistral-small-latest"),
    ("mistralai", "mistral-large-latest"),
    ("cohere", "command-a-03-2025"),
    ("huggingface_hub", "meta-llama/Llama-3.1-8B-Instruct"),
]
df = compare(models, output_tokens=500)
df[["provider", "model", "architecture", "active_parameters_b_min", "active_parameters_b_max",
    "energy_wh_min", "energy_wh_max", "gwp_gco2eq_mean", "water_ml_mean", "warnings"]].round(4)""",
    ),
    (
        "md",
        """Columns ending in `_min` / `_max` bound the estimate: a provider that has not published its
model's size gets a parameter *range*, and everything computed from it is a range too
(notebook 3 explains where ranges come from). `_mean` is the midpoint of that range, not a
best guess. Units are in the column names; `df.attrs["units"]` lists them.""",
    ),
    ("py", 'df.attrs["units"]'),
    (
        "md",
        """## Energy per 1,000 output tokens against model size

Every model in the data, on log axes. Bars are ranges: horizontal for an undisclosed size,
vertical for the energy that follows from it.""",
    ),
    (
        "py",
        """everything = compare("all", output_tokens=500)
ax = plot_energy_vs_parameters(everything)
ax.figure.set_size_inches(7, 4)""",
    ),
    (
        "md",
        """**Reading it.** Energy per token grows almost linearly with the *active* parameters (the
methodology's GPU-energy fit), so a mixture-of-experts model sits far left of its total size.
The long bars are the closed models: their position is a bracket, not a point, and two
brackets that overlap cannot be ranked.

## A ranking

Ranked bars with their ranges; `provider=` keeps one provider's models, `top=` the heaviest.""",
    ),
    ("py", 'ax = plot_ranking(df, "gwp")'),
    ("py", 'ax = plot_ranking(everything, "energy", provider="mistralai", top=10, per_1k_tokens=True)'),
    (
        "md",
        """## Quality against consumption

Public model arenas publish a "satisfaction vs consumption" view. Bring your own quality
score — an evaluation on your task, or an arena's published score — as a mapping from model
name to score. **The scores below are made-up numbers for illustration only.**""",
    ),
    (
        "py",
        """illustrative_scores = {  # replace with your own evaluation
    "gpt-4o-mini": 70, "gpt-4o": 80, "claude-3-5-haiku-20241022": 72,
    "mistral-small-latest": 68, "mistral-large-latest": 78, "command-a-03-2025": 75,
}
ax = plot_quality_vs_energy(df, illustrative_scores, score_label="Quality (illustrative)")""",
    ),
    (
        "md",
        """## How the electricity zone changes the picture

Energy does not depend on where the datacenter is; emissions do, through the carbon intensity
of the local electricity. By default each provider's datacenter zone is used (`zone` column);
`electricity_mix_zone=` puts every model in the same zone.""",
    ),
    (
        "py",
        """import pandas as pd

by_zone = pd.concat(
    [compare(models[:3], 500).assign(scenario="provider default")]
    + [compare(models[:3], 500, electricity_mix_zone=zone).assign(scenario=zone) for zone in ("FRA", "USA", "POL")]
)
by_zone.pivot_table(index="model", columns="scenario", values="gwp_gco2eq_mean").round(4)""",
    ),
    (
        "md",
        """## And the hardware, batch size and PUE

The default server is the methodology's 8 x H100. The A100 profile changes the embodied
(manufacturing) figures and the server's non-GPU power (1.0 instead of 1.2 kW); its GPU
token-energy and latency fits are the H100's (no A100 fit exists, see [data](../data.md)), so
treat it as an embodied-impact what-if. A smaller batch shares each server among fewer requests, so every request gets a
larger slice; a worse PUE scales energy directly.""",
    ),
    (
        "py",
        """what_ifs = {
    "default": {},
    "A100 server": {"hardware": "nvidia-a100-80gb-hgx"},
    "batch 16": {"batch_size": 16},
    "PUE 1.6": {"datacenter_pue": 1.6},
}
rows = [compare([("openai", "gpt-4o")], 500, **kw).assign(scenario=name) for name, kw in what_ifs.items()]
pd.concat(rows)[["scenario", "energy_wh_min", "energy_wh_max", "gwp_gco2eq_min", "gwp_gco2eq_max"]].round(3)""",
    ),
    (
        "md",
        """## Putting one request in familiar terms""",
    ),
    (
        "py",
        """from ecologits_like import estimate
from ecologits_like.impacts.units import equivalents

impacts = estimate("openai", "gpt-4o", output_tokens=500)
print("energy:", impacts.energy.format(), "| emissions:", impacts.gwp.format(), "| water:", impacts.wcf.format())
for item in equivalents(impacts):
    print(" -", item)""",
    ),
    (
        "md",
        """Sources of the equivalents are on the [methodology](../methodology.md#familiar-equivalents) page.""",
    ),
]

UNCERTAINTY: list[Cell] = [
    (
        "md",
        """# Uncertainty: where the ranges come from and how to read them

Many estimates come back as a `RangeValue(min, max)` rather than a number. A range means
"somewhere in between": the inputs themselves are only known as ranges, and the engine
carries them through (the low scenario from all low inputs, the high one from all high
inputs). There are two main sources.""",
    ),
    (
        "md",
        """## 1. Undisclosed architectures

Closed models' sizes are not published; the data gives a bracket drawn from public estimates,
and the model carries the `model-arch-not-released` warning.""",
    ),
    (
        "py",
        """from ecologits_like import estimate
from ecologits_like.registry import get_registry

registry = get_registry()
info = registry.models.resolve("openai", "gpt-4o-mini").model
print(info.architecture, "total:", info.total_parameters, "active:", info.active_parameters)
print(info.warnings)

impacts = estimate("openai", "gpt-4o-mini", output_tokens=500)
print(impacts.energy.value, impacts.energy.unit)
print(impacts.energy.format(), [w.code for w in impacts.warnings])""",
    ),
    (
        "md",
        """## 2. Datacenter efficiency (PUE and WUE) known as a band

Some providers serve from more than one cloud, so their PUE and WUE are ranges. An open model
with a published size served on the Hugging Face Hub still gets a (narrow) range from that:""",
    ),
    (
        "py",
        """hub = registry.providers["huggingface_hub"]
print("PUE", hub.pue, "WUE", hub.wue)
llama = estimate("huggingface_hub", "meta-llama/Llama-3.1-8B-Instruct", output_tokens=500)
print(llama.energy.value)
print("width relative to the midpoint:", round(llama.energy.value.width / llama.energy.value.mean, 3))""",
    ),
    (
        "md",
        """Pinning the PUE (an override) removes that source; the energy becomes a single number.
Water keeps a range because the WUE is still a band:""",
    ),
    (
        "py",
        """pinned = estimate("huggingface_hub", "meta-llama/Llama-3.1-8B-Instruct", 500, datacenter_pue=1.1)
print(pinned.energy.value, pinned.wcf.value)""",
    ),
    (
        "md",
        """## How wide are the ranges across the data?

The ratio max / min of energy per request, for every model. Open models with exact sizes sit
at 1 (or just above, from the PUE band); closed models span a factor of several.""",
    ),
    (
        "py",
        """import numpy as np
from ecologits_like.compare import compare

everything = compare("all", output_tokens=500)
ratio = everything["energy_wh_max"] / everything["energy_wh_min"]
print(f"{(ratio > 1.1).mean():.0%} of {len(ratio)} models have a range wider than 10%")
ax = ratio.plot.hist(bins=np.logspace(0, np.log10(ratio.max() * 1.01), 30), logx=True, figsize=(6, 3))
ax.set_xlabel("energy max / min")
ax.set_ylabel("models")""",
    ),
    (
        "md",
        """## Reading ranges

* **The midpoint is not a best estimate.** `mean` is `(min + max) / 2`, handy for sorting, no
  more likely than any other point of the range.
* **Compare with certainty, or say you cannot.** `RangeValue` comparisons are true only when they
  hold for every value: `a < b` means `a.max < b.min`. Overlapping ranges cannot be ranked.
* **Sum ranges, don't average them away.** A session's total is the sum of its requests' ranges
  (interval arithmetic), so the total keeps the full uncertainty.""",
    ),
    (
        "py",
        """small = estimate("openai", "gpt-4o-mini", 500).energy.value
large = estimate("openai", "gpt-4o", 500).energy.value
print("gpt-4o-mini:", small, "\\ngpt-4o:     ", large)
print("certainly smaller:", small < large, "| overlapping:", small.overlaps(large))""",
    ),
    (
        "md",
        """What the ranges do *not* cover: the methodology's own modelling error (its fits, its
assumed batch size and hardware) — see [limitations](../limitations.md).""",
    ),
]


TRACE: list[Cell] = [
    (
        "md",
        """# Tracing an application

`EcoLogits.init()` patches the installed provider SDKs: every response then carries
`response.impacts`, and the requests made inside a `session` add up. Here an in-process
transport stands in for the OpenAI API, so the notebook runs offline; with a real API key,
drop the `http_client=` argument and nothing else changes.""",
    ),
    (
        "py",
        """import json

import httpx2  # the HTTP library the openai SDK itself uses
import openai


def fake_openai_api(request: httpx2.Request) -> httpx2.Response:
    \"\"\"Answers /chat/completions like the real API, with a usage block.\"\"\"
    body = json.loads(request.content)
    return httpx2.Response(200, json={
        "id": "chatcmpl-demo", "object": "chat.completion", "created": 1735689600,
        "model": body["model"] + "-2024-08-06",
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": "A token is a chunk of text. " * 25}}],
        "usage": {"prompt_tokens": 14, "completion_tokens": 200, "total_tokens": 214},
    })


transport = httpx2.MockTransport(fake_openai_api)
client = openai.OpenAI(api_key="sk-demo", http_client=httpx2.Client(transport=transport))""",
    ),
    ("md", "## Instrument, call, read `response.impacts`"),
    (
        "py",
        """from ecologits_like import EcoLogits

EcoLogits.init(providers=["openai"])
question = [{"role": "user", "content": "What is a token?"}]
response = client.chat.completions.create(model="gpt-4o-mini", messages=question)
print(type(response).__name__, "|", response.usage.completion_tokens, "output tokens")
print("energy:", response.impacts.energy.format(), "| emissions:", response.impacts.gwp.format())
print([w.code for w in response.impacts.warnings])""",
    ),
    (
        "md",
        """The response is the SDK's own `ChatCompletion`; `impacts` is added to it. The token count
is the one the API reported in `usage`.

## A session: totals over many requests""",
    ),
    (
        "py",
        """from ecologits_like.session import session

questions = ["What is a token?", "What is a context window?", "What is a prompt?"]
with session("support-bot", labels={"team": "docs"}) as support:
    for question in questions:
        client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": question}])
    client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "Summarise the above."}])

print(len(support), "requests | energy:", support.impacts.energy.format(), "| emissions:", support.impacts.gwp.format())
support.summary(as_frame=True)[["provider", "model", "requests"]]""",
    ),
    (
        "md",
        """Totals are sums of ranges: the session keeps the full uncertainty of its requests.

## Export a BoAmps report

[BoAmps](https://github.com/Boavizta/BoAmps) is Boavizta's open format for AI energy reports;
one report is written per provider, model and zone.""",
    ),
    (
        "py",
        """import tempfile
from pathlib import Path

from ecologits_like.exporters.boamps import from_records

reports = from_records(support.requests, publisher={"name": "ACME", "confidentialityLevel": "public"},
                       licensing="CC-BY-4.0", task_family="chatbot")
out = Path(tempfile.mkdtemp())
for number, report in enumerate(reports, start=1):
    (out / f"boamps-report-{number}.json").write_text(report.to_json())
first = json.loads(reports[0].to_json())
task = first["task"]
print(len(reports), "reports;", task["algorithms"][0]["foundationModelName"], task["nbRequest"], "request(s)")
print(first["task"]["taskDescription"][:300], "...")""",
    ),
    ("py", "EcoLogits.uninstrument()  # restore the SDK's original methods"),
    (
        "md",
        """See [sessions and reports](../sessions.md) and the [API reference](../api.md) for the options.""",
    ),
]

NOTEBOOKS_CELLS: dict[str, list[Cell]] = {
    "1-compare-providers.ipynb": COMPARE,
    "2-trace-an-application.ipynb": TRACE,
    "3-uncertainty.ipynb": UNCERTAINTY,
}


def build(name: str, cells: list[Cell]) -> nbformat.NotebookNode:
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook.metadata["language_info"] = {"name": "python"}
    for kind, source in cells:
        cell = nbformat.v4.new_markdown_cell(source) if kind == "md" else nbformat.v4.new_code_cell(source)
        notebook.cells.append(cell)
    for index, cell in enumerate(notebook.cells):
        cell["id"] = f"{Path(name).stem}-{index}"
    return notebook


def main(argv: list[str]) -> int:
    run = "--no-run" not in argv
    for name, cells in NOTEBOOKS_CELLS.items():
        notebook = build(name, cells)
        if run:
            client = NotebookClient(
                notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}
            )
            client.execute()
        nbformat.write(notebook, NOTEBOOKS / name)
        print("wrote", NOTEBOOKS / name)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
