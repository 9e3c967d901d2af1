"""What the browser tests ask of a page."""
from playwright.sync_api import Page


def axe_violations(page: Page) -> list[str]:
    """axe-core's WCAG 2.0–2.2 A/AA rules plus its best practices; one line per failing rule."""
    result = page.evaluate(
        """() => axe.run(document, {
            runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]},
            resultTypes: ["violations"],
        })"""
    )
    return [f"{v['id']}: {v['help']} → {[n['target'] for n in v['nodes']][:5]}" for v in result["violations"]]


def horizontal_overflow(page: Page) -> int:
    """How many CSS pixels the page is wider than the viewport (0 when there is no sideways scroll)."""
    return page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
