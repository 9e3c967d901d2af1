"""Blind SSRF through push subscriptions: only https endpoints on public addresses, checked when a
browser subscribes and again, resolved afresh, when the worker sends (DNS rebinding). DNS is
outside the project, so where a name must resolve somewhere chosen, the one resolver function is
replaced; everything else (the site, the worker, a listening socket, a TLS push service) is real."""
import datetime
import json
import logging
import socket
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.core.management import call_command
from django.utils import timezone

from contact.models import OutboxJob, OutboxStatus, PushSubscription
from contact.push_endpoint import EndpointRefused, pinned_session, push_endpoint_check
from contact.worker import jobs_run_due
from tests.factories import form_data

KEYS = {"p256dh": "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM", "auth": "tBHItJI5svbpez7KI4CCXg"}
PUBLIC = "93.184.215.14"


def _resolve_to(monkeypatch, *addresses: str) -> list[str]:
    asked: list[str] = []

    def resolve(host: str, port: int) -> list[str]:
        asked.append(host)
        return list(addresses)

    monkeypatch.setattr("contact.push_endpoint.resolve_host", resolve)
    return asked


def _subscribe(client, endpoint: str):
    return client.post("/crm/push/", json.dumps({"endpoint": endpoint, "keys": KEYS}), content_type="application/json")


@pytest.mark.parametrize(
    ("endpoint", "code"),
    [
        ("http://push.example.net/sub/1", "scheme"),
        ("http://8.8.8.8/sub/1", "scheme"),
        ("ftp://push.example.net/sub/1", "scheme"),
        ("javascript:alert(1)", "invalid"),  # the URL field's own check
        ("https://127.0.0.1:8399/sub/1", "private_address"),
        ("https://10.1.2.3/sub/1", "private_address"),
        ("https://169.254.169.254/latest/meta-data/", "private_address"),
        ("https://[::1]/sub/1", "private_address"),
        ("https://[::ffff:127.0.0.1]/sub/1", "private_address"),
        ("https://[2002:7f00:1::]/sub/1", "private_address"),  # 6to4 wrapping 127.0.0.1
        ("https://100.64.0.1/sub/1", "private_address"),
        ("https://localhost/sub/1", "private_address"),  # resolved by the system's own resolver
    ],
)
def test_subscribing_a_non_public_endpoint_is_refused(sales_client, endpoint, code):
    response = _subscribe(sales_client, endpoint)
    assert response.status_code == 400, response.content
    assert response.json()["errors"]["endpoint"][0]["code"] == code
    assert not PushSubscription.objects.exists()


def test_a_name_with_any_private_address_is_refused(sales_client, monkeypatch):
    _resolve_to(monkeypatch, PUBLIC, "10.0.0.7")
    response = _subscribe(sales_client, "https://push.example.net/sub/1")
    assert response.status_code == 400 and response.json()["errors"]["endpoint"][0]["code"] == "private_address"


def test_a_name_that_does_not_resolve_is_refused(sales_client):
    response = _subscribe(sales_client, "https://push.invalid/sub/1")
    assert response.status_code == 400 and response.json()["errors"]["endpoint"][0]["code"] == "unresolvable"


def test_a_public_https_endpoint_is_accepted(sales_client, sales, monkeypatch):
    asked = _resolve_to(monkeypatch, PUBLIC)
    response = _subscribe(sales_client, "https://fcm.googleapis.com/fcm/send/abc")
    assert response.status_code == 201
    assert asked == ["fcm.googleapis.com"]
    assert PushSubscription.objects.get().user == sales
    assert _subscribe(sales_client, "https://8.8.8.8/sub/2").status_code == 201  # a public address, no DNS


def test_unsubscribing_needs_no_check(sales_client, sales):
    PushSubscription.objects.create(user=sales, endpoint="https://push.example.net/old", p256dh="p", auth="a", created_at=timezone.now())
    response = sales_client.post("/crm/push/", json.dumps({"action": "unsubscribe", "endpoint": "https://push.example.net/old"}), content_type="application/json")
    assert response.status_code == 200 and not PushSubscription.objects.exists()


def test_the_allow_list_lets_a_named_origin_in_and_nothing_else(settings, monkeypatch):
    settings.PUSH_ENDPOINT_ALLOW = ["http://127.0.0.1:8399"]
    assert push_endpoint_check("http://127.0.0.1:8399/push/a").address == "127.0.0.1"
    for other in ("http://127.0.0.1:8400/push/a", "https://127.0.0.1:8399/push/a", "http://localhost:8399/push/a"):
        with pytest.raises(EndpointRefused):
            push_endpoint_check(other)


