"""Results as text, JSON or a self-contained HTML page (charts inline as data: URIs)."""
import html
import json


def _pct(value: float) -> str:
    return f"{100 * value:.1f}%"


def lengths_text(lengths: dict) -> list[str]:
    lines = []
    for unit in ("chars", "words"):
        groups = {"all": lengths[unit]["all"], **{f"kind={k}": v for k, v in lengths[unit]["by_kind"].items()}, **{f"{k}": v for k, v in lengths[unit]["by_spam"].items()}}
        lines.append(f"Message length in {unit}:")
        for name, s in groups.items():
            pct = s["percentiles"]
            exceed = "  ".join(f"P(>{t})={_pct(p)}" for t, p in s["p_exceeds"].items())
            lines.append(f"  {name:22} n={s['n']:<7} mean={s['mean']:.1f} median={pct['50']:.0f} p90={pct['90']:.0f} p99={pct['99']:.0f}  {exceed}")
    return lines


def _term_list(terms: list[dict], count: int = 10) -> str:
    return ", ".join(t["term"] for t in terms[:count]) or "(none)"


def terms_text(terms: dict) -> list[str]:
    lines = [f"Distinctive terms ({terms['documents']} messages, {terms['vocabulary']} terms):", f"  overall: {_term_list(terms['overall'])}"]
    for family in ("by_status", "by_month"):
        for value, group in terms.get(family, {}).items():
            lines.append(f"  {family[3:]}={value} ({group['messages']}): {_term_list(group['terms'])}")
    return lines


def topics_text(topics: dict) -> list[str]:
    lines = [f"Topics ({topics['documents']} messages):"]
    for topic in topics["topics"]:
        lines.append(f"  #{topic['id']} {_pct(topic['share']):>6}  {topic['label']}  [{', '.join(topic['terms'])}]")
    for month, row in topics["by_month"].items():
        lines.append(f"  {month}: " + " ".join(f"#{k}={_pct(share)}" for k, share in enumerate(row["shares"])))
    return lines


def spam_text(spam: dict) -> list[str]:
    metrics = spam.get("metrics")
    model = spam.get("model")
    lines = ["Spam:"]
    if model:
        lines.append(f"  model v{model.get('version')} trained {model.get('trained_at')} on {model.get('examples')} examples, data {str(model.get('data_hash'))[:12]}")
    else:
        lines.append("  no model trained yet (python manage.py analytics spam)")
    if metrics:
        lines.append(f"  cross-validated precision={metrics['precision']:.3f} recall={metrics['recall']:.3f} f1={metrics['f1']:.3f}")
    lines.append(f"  staff labels: {spam.get('labelled', {})}; flagged at intake: {spam.get('flagged_at_intake', {})}")
    return lines


def report_text(results: dict) -> str:
    lines = [f"Analytics report {results['created_at']}", f"Messages: {results['counts']['total']}  by kind {results['counts']['by_kind']}", ""]
    lines += lengths_text(results["lengths"]) + [""]
    lines += (terms_text(results["terms"]) if results.get("terms") else ["Distinctive terms: too few messages"]) + [""]
    lines += (topics_text(results["topics"]) if results.get("topics") else ["Topics: too few messages"]) + [""]
    lines += spam_text(results["spam"])
    return "\n".join(lines) + "\n"


def report_json(results: dict) -> str:
    return json.dumps(results, indent=2, sort_keys=True) + "\n"


def report_html(results: dict) -> str:
    charts = "".join(
        f'<figure><img alt="{html.escape(name)}" src="data:image/png;base64,{data}"><figcaption>{html.escape(name.replace("_", " "))}</figcaption></figure>\n'
        for name, data in results.get("charts", {}).items()
    )
    text = html.escape(report_text(results))
    return (
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>Maniva analytics {html.escape(results['created_at'])}</title></head>\n<body>\n"
        f"<h1>Analytics report</h1>\n<p>Created {html.escape(results['created_at'])}</p>\n{charts}<pre>{text}</pre>\n</body></html>\n"
    )


RENDERERS = {"text": report_text, "json": report_json, "html": report_html}
