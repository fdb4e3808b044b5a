"""Estimate the footprint of a few LLM requests without calling any API (works offline)."""

from ecologits_like import RangeValue, estimate, estimate_grid


def show(label: str, value: float | RangeValue, unit: str, scale: float = 1.0) -> None:
    if isinstance(value, RangeValue):
        print(f"  {label:<22} {value.min * scale:10.4f} to {value.max * scale:10.4f} {unit}")
    else:
        print(f"  {label:<22} {value * scale:10.4f} {unit}")


for provider, model in [("openai", "gpt-4o-mini"), ("mistralai", "mistral-small-latest")]:
    impacts = estimate(provider, model, output_tokens=500, request_latency=8.0)
    print(f"{provider}/{model}, 500 output tokens:")
    show("energy", impacts.energy.value, "Wh", 1000)
    show("GHG emissions", impacts.gwp.value, "gCO2eq", 1000)
    show("  of which embodied", impacts.embodied.gwp.value, "gCO2eq", 1000)
    show("water", impacts.wcf.value, "mL", 1000)
    for warning in impacts.warnings:
        print(f"  note: {warning.message}")

unknown = estimate("openai", "gpt-4o-mimi", output_tokens=500)
print("unknown model ->", unknown.errors[0].message)

grid = estimate_grid([("openai", "gpt-4o"), ("anthropic", "claude-3-5-haiku-latest")], [100, 1000, 10000])
print("energy (Wh, upper bound) for 100 / 1,000 / 10,000 output tokens:")
for (provider, model), row in zip(grid.models, grid.high["energy"] * 1000, strict=True):
    print(f"  {provider}/{model}: " + " / ".join(f"{v:.3f}" for v in row))
