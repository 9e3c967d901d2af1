"""A local push service that plays Mozilla's or Google's: it checks the VAPID signature and
decrypts each payload with the subscription's own keys, as a browser would."""
import base64
import json
import os
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


def b64url_decode(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@dataclass
class BrowserKeys:
    """The keys a browser makes when it subscribes: an ECDH key pair and an auth secret."""

    private_key: ec.EllipticCurvePrivateKey = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    auth: bytes = field(default_factory=lambda: os.urandom(16))

    @property
    def p256dh(self) -> str:
        raw = self.private_key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
        return b64url(raw)


@dataclass
class PushService:
    """Like a real push service, a subscription that answered 404 or 410 is gone for good: every later
    request to its endpoint gets 410 too, however the requests of several workers interleave."""

    origin: str
    keys: dict[str, BrowserKeys] = field(default_factory=dict)
    received: list[dict] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    script: dict[str, list[int]] = field(default_factory=dict)  # endpoint path → statuses to answer first
    gone: set[str] = field(default_factory=set)
    answers: list[tuple[str, int]] = field(default_factory=list)  # (endpoint path, status) of every request, in order
    lock: threading.Lock = field(default_factory=threading.Lock)

    def statuses(self, name: str) -> list[int]:
        return [status for endpoint, status in self.answers if endpoint == name]

    def subscribe(self, name: str) -> dict:
        keys = self.keys[name] = BrowserKeys()
        return {"endpoint": f"{self.origin}/push/{name}", "p256dh": keys.p256dh, "auth": b64url(keys.auth)}


def _verify_vapid(header: str, audience: str) -> dict:
    parts = dict(item.strip().split("=", 1) for item in header.removeprefix("vapid ").split(","))
    token, public = parts["t"], parts["k"]
    signing_input, _, signature = token.rpartition(".")
    raw = b64url_decode(signature)
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64url_decode(public))
    key.verify(der, signing_input.encode(), ec.ECDSA(hashes.SHA256()))
    claims = json.loads(b64url_decode(signing_input.split(".")[1]))
    if claims["aud"] != audience:
        raise InvalidSignature(f"audience {claims['aud']} != {audience}")
    return {"claims": claims, "public_key": public}


def push_handler(service: PushService):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def do_POST(self) -> None:
            name = self.path.rsplit("/", 1)[-1]
            body = self.rfile.read(int(self.headers["Content-Length"]))
            with service.lock:  # one request at a time: what an endpoint answers follows its own history
                status = self._status(name, body)
                service.answers.append((name, status))
            self._answer(status)

        def _status(self, name: str, body: bytes) -> int:
            if name in service.gone:
                return 410
            scripted = service.script.get(name)
            if scripted:
                status = scripted.pop(0)
                if status in (404, 410):
                    service.gone.add(name)
                return status
            try:
                vapid = _verify_vapid(self.headers.get("Authorization", ""), service.origin)
                keys = service.keys[name]
                plain = http_ece.decrypt(body, private_key=keys.private_key, auth_secret=keys.auth, version="aes128gcm")
            except (InvalidSignature, KeyError, ValueError) as exc:
                service.rejected.append(f"{name}: {exc!r}")
                return 400
            service.received.append({"name": name, "payload": json.loads(plain), **vapid, "ttl": self.headers.get("TTL")})
            return 201

        def _answer(self, status: int) -> None:
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

    return Handler
