"""The targets of issues 10 and 23 next to this run's figures, one row each; a figure not measured in this
run (a skipped step, a refused page) has no row."""

from bench_http import Medians
from deep_pages import Latencies


def _row(target: str, goal: str, value: float, met: bool, unit: str = "") -> str:
    return f"| {target} | {goal} | {value:.2f}{unit} | {'yes' if met else 'NO'} |"


def _http(figures: Medians) -> list[str]:
    def ratio(scenario: str, other: str) -> float:
        return figures[scenario, "generated"]["rate"] / figures[scenario, other]["rate"]

    one = figures["one", "generated"]
    spread = one["p99_ms"] / one["p50_ms"]
    return [
        _row("GET one: generated ÷ raw", "≥ 0.35 (stretch 0.42)", ratio("one", "raw"), ratio("one", "raw") >= 0.35),
        _row("GET one: generated ÷ ORM", "≥ 2.0", ratio("one", "ORM"), ratio("one", "ORM") >= 2.0),
        _row("GET one: generated p99 ÷ p50", "≤ 2.5", spread, spread <= 2.5),
        _row("list page: generated ÷ raw", "≥ 0.5", ratio("list", "raw"), ratio("list", "raw") >= 0.5),
        _row("list page: generated ÷ ORM", "≥ 3.5", ratio("list", "ORM"), ratio("list", "ORM") >= 3.5),
        *_floor(figures),
    ]


def _floor(figures: Medians) -> list[str]:
    """Issue 23: the generated service against the FastAPI floor."""
    rows = []
    for scenario, label, rate_goal, cpu_goal in (("one", "GET one", 0.65, 1.5), ("list", "list page", 0.95, 2.0)):
        generated, floor = figures[scenario, "generated"], figures[scenario, "floor"]
        rate, cpu = generated["rate"] / floor["rate"], generated["cpu_us"] / floor["cpu_us"]
        rows.append(_row(f"{label}: generated ÷ floor", f"≥ {rate_goal:.2f}", rate, rate >= rate_goal))
        rows.append(_row(f"{label}: server CPU/req ÷ floor's", f"≤ {cpu_goal:.1f}", cpu, cpu <= cpu_goal, "x"))
    return rows


def _deep(latencies: Latencies) -> list[str]:
    sizes = sorted({size for size, _app in latencies})
    small, large = latencies.get((sizes[0], "generated"), {}), latencies.get((sizes[-1], "generated"), {})
    rows = []
    if len(sizes) > 1 and isinstance(small.get("first"), float) and isinstance(large.get("first"), float):
        growth = large["first"] / small["first"]
        rows.append(_row(f"first page at {sizes[-1]:,} ÷ at {sizes[0]:,}", "≤ 1.5", growth, growth <= 1.5))
    if isinstance(large.get("cursor"), float) and isinstance(large.get("first"), float):
        depth = large["cursor"] / large["first"]
        rows.append(_row(f"cursor page near the end ÷ first page, {sizes[-1]:,}", "≤ 1.5", depth, depth <= 1.5))
    return rows


def _generation(medians: dict[str, float]) -> list[str]:
    goals = {
        "copy": ("copier copy, median", 1.5),
        "domain": ("domain add, median", 1.0),
        "suite": ("fresh service suite (SQLite), median", 10.0),
    }
    return [
        _row(label, f"< {goal:.1f} s", medians[key], medians[key] < goal, " s")
        for key, (label, goal) in goals.items()
        if key in medians
    ]


def report(http: Medians | None, deep: Latencies | None, generation: dict[str, float] | None) -> list[str]:
    rows = [
        *(_http(http) if http else []),
        *(_deep(deep) if deep else []),
        *(_generation(generation) if generation else []),
    ]
    return ["| target (issues 10, 23) | goal | this run | met |", "|---|---|---:|---|", *rows] if rows else []
