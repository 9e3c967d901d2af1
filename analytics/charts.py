"""Report charts drawn with matplotlib (no pyplot, no display) as SVG in the site's brand.

Every chart comes as a dict: `title`, `x_label`, `y_label` (the axes in words), `caption` (one
sentence saying what it shows, with the figures that matter) and `image` (a data: URI of the SVG).
The SVG keeps its text as text, so the title and axis labels can be read (and searched) in it, and
it is shown in the site's own font stack."""
import base64
import io
from collections.abc import Callable

import matplotlib
import numpy as np
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure

from analytics.brand import Brand

LAYOUT_FONT = "DejaVu Sans"  # matplotlib's own font, wider than most system fonts: what fits in it fits in theirs


def _style(brand: Brand) -> dict:
    return {
        "svg.fonttype": "none", "svg.hashsalt": "maniva-report", "font.family": "sans-serif", "font.sans-serif": [LAYOUT_FONT],
        "text.color": brand.text, "axes.labelcolor": brand.text, "axes.titlecolor": brand.strong, "axes.titleweight": "bold",
        "axes.titlesize": 12, "axes.labelsize": 10, "axes.edgecolor": brand.muted, "xtick.color": brand.muted,
        "ytick.color": brand.muted, "axes.spines.top": False, "axes.spines.right": False, "axes.grid": True,
        "grid.color": brand.soft, "axes.axisbelow": True, "axes.prop_cycle": matplotlib.cycler(color=brand.series),
    }


def _svg(figure: Figure, brand: Brand) -> str:
    FigureCanvasSVG(figure)
    buffer = io.StringIO()
    figure.tight_layout()
    figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    # Laid out in matplotlib's font, shown in the site's: the brand stack replaces it in every label.
    fonts = brand.font_family.replace('"', "'")
    svg = buffer.getvalue().replace(f"'{LAYOUT_FONT}', sans-serif", fonts)
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def _chart(brand: Brand, draw: Callable[[Figure], object], *, title: str, x_label: str, y_label: str, caption: str, size=(7, 3.2)) -> dict:
    with matplotlib.rc_context(_style(brand)):
        figure = Figure(figsize=size)
        axes = figure.add_subplot()
        draw(axes)
        axes.set_title(title, loc="left")
        axes.set_xlabel(x_label)
        axes.set_ylabel(y_label)
        image = _svg(figure, brand)
    return {"title": title, "x_label": x_label, "y_label": y_label, "caption": caption, "image": image}


def _positions(labels: list[str]) -> list[int]:
    """Bar and line positions for text labels. Passing the strings themselves makes matplotlib guess
    their units, and labels such as months ("2026-01") or numeric terms ("2026") make it log
    "Using categorical units to plot a list of strings that are all parsable as floats or dates"
    once per axis conversion; plain positions with tick labels draw the same chart without a guess."""
    return list(range(len(labels)))


def _pct(value: float) -> str:
    return f"{100 * value:.0f}%" if value >= 0.1 else f"{100 * value:.1f}%"


def monthly_chart(by_month: dict, brand: Brand = Brand()) -> dict:
    months = sorted(m for m in by_month if m != "unknown")
    counts = [by_month[m] for m in months]
    busiest = max(months, key=lambda m: (by_month[m], m)) if months else None

    def draw(axes) -> None:
        axes.bar(_positions(months), counts, color=brand.primary)
        axes.set_xticks(_positions(months), months)
        axes.tick_params(axis="x", rotation=45)

    total = sum(counts)
    caption = (f"How many messages arrived each month, spam included: {total:,} in all, the most in {busiest} ({by_month[busiest]:,})."
               if busiest else "How many messages arrived each month: none have a date.")
    return _chart(brand, draw, title="Messages per month", x_label="Month received", y_label="Messages", caption=caption)