@pytest.fixture
def vapid(settings):
    out = StringIO()
    call_command("webpush_keys", stdout=out)
    keys = dict(line.split("=", 1) for line in out.getvalue().split())
    settings.VAPID_PUBLIC_KEY, settings.VAPID_PRIVATE_KEY = keys["VAPID_PUBLIC_KEY"], keys["VAPID_PRIVATE_KEY"]


@pytest.fixture
def listener():
    """A TCP port that records every connection made to it (none may be)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.1)
    connections: list[tuple] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, peer = server.accept()
            except OSError:
                continue
            connections.append(peer)
            conn.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1], connections
    stop.set()
    thread.join()
    server.close()


@pytest.mark.parametrize("endpoint", ["https://push.rebind.test:{port}/push/desk", "http://127.0.0.1:{port}/push/desk"])
def test_send_time_check_refuses_drops_and_logs(client, sales, smtp_server, vapid, listener, monkeypatch, caplog, endpoint):
    """Stored while the name was public (or before this check existed); now it leads inside."""
    port, connections = listener
    endpoint = endpoint.format(port=port)
    subscription = PushSubscription.objects.create(user=sales, endpoint=endpoint, created_at=timezone.now(), **KEYS)
    _resolve_to(monkeypatch, "127.0.0.1")

    client.post("/contact/", form_data())
    with caplog.at_level(logging.WARNING, logger="contact.delivery"):
        jobs_run_due(worker="ssrf")

    assert connections == []
    job = OutboxJob.objects.get(kind="push")
    assert (job.status, job.attempts) == (OutboxStatus.DONE, 1), "refused for good: not retried"
    assert not PushSubscription.objects.filter(pk=subscription.pk).exists()
    assert any("refused at send time" in r.getMessage() and endpoint in r.getMessage() for r in caplog.records)


# A push service over TLS on loopback, with a certificate for a name no resolver knows: a send that
# reaches it went to the address the check approved, and verified the certificate for the name.
NAME = "push.pinned.test"


def _certificates(folder: Path) -> tuple[Path, Path, Path]:
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test push CA")])
    ca = (
        x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    leaf = (
        x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, NAME)])).issuer_name(ca_name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1)).not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(NAME)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    paths = folder / "ca.pem", folder / "cert.pem", folder / "key.pem"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return paths


@pytest.fixture
def tls_push_service(tmp_path):
    ca, cert, key = _certificates(tmp_path)
    seen: list[dict] = []
    sni: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            seen.append({"path": self.path, "host": self.headers["Host"], "sni": sni[-1] if sni else None})
            if self.path.startswith("/redirect"):
                self.send_response(307)
                self.send_header("Location", "http://127.0.0.1:9/inside")
            else:
                self.send_response(201)
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    context.sni_callback = lambda sock, name, ctx: sni.append(name)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"https://{NAME}:{server.server_port}", str(ca), seen
    server.shutdown()
    server.server_close()


def test_the_send_connects_to_the_checked_address_and_verifies_the_name(tls_push_service, settings, monkeypatch):
    origin, ca, seen = tls_push_service
    settings.PUSH_ENDPOINT_ALLOW = [origin]  # loopback stands in for a public address here
    asked = _resolve_to(monkeypatch, "127.0.0.1")
    with pinned_session() as session:
        response = session.post(f"{origin}/push/desk", data=b"x", verify=ca, timeout=10)
    assert response.status_code == 201
    assert asked == [NAME], "one lookup, the checked one"
    assert seen == [{"path": "/push/desk", "host": origin.removeprefix("https://"), "sni": NAME}]


def test_a_redirect_is_checked_like_the_endpoint(tls_push_service, settings, monkeypatch):
    origin, ca, seen = tls_push_service
    settings.PUSH_ENDPOINT_ALLOW = [origin]
    _resolve_to(monkeypatch, "127.0.0.1")
    with pinned_session() as session, pytest.raises(EndpointRefused):
        session.post(f"{origin}/redirect", data=b"x", verify=ca, timeout=10)
    assert [hit["path"] for hit in seen] == ["/redirect"]


def test_the_send_refuses_a_rebound_name_before_connecting(tls_push_service, settings, monkeypatch):
    origin, ca, seen = tls_push_service
    _resolve_to(monkeypatch, "127.0.0.1")  # not on the allow list this time
    with pinned_session() as session, pytest.raises(EndpointRefused):
        session.post(f"{origin}/push/desk", data=b"x", verify=ca, timeout=10)
    assert seen == []
