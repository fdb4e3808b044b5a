"""Estimate the footprint of a few LLM requests without calling any API (works offline)."""

from ecologits_like import RangeValue, estimate, estimate_grid


def show(label: str, value: float | RangeValue, unit: str, scale: float = 1.0) -> None:
    if isinstance(value, RangeValue):
        # central: the methodology's best figure; min/max: the envelope of its uncertain inputs.
        print(
            f"  {label:<22} {value.central * scale:10.4f} {unit}"
            f"  (range {value.min * scale:.4f} to {value.max * scale:.4f})"
        )
    else:
        print(f"  {label:<22} {value * scale:10.4f} {unit}")


for provider, model in [("openai", "gpt-4o-mini"), ("mistralai", "mistral-small-latest")]:
    impacts = estimate(provider, model, output_tokens=500, input_tokens=2_000, request_latency=8.0)
    print(f"{provider}/{model}, 2,000 prompt tokens and 500 output tokens:")
    show("energy", impacts.energy.value, "Wh", 1000)
    show("GHG emissions", impacts.gwp.value, "gCO2eq", 1000)
    show("  of which embodied", impacts.embodied.gwp.value, "gCO2eq", 1000)
    show("water", impacts.wcf.value, "mL", 1000)
    for warning in impacts.warnings:
        print(f"  note: {warning.message}")

unknown = estimate("openai", "gpt-4o-mimi", output_tokens=500)
print("unknown model ->", unknown.errors[0].message)

grid = estimate_grid([("openai", "gpt-4o"), ("anthropic", "claude-3-5-haiku-latest")], [100, 1000, 10000])
print("energy (Wh, central estimate) for 100 / 1,000 / 10,000 output tokens:")
for (provider, model), row in zip(grid.models, grid.central["energy"] * 1000, strict=True):
    print(f"  {provider}/{model}: " + " / ".join(f"{v:.3f}" for v in row))
