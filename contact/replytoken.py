"""A reply address per lead: `reply+<lead id><mac>@<INBOUND_EMAIL_DOMAIN>`.

The local part must survive mail systems that lowercase it and stay within RFC 5321's 64 octets,
so it is made of lowercase base32 (the lead's 12-byte ObjectId, 20 characters) and a truncated
HMAC in hex (16 bytes, 32 characters), keyed with SECRET_KEY and a salt of its own. Without the
key nobody can make an address that routes mail to a lead: guessing one MAC is a 2**-128 chance.
The domain is not part of the check (an MTA may rewrite it); the MAC alone decides.
"""
import base64
import binascii
import re
from email.utils import getaddresses

from bson import ObjectId
from bson.errors import InvalidId
from django.conf import settings
from django.utils.crypto import constant_time_compare, salted_hmac

PREFIX = "reply+"
_SALT = "contact.replytoken.reply-address"
_ID_CHARS = 20  # base32 of 12 bytes, padding dropped
_MAC_CHARS = 32  # 16 bytes of HMAC-SHA256, hex
_TOKEN = re.compile(rf"^{re.escape(PREFIX)}([a-z2-7]{{{_ID_CHARS}}})([0-9a-f]{{{_MAC_CHARS}}})$")


def _encode(raw_id: bytes) -> str:
    return base64.b32encode(raw_id).decode("ascii").rstrip("=").lower()


def _mac(raw_id: bytes) -> str:
    return salted_hmac(_SALT, raw_id, algorithm="sha256").hexdigest()[:_MAC_CHARS]


def reply_token(*, lead_id: ObjectId | str) -> str:
    """The local part's token for one lead (raises ValueError for an id that is not an ObjectId)."""
    try:
        raw_id = ObjectId(str(lead_id)).binary
    except (InvalidId, TypeError) as exc:
        raise ValueError(f"not a lead id: {lead_id!r}") from exc
    return f"{_encode(raw_id)}{_mac(raw_id)}"


def reply_address(*, lead_id: ObjectId | str) -> str:
    """The address a mail about this lead carries in Reply-To; an answer to it comes back to the lead."""
    return f"{PREFIX}{reply_token(lead_id=lead_id)}@{settings.INBOUND_EMAIL_DOMAIN}"


def lead_id_from_reply_address(address: str) -> str | None:
    """The lead id (24 hex characters) a reply address names, or None when it is not one of ours,
    is malformed, or its MAC does not match. Accepts a bare address or a header value
    (`"Name" <reply+…@…>`), in any letter case."""
    if not isinstance(address, str) or len(address) > 1000:
        return None
    for _, addr in getaddresses([address]):
        local, at, _domain = addr.strip().lower().rpartition("@")
        match = _TOKEN.match(local) if at else None
        if match is None:
            continue
        encoded, mac = match.groups()
        try:
            raw_id = base64.b32decode(encoded.upper() + "====")
        except (binascii.Error, ValueError):
            continue
        if len(raw_id) != 12 or _encode(raw_id) != encoded:  # one spelling per id: base32's spare bits must be zero
            continue
        if constant_time_compare(_mac(raw_id), mac):
            return str(ObjectId(raw_id))
    return None
