"""What search engines and link previews read: the Organization in JSON-LD."""
import json

from django.conf import settings
from django.templatetags.static import static
from django.utils.safestring import SafeString, mark_safe

# As django.utils.html.json_script does: nothing inside the data can close the <script> element.
_JSON_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


def organization_ld() -> dict:
    site = settings.SITE_URL
    return {
        "@context": "https://schema.org",
        "@type": "Organization",
        "name": "Maniva Digital",
        "url": f"{site}/",
        "logo": f"{site}{static('img/icon-512.png')}",
        "email": "hello@maniva.digital",
        "description": "Digital agency for web design and development, digital marketing, and data and AI insights.",
        "knowsAbout": ["Web design", "Web development", "Digital marketing", "Search engine optimisation", "Data analytics", "Machine learning"],
        "contactPoint": {
            "@type": "ContactPoint",
            "contactType": "sales",
            "email": "hello@maniva.digital",
            "url": f"{site}/contact/",
            "availableLanguage": ["en", "pt"],
        },
    }


def ld_json(data: dict) -> SafeString:
    """JSON for an inline <script type="application/ld+json">: a data block, never executed, so the
    strict CSP (no 'unsafe-inline') does not apply to it."""
    return mark_safe(json.dumps(data, ensure_ascii=False, separators=(",", ":")).translate(_JSON_ESCAPES))
