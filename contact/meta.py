"""What we record about the request that carried a message."""
import ipaddress
from dataclasses import asdict, dataclass, field

import iptocc
from django.conf import settings
from django.http import HttpRequest

UTM_KEYS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")


@dataclass(frozen=True)
class RequestMeta:
    ip: str | None = None
    user_agent: str = ""
    referrer: str = ""
    page: str = ""
    locale: str = ""
    country: str = ""
    utm: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)


def _valid_ip(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str | None:
    """REMOTE_ADDR, or the nearest X-Forwarded-For hop when the peer is a trusted proxy."""
    trusted = set(settings.TRUSTED_PROXIES)
    ip = _valid_ip(request.META.get("REMOTE_ADDR", ""))
    if ip not in trusted:
        return ip
    hops = [h for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
    for hop in reversed(hops):
        hop_ip = _valid_ip(hop)
        if hop_ip is None:
            return ip
        if hop_ip not in trusted:
            return hop_ip
    return ip


def country_for(ip: str | None) -> str:
    if not ip:
        return ""
    address = ipaddress.ip_address(ip)
    if not address.is_global:
        return ""
    return iptocc.country_code(ip) or ""


def _clip(value: str, limit: int) -> str:
    return "".join(ch for ch in value if ch.isprintable())[:limit]


def request_meta(request: HttpRequest) -> RequestMeta:
    ip = client_ip(request)
    source = request.POST if request.method == "POST" else request.GET
    utm = {key: _clip(source.get(key, ""), 100) for key in UTM_KEYS if source.get(key)}
    return RequestMeta(
        ip=ip,
        user_agent=_clip(request.META.get("HTTP_USER_AGENT", ""), 400),
        referrer=_clip(request.META.get("HTTP_REFERER", ""), 500),
        page=_clip(source.get("page", "") or request.path, 500),
        locale=_clip(request.META.get("HTTP_ACCEPT_LANGUAGE", "").split(",")[0], 40),
        country=country_for(ip),
        utm=utm,
    )
