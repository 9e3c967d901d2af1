"""Report charts drawn with matplotlib's Agg canvas (no pyplot, no display), as base64 PNG strings."""
import base64
import io

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure


def _png(figure: Figure) -> str:
    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.tight_layout()
    figure.savefig(buffer, format="png", dpi=90, metadata={"Software": None})
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _positions(labels: list[str]) -> list[int]:
    """Bar and line positions for text labels. Passing the strings themselves makes matplotlib guess
    their units, and labels such as months ("2026-01") or numeric terms ("2026") make it log
    "Using categorical units to plot a list of strings that are all parsable as floats or dates"
    once per axis conversion; plain positions with tick labels draw the same chart without a guess."""
    return list(range(len(labels)))


def lengths_chart(summary: dict, *, title: str = "Message length (characters)") -> str:
    figure = Figure(figsize=(7, 3.2))
    axes = figure.add_subplot()
    edges = np.asarray(summary["histogram"]["edges"])
    counts = np.asarray(summary["histogram"]["counts"])
    axes.bar(edges[:-1], counts / max(counts.sum(), 1) / np.diff(edges), width=np.diff(edges), align="edge", alpha=0.5, label="histogram")
    if summary.get("kde"):
        axes.plot(summary["kde"]["x"], summary["kde"]["density"], color="C1", label="kernel density")
    axes.set_title(title)
    axes.set_ylabel("density")
    axes.legend()
    return _png(figure)


def terms_chart(terms: list[dict], *, title: str = "Most distinctive terms") -> str:
    terms = terms[:15][::-1]
    figure = Figure(figsize=(7, 0.3 * len(terms) + 1))
    axes = figure.add_subplot()
    labels = [t["term"] for t in terms]
    axes.barh(_positions(labels), [t["score"] for t in terms], color="C2")
    axes.set_yticks(_positions(labels), labels)
    axes.set_title(title)
    axes.set_xlabel("mean TF-IDF")
    return _png(figure)


def topics_chart(topics: list[dict]) -> str:
    figure = Figure(figsize=(7, 0.35 * len(topics) + 1))
    axes = figure.add_subplot()
    labels = [t["label"] for t in topics][::-1]
    axes.barh(_positions(labels), [t["share"] for t in topics][::-1], color="C4")
    axes.set_yticks(_positions(labels), labels)
    axes.set_title("Share of messages per topic")
    return _png(figure)


def topic_trend_chart(by_month: dict, topics: list[dict]) -> str:
    months = sorted(by_month)
    figure = Figure(figsize=(7, 3.5))
    axes = figure.add_subplot()
    for topic in topics:
        axes.plot(_positions(months), [by_month[m]["shares"][topic["id"]] for m in months], marker="o", label=topic["label"])
    axes.set_xticks(_positions(months), months)
    axes.set_title("Topic share per month")
    axes.tick_params(axis="x", rotation=45)
    axes.legend(fontsize="x-small")
    return _png(figure)


def monthly_chart(by_month: dict) -> str:
    months = sorted(by_month)
    figure = Figure(figsize=(7, 3))
    axes = figure.add_subplot()
    axes.bar(_positions(months), [by_month[m] for m in months], color="C0")
    axes.set_xticks(_positions(months), months)
    axes.set_title("Messages per month")
    axes.tick_params(axis="x", rotation=45)
    return _png(figure)


def report_charts(results: dict) -> dict[str, str]:
    charts = {"messages_per_month": monthly_chart(results["counts"]["by_month"])}
    charts["lengths"] = lengths_chart(results["lengths"]["chars"]["all"])
    if results.get("terms") and results["terms"]["overall"]:
        charts["terms"] = terms_chart(results["terms"]["overall"])
    if results.get("topics"):
        charts["topics"] = topics_chart(results["topics"]["topics"])
        if len(results["topics"]["by_month"]) >= 2:
            charts["topic_trend"] = topic_trend_chart(results["topics"]["by_month"], results["topics"]["topics"])
    return charts
