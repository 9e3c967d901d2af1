"""Template helpers for the public pages: absolute URLs for sharing tags, and block capture so a
page's title and description are written once and reused by <title>, OpenGraph and Twitter tags."""
import re

from django import template
from django.conf import settings
from django.templatetags.static import static
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.simple_tag(takes_context=True)
def canonical_url(context: template.Context) -> str:
    """SITE_URL + path, never the Host header: the canonical address must not follow the request."""
    request = context.get("request")
    return f"{settings.SITE_URL}{request.path if request else '/'}"


@register.simple_tag
def absolute_static(path: str) -> str:
    return f"{settings.SITE_URL}{static(path)}"


class CaptureNode(template.Node):
    child_nodelists = ("nodelist",)

    def __init__(self, nodelist: template.NodeList, name: str) -> None:
        self.nodelist = nodelist
        self.name = name

    def render(self, context: template.Context) -> str:
        # Rendered template output is already escaped, so it is safe to print again.
        context[self.name] = mark_safe(" ".join(self.nodelist.render(context).split()))
        return ""


@register.tag
def capture(parser: template.base.Parser, token: template.base.Token) -> CaptureNode:
    """{% capture as name %}…{% endcapture %}: render the body once into a context variable."""
    bits = token.split_contents()
    if len(bits) != 3 or bits[1] != "as":
        raise template.TemplateSyntaxError("usage: {% capture as name %}…{% endcapture %}")
    nodelist = parser.parse(("endcapture",))
    parser.delete_first_token()
    return CaptureNode(nodelist, bits[2])




_LINK = re.compile(r"\[([^\]]+)\]\(((?:https://|mailto:|tel:|/|#)[^)\s]*)\)")


@register.filter
def rich(text: object) -> SafeString:
    """Content text with [label](href) links: everything is escaped first, then only links whose
    target is https:, mailto:, tel:, a site path or a fragment become <a> elements."""
    return mark_safe(_LINK.sub(r'<a href="\2">\1</a>', escape(str(text))))


@register.filter
def og_locale(lang: object) -> str:
    """en-GB -> en_GB, the form OpenGraph wants."""
    return str(lang).replace("-", "_")
