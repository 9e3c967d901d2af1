"""Results as text, JSON or a self-contained HTML page (charts inline as data: URIs)."""
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
    return ", ".join(f"{t['term']} ({t['score']:.3f})" for t in terms[:count]) or "(none)"


def terms_text(terms: dict) -> list[str]:
    lines = [f"Distinctive terms ({terms['documents']} messages, {terms['vocabulary']} terms; score: mean TF-IDF, in a group minus outside it):",
             f"  overall: {_term_list(terms['overall'])}"]
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


def _changed(item: dict) -> str:
    return (f"{item['name']}: {item['count']} messages ({_pct(item['share'])}) against {item['before']} ({_pct(item['before_share'])}), "
            f"lift {item['lift']:.1f}")


def changes_definition(changes: dict) -> str:
    rules = changes["rules"]
    return (f"{changes['month']} ({changes['messages']} messages) against {', '.join(changes['baseline'])} "
            f"({changes['baseline_messages']} messages). Emerging: in at least {rules['min_count']} messages and "
            f"{100 * rules.get('min_share', 0):g}% of this month's, "
            f"and a share of messages at least {rules['term_lift']:g}× (terms) or {rules['topic_lift']:g}× (topics) the earlier "
            "months' share, smoothed by one message.")


def changes_text(changes: dict | None) -> list[str]:
    if not changes:
        return ["What changed this month: only one month of messages, nothing to compare with"]
    lines = [f"What changed this month: {changes_definition(changes)}"]
    for family in ("topics", "terms"):
        found = changes[family]
        lines.append(f"  emerging {family}: " + ("none" if not found else ""))
        lines += [f"    {_changed(item)}" for item in found]
    return lines


def quality_line(entry: dict) -> str:
    scores = " ".join(f"{key}={entry[key]:.3f}" for key in ("precision", "recall", "f1") if key in entry)
    return f"{entry['model']}: {scores} by {entry['method']}, on {entry['n']:,} examples ({entry.get('positives', 0):,} spam) from {entry['data']}"


def spam_text(spam: dict) -> list[str]:
    model = spam.get("model")
    lines = ["Spam:"]
    if model:
        lines.append(f"  model v{model.get('version')} trained {model.get('trained_at')} on {model.get('examples')} examples, data {str(model.get('data_hash'))[:12]}")
    else:
        lines.append("  no model trained yet (python manage.py analytics spam)")
    lines.append(f"  staff labels: {spam.get('labelled', {})}; flagged at intake: {spam.get('flagged_at_intake', {})}")
    lines.append("Model quality (on real corpora and staff labels only, with the sample size):")
    lines += [f"  {quality_line(entry)}" for entry in spam.get("quality") or []] or ["  no stored evaluation"]
    return lines


def report_text(results: dict) -> str:
    lines = [f"Analytics report {results['created_at']}", f"Messages: {results['counts']['total']}  by kind {results['counts']['by_kind']}", ""]
    lines += changes_text(results.get("changes")) + [""]
    lines += lengths_text(results["lengths"]) + [""]
    lines += (terms_text(results["terms"]) if results.get("terms") else ["Distinctive terms: too few messages"]) + [""]
    lines += (topics_text(results["topics"]) if results.get("topics") else ["Topics: too few messages"]) + [""]
    lines += spam_text(results["spam"])
    return "\n".join(lines) + "\n"


def report_json(results: dict) -> str:
    return json.dumps(results, indent=2, sort_keys=True) + "\n"


def report_html(results: dict) -> str:
    from analytics.html_report import report_page

    return report_page(results)


RENDERERS = {"text": report_text, "json": report_json, "html": report_html}
