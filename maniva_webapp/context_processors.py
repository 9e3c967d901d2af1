from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from maniva_webapp import content


def site_content(request: HttpRequest) -> dict:
    """`site` (the parsed content file) and `site_lang` (<html lang>), read only by pages that use them."""
    return {"site": SimpleLazyObject(content.site_content), "site_lang": SimpleLazyObject(content.html_lang)}
