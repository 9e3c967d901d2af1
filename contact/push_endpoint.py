"""Where the worker may send a web push: https endpoints on public addresses only.

A subscription's endpoint comes from a staff member's browser, so anyone with a CRM account could
otherwise point the worker at the private network (a blind SSRF into 127.0.0.1, 10.0.0.0/8, the
cloud metadata service at 169.254.169.254 …). One check serves both paths: the subscribe view
(a clear 400) and the send (the endpoint is resolved again, because a name that was public when
it subscribed may point inside later: DNS rebinding). The send connects to the very address the
check approved, through `PinnedAddressAdapter`, so no second DNS answer is ever used.

`PUSH_ENDPOINT_ALLOW` lists origins (`http://127.0.0.1:8399`) let in despite the rules, for a
local push service in tests; they are still resolved once and pinned like any other."""
import ipaddress
import socket
from dataclasses import dataclass

from django.conf import settings
from requests import PreparedRequest, Response, Session
from requests.adapters import HTTPAdapter
from urllib3.exceptions import LocationParseError
from urllib3.util import parse_url

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class EndpointRefused(Exception):
    """The endpoint is not one the worker may send to; `code` says why."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class CheckedEndpoint:
    host: str  # the name in the URL: SNI, certificate and Host header
    address: str  # the approved address the connection goes to


def resolve_host(host: str, port: int) -> list[str]:
    """Every address the name resolves to, in the resolver's order of preference (the only DNS
    lookup here; tests replace it)."""
    return list(dict.fromkeys(info[4][0] for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)))


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """An IPv4 address an IPv6 one carries (mapped, 6to4, Teredo, NAT64), which is where it leads."""
    if address.ipv4_mapped or address.sixtofour:
        return address.ipv4_mapped or address.sixtofour
    if address.teredo:
        return address.teredo[1]
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def address_is_public(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and (embedded := _embedded_ipv4(address)) is not None:
        return address_is_public(embedded)
    return address.is_global and not address.is_multicast


def _origin_allowed(scheme: str, host: str, port: int) -> bool:
    default = {"http": 80, "https": 443}.get(scheme)
    for origin in settings.PUSH_ENDPOINT_ALLOW:
        try:
            allowed = parse_url(origin.rstrip("/"))
        except LocationParseError:
            continue
        allowed_port = allowed.port or {"http": 80, "https": 443}.get(allowed.scheme or "")
        if (allowed.scheme, (allowed.host or "").lower(), allowed_port) == (scheme, host, port or default):
            return True
    return False


def push_endpoint_check(endpoint: str) -> CheckedEndpoint:
    """Resolve the endpoint's host and approve one of its addresses, or raise EndpointRefused.

    Every address the name resolves to must be public, not just the one used: a name with one
    public and one private answer could otherwise be sent inside by the connection's own choice.
    A name that does not resolve raises OSError (socket.gaierror), which may be transient."""
    try:
        url = parse_url(endpoint)
    except LocationParseError:
        raise EndpointRefused("The endpoint is not a valid URL.", code="invalid") from None
    scheme, host = (url.scheme or "").lower(), (url.host or "").lower().strip("[]")
    if not host or scheme not in ("http", "https"):
        raise EndpointRefused("The endpoint must be an https URL.", code="scheme")
    port = url.port or (443 if scheme == "https" else 80)
    allowed = _origin_allowed(scheme, host, port)
    if scheme != "https" and not allowed:
        raise EndpointRefused("The endpoint must be an https URL.", code="scheme")
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        addresses = [ipaddress.ip_address(a.split("%", 1)[0]) for a in resolve_host(host, port)]
    if not addresses:
        raise OSError(f"{host} resolves to no address")
    if not allowed and not all(address_is_public(a) for a in addresses):
        raise EndpointRefused("The endpoint must be on a public internet address.", code="private_address")
    return CheckedEndpoint(host=host, address=str(addresses[0]))


class PinnedAddressAdapter(HTTPAdapter):
    """Checks every URL it sends to (redirects included, as each hop comes through here) and
    connects to the address the check approved, while TLS still verifies the certificate for the
    name in the URL (SNI and hostname check use `server_hostname`) and the Host header keeps it."""

    def build_connection_pool_key_attributes(self, request: PreparedRequest, verify, cert=None) -> tuple[dict, dict]:
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(request, verify, cert)
        checked = push_endpoint_check(request.url or "")
        host_params["host"] = checked.address
        if host_params["scheme"] == "https":
            pool_kwargs["server_hostname"] = checked.host
        return host_params, pool_kwargs

    def send(self, request: PreparedRequest, *args, **kwargs) -> Response:
        request.headers["Host"] = parse_url(request.url or "").netloc or ""
        return super().send(request, *args, **kwargs)


def pinned_session() -> Session:
    """A requests session for push sends. It ignores proxy settings from the environment: a
    proxy would do its own DNS lookup, and the pinned address would no longer be the one used."""
    session = Session()
    session.trust_env = False
    adapter = PinnedAddressAdapter()
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session
