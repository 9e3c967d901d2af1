"""What search engines and link previews read: the Organization in JSON-LD."""
import json

from django.conf import settings
from django.templatetags.static import static
from django.utils.safestring import SafeString, mark_safe

from maniva_webapp.content import site_content

# As django.utils.html.json_script does: nothing inside the data can close the <script> element.
_JSON_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


def organization_ld() -> dict:
    site = settings.SITE_URL
    company = site_content().company
    return {
        "@context": "https://schema.org",
        "@type": "Organization",
        "name": str(company.name),
        "url": f"{site}/",
        "logo": f"{site}{static('img/icon-512.png')}",
        "email": company.email,
        "description": str(company.summary),
        "knowsAbout": ["Web design", "Web development", "Digital marketing", "Search engine optimisation", "Data analytics", "Machine learning"],
        "contactPoint": {
            "@type": "ContactPoint",
            "contactType": "sales",
            "email": company.email,
            "url": f"{site}/contact/",
            "availableLanguage": ["en", "pt"],
        },
    }


def ld_json(data: dict) -> SafeString:
    """JSON for an inline <script type="application/ld+json">: a data block, never executed, so the
    strict CSP (no 'unsafe-inline') does not apply to it."""
    return mark_safe(json.dumps(data, ensure_ascii=False, separators=(",", ":")).translate(_JSON_ESCAPES))
