from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.urls import reverse


class PublicPagesSitemap(Sitemap):
    """The public pages, addressed through SITE_URL (like the canonical links), not the Host header."""

    changefreq = "monthly"

    def items(self) -> list[str]:
        return ["landing", "contact:contact", "contact:consultation", "privacy"]

    def location(self, item: str) -> str:
        return reverse(item)

    def priority(self, item: str) -> float:
        return 1.0 if item == "landing" else 0.5

    def get_domain(self, site=None) -> str:
        return urlsplit(settings.SITE_URL).netloc

    def get_protocol(self, protocol: str | None = None) -> str:
        return urlsplit(settings.SITE_URL).scheme or "https"


SITEMAPS = {"pages": PublicPagesSitemap}