def lengths_chart(summary: dict, brand: Brand = Brand()) -> dict:
    edges = np.asarray(summary["histogram"]["edges"])
    counts = np.asarray(summary["histogram"]["counts"])

    def draw(axes) -> None:
        axes.bar(edges[:-1], counts / max(counts.sum(), 1) / np.diff(edges), width=np.diff(edges), align="edge",
                 color=brand.soft, edgecolor=brand.primary, linewidth=0.5, label="histogram")
        if summary.get("kde"):
            axes.plot(summary["kde"]["x"], summary["kde"]["density"], color=brand.accent_text, label="smoothed (kernel density)")
        axes.legend(frameon=False)

    pct = summary["percentiles"]
    caption = (f"How long the {summary['n']:,} messages are: half are shorter than {pct['50']:.0f} characters, "
               f"one in ten is longer than {pct['90']:.0f}.")
    return _chart(brand, draw, title="How long messages are", x_label="Length of the message (characters)",
                  y_label="Share of messages per character", caption=caption)


def terms_chart(terms: list[dict], *, documents: int, brand: Brand = Brand()) -> dict:
    shown = terms[:15][::-1]
    labels = [t["term"] for t in shown]

    def draw(axes) -> None:
        bars = axes.barh(_positions(labels), [t["score"] for t in shown], color=brand.primary)
        axes.bar_label(bars, labels=[f"{t['score']:.3f}" for t in shown], padding=3, fontsize=8, color=brand.text)
        axes.set_yticks(_positions(labels), labels)
        axes.margins(x=0.15)

    top = terms[0]
    caption = (f"The words and two-word phrases that weigh most in the {documents:,} messages (spam left out), scored by their "
               f"mean TF-IDF weight; “{top['term']}” leads with {top['score']:.3f}, in {top['docs']:,} messages.")
    return _chart(brand, draw, title="Most distinctive terms", x_label="Mean TF-IDF weight (higher: more characteristic)",
                  y_label="Term", caption=caption, size=(7, 0.3 * len(shown) + 1.4))


def topics_chart(topics: dict, brand: Brand = Brand()) -> dict:
    rows = topics["topics"][::-1]
    labels = [t["label"] for t in rows]

    def draw(axes) -> None:
        bars = axes.barh(_positions(labels), [100 * t["share"] for t in rows], color=brand.primary)
        axes.bar_label(bars, labels=[f"{t['messages']:,}" for t in rows], padding=3, fontsize=8, color=brand.text)
        axes.set_yticks(_positions(labels), labels)
        axes.margins(x=0.15)

    biggest = topics["topics"][0]
    caption = (f"Each of the {topics['documents']:,} messages goes to the topic it weighs most on (the number of messages at the end "
               f"of each bar); the biggest, “{biggest['label']}”, holds {_pct(biggest['share'])}.")
    return _chart(brand, draw, title="Share of messages per topic", x_label="Share of messages (%)",
                  y_label="Topic (its three leading terms)", caption=caption, size=(7, 0.35 * len(rows) + 1.4))


def topic_trend_chart(topics: dict, brand: Brand = Brand()) -> dict:
    by_month = topics["by_month"]
    months = sorted(by_month)

    def draw(axes) -> None:
        for topic in topics["topics"]:
            axes.plot(_positions(months), [100 * by_month[m]["shares"][topic["id"]] for m in months], marker="o", label=topic["label"])
        axes.set_xticks(_positions(months), months)
        axes.tick_params(axis="x", rotation=45)
        axes.legend(fontsize="x-small", frameon=False)

    caption = (f"Each line is one topic's share of the messages of each month, {months[0]} to {months[-1]}; "
               "a line that climbs is a theme people write about more.")
    return _chart(brand, draw, title="Topic share per month", x_label="Month received", y_label="Share of the month's messages (%)",
                  caption=caption, size=(7, 3.6))


def report_charts(results: dict, brand: Brand = Brand()) -> dict[str, dict]:
    charts = {"messages_per_month": monthly_chart(results["counts"]["by_month"], brand)}
    charts["lengths"] = lengths_chart(results["lengths"]["chars"]["all"], brand)
    if results.get("terms") and results["terms"]["overall"]:
        charts["terms"] = terms_chart(results["terms"]["overall"], documents=results["terms"]["documents"], brand=brand)
    if results.get("topics") and results["topics"]["topics"]:
        charts["topics"] = topics_chart(results["topics"], brand)
        if len(results["topics"]["by_month"]) >= 2:
            charts["topic_trend"] = topic_trend_chart(results["topics"], brand)
    return charts
