"""The report as one self-contained HTML page in the site's brand: charts inline as SVG data: URIs,
each with its title and a one-sentence caption; terms and topics as tables with their scores; what
changed this month; the model quality figures with their sample sizes. Everything typed by people
(terms, topic labels) is escaped."""
from html import escape

from analytics.brand import Brand


def _pct(value: float) -> str:
    return f"{100 * value:.1f}%"


def _table(headers: list[str], rows: list[list[str]], *, numeric_from: int = 1) -> str:
    head = "".join(f'<th scope="col"{" class=num" if i >= numeric_from else ""}>{escape(h)}</th>' for i, h in enumerate(headers))
    body = "".join(
        "<tr>" + "".join(f'<td{" class=num" if i >= numeric_from else ""}>{escape(str(cell))}</td>' for i, cell in enumerate(row)) + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _style(brand: Brand) -> str:
    return f"""
body {{ font-family: {brand.font_family}; color: {brand.text}; margin: 0; line-height: 1.5; background: #fff; }}
header {{ background: {brand.primary}; color: #fff; padding: 1.25rem 2rem; }}
header p {{ margin: .25rem 0 0; opacity: .9; }}
main {{ max-width: 60rem; margin: 0 auto; padding: 1rem 2rem 3rem; }}
h1 {{ margin: 0; font-size: 1.6rem; }}
h2 {{ color: {brand.strong}; border-bottom: 3px solid {brand.soft}; padding-bottom: .25rem; margin-top: 2.5rem; }}
h3 {{ color: {brand.strong}; margin-bottom: .25rem; }}
figure {{ margin: 1.5rem 0; padding: 1rem; background: {brand.tint}; border-radius: .5rem; }}
figure img {{ width: 100%; height: auto; background: #fff; }}
figcaption {{ margin-top: .5rem; }}
table {{ border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; font-size: .95rem; }}
th, td {{ text-align: left; padding: .3rem .5rem; border-bottom: 1px solid {brand.soft}; vertical-align: top; }}
th {{ background: {brand.soft}; }}
.num {{ text-align: right; font-variant-numeric: tabular-nums; }}
.note {{ color: {brand.muted}; font-size: .9rem; }}
.flag {{ border-left: 4px solid {brand.accent}; padding-left: .75rem; }}
pre {{ white-space: pre-wrap; font-size: .8rem; }}
"""


def _changes(changes: dict | None) -> str:
    from analytics.render import changes_definition

    if not changes:
        return '<p>Only one month of messages so far: nothing to compare with.</p>'
    parts = [f'<p class="note">{escape(changes_definition(changes))}</p>']
    headers = ["", "messages this month", "share", "earlier", "earlier share", "lift"]
    for family, title in (("topics", "Emerging topics"), ("terms", "Emerging terms")):
        found = changes[family]
        if not found:
            parts.append(f"<h3>{title}</h3><p>None: no {family[:-1]} grew past the thresholds.</p>")
            continue
        top = found[0]
        parts.append(
            f'<h3>{title}</h3><p class="flag">“{escape(top["name"])}” rose to {top["count"]:,} messages ({_pct(top["share"])}) '
            f'from {_pct(top["before_share"])} in the months before.</p>'
        )
        rows = [[i["name"], f"{i['count']:,}", _pct(i["share"]), f"{i['before']:,}", _pct(i["before_share"]), f"{i['lift']:.1f}×"] for i in found]
        parts.append(_table([family[:-1].title(), *headers[1:]], rows))
    return "".join(parts)


def _charts(charts: dict) -> str:
    parts = []
    for name, chart in charts.items():
        if isinstance(chart, str):  # a report stored before charts had titles: a bare PNG
            chart = {"title": name.replace("_", " ").capitalize(), "caption": "", "image": f"data:image/png;base64,{chart}"}
        parts.append(
            f'<figure id="chart-{escape(name)}"><h3>{escape(chart["title"])}</h3>'
            f'<img src="{escape(chart["image"])}" alt="{escape(chart["title"])}. {escape(chart.get("caption", ""))}">'
            f'<figcaption>{escape(chart.get("caption", ""))}</figcaption></figure>'
        )
    return "".join(parts)


def _terms(terms: dict | None) -> str:
    if not terms:
        return "<p>Too few messages to rank terms.</p>"
    parts = [
        f'<p class="note">Score: the term\'s mean TF-IDF weight over the {terms["documents"]:,} messages (spam left out); '
        "in a group, its mean inside the group minus its mean outside it.</p>",
        _table(["Term", "score", "messages"], [[t["term"], f"{t['score']:.4f}", f"{t['docs']:,}"] for t in terms["overall"]]),
    ]
    for status, group in terms.get("by_status", {}).items():
        listed = ", ".join(f"{t['term']} ({t['score']:.3f})" for t in group["terms"][:8]) or "none"
        parts.append(f"<p><strong>{escape(status)}</strong> ({group['messages']:,} messages): {escape(listed)}</p>")
    return "".join(parts)


def _topics(topics: dict | None) -> str:
    if not topics or not topics.get("topics"):
        return "<p>Too few messages for topics.</p>"
    rows = [[t["label"], f"{t['messages']:,}", _pct(t["share"]), ", ".join(t["terms"])] for t in topics["topics"]]
    note = (f'<p class="note">{len(topics["topics"])} topics of the {topics["requested"]} asked for: '
            "topics no message went to are dropped, and twins with the same leading terms merged.</p>")
    return note + _table(["Topic", "messages", "share", "terms"], rows, numeric_from=1)


def _quality(spam: dict) -> str:
    entries = spam.get("quality") or []
    if not entries:
        return ("<p>No stored evaluation on real data. Train the spam model on the staff's labels and a real corpus "
                "(<code>python manage.py analytics spam --seed-corpus data/sms_spam_collection.csv</code>) for its figures. "
                "Figures on generated demo data are never shown.</p>")
    rows = [[e["model"], e["method"], e["data"], f"{e['n']:,}", f"{e.get('positives', 0):,}",
             *(f"{e[k]:.3f}" if k in e else "–" for k in ("precision", "recall", "f1"))] for e in entries]
    return ('<p class="note">Only figures measured on real corpora or staff labels, each with its sample size.</p>'
            + _table(["Model", "measured by", "data", "examples", "spam", "precision", "recall", "F1"], rows, numeric_from=3))


def report_page(results: dict) -> str:
    from analytics.render import report_text

    brand = Brand(**results["brand"]) if results.get("brand") else Brand()
    counts = results["counts"]
    params = results.get("params", {})
    window = f"{params.get('since') or 'the first message'} to {params.get('until') or 'now'}"
    spam = results.get("spam") or {}
    return (
        f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(brand.name)} analytics {escape(results['created_at'])}</title><style>{_style(brand)}</style></head>\n<body>\n"
        f"<header><h1>{escape(brand.name)}: analytics report</h1>"
        f"<p>Created {escape(results['created_at'])} · {counts['total']:,} messages from {escape(window)}</p></header>\n<main>\n"
        f'<section id="changes"><h2>What changed this month</h2>{_changes(results.get("changes"))}</section>\n'
        f'<section id="charts"><h2>Charts</h2>{_charts(results.get("charts", {}))}</section>\n'
        f'<section id="terms"><h2>Distinctive terms</h2>{_terms(results.get("terms"))}</section>\n'
        f'<section id="topics"><h2>Topics</h2>{_topics(results.get("topics"))}</section>\n'
        f'<section id="quality"><h2>Model quality</h2>{_quality(spam)}</section>\n'
        f'<section id="text"><details><summary>The whole report as text</summary><pre>{escape(report_text(results))}</pre></details></section>\n'
        "</main></body></html>\n"
    )
