"""Draw the chart of ``peers.py``'s results: ``PYTHON chart.py RESULTS.json CHART.png``.

Run by the benchmark's own tool environment, which has matplotlib; the project does not depend
on it, so it is imported by name and everything it returns is untyped.
"""

from __future__ import annotations

import importlib
import json
import sys
from typing import Any

COLOURS = {"vimport": "#1f77b4", "pip": "#ff7f0e", "uv": "#2ca02c", "info": "#9e9e9e"}


def draw(results: dict[str, Any], output: str) -> None:
    matplotlib = importlib.import_module("matplotlib")
    matplotlib.use("Agg")
    pyplot = importlib.import_module("matplotlib.pyplot")
    ticker = importlib.import_module("matplotlib.ticker")
    sections = results["sections"]
    panels = [*sections, {"title": results["disk"]["title"], "disk": results["disk"]["rows"]}]
    figure, axes = pyplot.subplots(
        len(panels), 1, figsize=(9, 2.2 * len(panels) + 0.6), squeeze=False
    )
    for axis, panel in zip(axes[:, 0], panels, strict=True):
        if "disk" in panel:
            labels = [row["label"] for row in panel["disk"]]
            values = [row["unique"] / 2**20 for row in panel["disk"]]
            colours = [COLOURS[row["role"]] for row in panel["disk"]]
            unit = "MiB on disk, each inode once (lower is better)"
        else:
            labels = [row["label"] for row in panel["rows"]]
            values = [row["median"] for row in panel["rows"]]
            colours = [COLOURS[row["role"]] for row in panel["rows"]]
            unit = "median ms (lower is better)"
        positions = list(range(len(labels)))[::-1]
        axis.barh(positions, values, color=colours)
        axis.set_yticks(positions, labels, fontsize=8)
        axis.set_title(panel["title"], fontsize=9, loc="left")
        axis.set_xlabel(unit, fontsize=8)
        if values and min(values) > 0 and max(values) / min(values) > 30:
            axis.set_xscale("log")
            axis.set_xlim(left=min(values) / 3, right=max(values) * 3)
            axis.xaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:g}"))
            axis.xaxis.set_minor_formatter(ticker.NullFormatter())
        else:
            axis.set_xlim(right=max(values) * 1.12)
        for position, value in zip(positions, values, strict=True):
            axis.annotate(
                f" {value:,.1f}" if value < 100 else f" {value:,.0f}",
                (value, position),
                va="center",
                fontsize=7,
            )
    figure.suptitle(results["title"], fontsize=10)
    figure.tight_layout(rect=(0, 0, 1, 0.98))
    figure.savefig(output, dpi=110)


def main(argv: list[str]) -> int:
    source, output = argv
    with open(source, encoding="utf-8") as f:
        draw(json.load(f), output)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
