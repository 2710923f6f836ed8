"""Charts for the reports as inline SVG (matplotlib, drawn without a display).

matplotlib is imported when the first chart is drawn (it costs most of a second), and only its
object API is used (``Figure`` with the Agg canvas), never pyplot's global state, so charts can be
drawn from several threads. Text stays text in the SVG (``svg.fonttype: none``), so a PDF made from
the report still has the chart's labels and figures as searchable text.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.axis import Axis
    from matplotlib.figure import Figure

#: colours of the series (colour-blind safe, from the Okabe-Ito palette)
BLUE, ORANGE, GREEN, GREY = "#0072B2", "#E69F00", "#009E73", "#999999"
_PROLOGUE = re.compile(r"^.*?(?=<svg)", re.S)
_ID = re.compile(r'\bid="([^"]+)"')
_REF = re.compile(r'(href="|url\()#')


def _figure(width: float = 6.4, height: float = 2.8) -> tuple[Figure, Axes]:
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    matplotlib.rcParams["svg.fonttype"] = "none"
    matplotlib.rcParams["svg.hashsalt"] = "ironwatch"  # the same chart gives the same SVG
    figure = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    axes.spines[["top", "right"]].set_visible(False)
    axes.tick_params(labelsize=8)
    return figure, axes


def _svg(figure: Figure) -> str:
    figure.tight_layout()
    out = io.StringIO()
    figure.savefig(out, format="svg", metadata={"Date": None})
    # inline in HTML: drop the XML declaration and doctype in front of <svg>
    svg = _PROLOGUE.sub("", out.getvalue(), count=1)
    # every chart names its parts line2d_1, text_1...: prefix them so several charts share one page
    prefix = "c" + hashlib.sha256(svg.encode()).hexdigest()[:8] + "-"
    svg = _ID.sub(lambda m: f'id="{prefix}{m.group(1)}"', svg)
    return _REF.sub(lambda m: f"{m.group(1)}#{prefix}", svg)


def _label_bars(axes: Axes, values: Sequence[float], fmt: str) -> None:
    for container in axes.containers:
        axes.bar_label(container, labels=[fmt.format(v) for v in values], fontsize=7, padding=2)  # type: ignore[arg-type]


def _whole_numbers(axis: Axis) -> None:
    """Ticks at whole numbers only: the charts count incidents."""
    from matplotlib.ticker import MaxNLocator

    axis.set_major_locator(MaxNLocator(integer=True))


def bar_chart(labels: Sequence[str], values: Sequence[float], *, title: str, ylabel: str = "") -> str:
    """Vertical bars with their values printed on them, e.g. incidents per month."""
    figure, axes = _figure()
    axes.bar(list(labels), list(values), color=BLUE)
    _label_bars(axes, values, "{:g}")
    _whole_numbers(axes.yaxis)
    axes.set_title(title, fontsize=10)
    axes.set_ylabel(ylabel, fontsize=8)
    if len(labels) > 8:
        axes.tick_params(axis="x", labelrotation=45)
    return _svg(figure)


def horizontal_bars(labels: Sequence[str], values: Sequence[float], *, title: str, xlabel: str = "") -> str:
    """Horizontal bars, largest first at the top, e.g. top categories or root causes."""
    figure, axes = _figure(height=max(1.6, 0.35 * len(labels) + 0.9))
    axes.barh(list(reversed(labels)), list(reversed(values)), color=ORANGE)
    _label_bars(axes, list(reversed(values)), "{:g}")
    _whole_numbers(axes.xaxis)
    axes.set_title(title, fontsize=10)
    axes.set_xlabel(xlabel, fontsize=8)
    return _svg(figure)


def grouped_bars(
    labels: Sequence[str], series: dict[str, Sequence[float | None]], *, title: str, ylabel: str = ""
) -> str:
    """Bars of several series side by side per label, e.g. p50 / p90 / p95 hours per MTT* figure."""
    figure, axes = _figure()
    colours = [BLUE, ORANGE, GREEN, GREY]
    width = 0.8 / max(1, len(series))
    for i, (name, values) in enumerate(series.items()):
        xs = [x + i * width for x in range(len(labels))]
        heights = [v or 0.0 for v in values]
        bars = axes.bar(xs, heights, width, label=name, color=colours[i % len(colours)])
        axes.bar_label(bars, labels=["-" if v is None else f"{v:.1f}" for v in values], fontsize=6, padding=1)
    axes.set_xticks([x + width * (len(series) - 1) / 2 for x in range(len(labels))], list(labels))
    axes.set_title(title, fontsize=10)
    axes.set_ylabel(ylabel, fontsize=8)
    axes.legend(fontsize=7, frameon=False)
    return _svg(figure)


def phases_chart(phases: Sequence[tuple[str, float, float]], *, title: str) -> str:
    """The incident's phases as a Gantt-like chart: (name, start hour, end hour) from the first step."""
    figure, axes = _figure(height=max(1.6, 0.4 * len(phases) + 0.9))
    names = [p[0] for p in phases]
    for row, (_, start, end) in enumerate(reversed(phases)):
        axes.barh(row, max(end - start, 0.02), left=start, color=GREEN)
        axes.text(end, row, f" {end - start:.1f} h", va="center", fontsize=7)
    axes.set_yticks(range(len(phases)), list(reversed(names)))
    axes.set_xlabel("hours since the incident occurred (or was detected)", fontsize=8)
    axes.set_title(title, fontsize=10)
    return _svg(figure)
