"""The PNG chart of a benchmark run (matplotlib, Agg backend: no display needed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

COLOURS = {"floor": "#9e9e9e", "stdlib": "#e08a3c", "ours": "#2f6db5"}
LEGEND = {"floor": "floors", "stdlib": "stdlib handlers", "ours": "loguru-syslog"}


def render(results: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.patches
    import matplotlib.pyplot as plt

    timed = [
        (name, case)
        for name, case in results["cases"].items()
        if case.get("status") == "ok" and case.get("unit") == "us/call"
    ]
    timed.reverse()  # barh draws bottom-up: keep the table's order top-down
    labels = [case["label"] for _, case in timed]
    medians = [case["median"] for _, case in timed]
    low = [case["median"] - case["min"] for _, case in timed]
    high = [case["max"] - case["median"] for _, case in timed]
    colours = [COLOURS.get(case["group"], "#555555") for _, case in timed]

    notes = [f"{t['name']}: {t['value_text']} ({t['limit_text']}) {t['verdict']}" for t in results["targets"]]
    height = 0.42 * len(timed) + 1.4 + 0.14 * len(notes)  # inches: bars, title and axis, target notes
    figure, axes = plt.subplots(figsize=(10, height), dpi=110)
    axes.barh(labels, medians, xerr=[low, high], color=colours, capsize=3, error_kw={"elinewidth": 1})
    for index, (_, case) in enumerate(timed):  # the median, right of the max whisker
        axes.text(case["max"], index, f"  {case['median']:.1f}", va="center", ha="left", fontsize=8)
    floor = results["cases"].get("loguru-noop", {})
    if floor.get("status") == "ok":
        axes.axvline(floor["median"], color=COLOURS["floor"], linestyle="--", linewidth=1)
    handles = [matplotlib.patches.Patch(color=colour, label=LEGEND[group]) for group, colour in COLOURS.items()]
    axes.legend(handles=handles, loc="center right", fontsize=8)
    axes.set_xlabel("microseconds per logging call (median; whiskers: min and max of the repetitions)")
    meta = results["meta"]
    axes.set_title(
        f"loguru-syslog benchmarks: {meta['count']} calls x {meta['repeat']} repetitions, "
        f"{meta['cpus']} vCPUs, Python {meta['python']}",
        fontsize=10,
    )
    axes.margins(x=0.15)
    figure.text(0.01, 0.1 / height, "\n".join(notes), fontsize=7.5, family="monospace", va="bottom")
    figure.subplots_adjust(left=0.34, right=0.97, top=1 - 0.35 / height, bottom=(0.75 + 0.14 * len(notes)) / height)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    plt.close(figure)
