"""Normalised keys that make duplicate leads findable by indexed equality (pure: no Django).

The lead store (contact/leads.py) stores them when it writes a lead or a message, and
contact/duplicates.py finds candidates through them; the comparisons that confirm a candidate
(names_similar, text_similarity) run on the few documents an index returned, never on a scan.

- mailbox_key: the mailbox an address delivers to: lower case, "+tag" dropped, and for Gmail the
  dots dropped and googlemail.com read as gmail.com.
- phone_key: E.164 digits (phonenumbers, with the lead's country for a national number).
- domain_key: the address's domain unless a free-mail provider's (anyone can have one there).
- name_key: folded surname and first initial ("Souza, Ana", "A. Souza" and "ana souza" agree).
- text_bands: MinHash signature of the text's character shingles cut in LSH bands: two texts
  with Jaccard similarity s share a band with probability 1 - (1 - s**ROWS)**BANDS.
"""
import hashlib
import re
import unicodedata
import zlib

import numpy as np
import phonenumbers

GMAIL_DOMAINS = frozenset({"gmail.com", "googlemail.com"})
FREE_MAIL = frozenset({
    "gmail.com", "googlemail.com", "aol.com", "icloud.com", "me.com", "mac.com", "msn.com", "proton.me", "protonmail.com",
    "pm.me", "web.de", "mail.ru", "bk.ru", "inbox.ru", "list.ru", "zoho.com", "fastmail.com", "hey.com", "tutanota.com",
    "tuta.io", "qq.com", "163.com", "126.com", "sina.com", "naver.com", "sapo.pt", "uol.com.br", "bol.com.br", "terra.com.br",
    "libero.it", "virgilio.it", "alice.it", "orange.fr", "wanadoo.fr", "free.fr", "laposte.net", "sfr.fr", "t-online.de",
    "freenet.de", "btinternet.com", "comcast.net", "verizon.net", "att.net", "sbcglobal.net", "seznam.cz", "wp.pl",
    "o2.pl", "onet.pl", "interia.pl", "rambler.ru", "ukr.net", "mail.com", "email.com", "usa.com", "ymail.com",
    "rocketmail.com", "rediffmail.com", "telenet.be", "skynet.be", "ziggo.nl", "kpnmail.nl", "bluewin.ch", "gmx.net",
})
FREE_MAIL_PREFIXES = ("yahoo.", "hotmail.", "outlook.", "live.", "gmx.", "yandex.", "windowslive.")
HONORIFICS = frozenset({"mr", "mrs", "ms", "miss", "dr", "prof", "sr", "sra", "srta", "dra", "eng", "herr", "frau", "mme", "mlle"})

SHINGLE = 5  # characters
BANDS, ROWS = 16, 4
MIN_TEXT_CHARS = 60  # shorter texts ("Please call me back") are alike without being the same
MAX_TEXT_CHARS = 2000  # a text sent again is alike from its start; this bounds the work per message
# Multiply-shift hashing ((a*x + b) mod 2**64) >> 32, a odd: one hash function per signature row.
_RNG = np.random.default_rng(20261126)  # fixed: every process must hash a text to the same bands
_A = _RNG.integers(1, 2**63, size=BANDS * ROWS, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
_B = _RNG.integers(0, 2**63, size=BANDS * ROWS, dtype=np.uint64)
_NON_WORD = re.compile(r"[^\w]+")


def fold(text: str) -> str:
    """Lower-case, accents stripped (as contact.search.fold), ß and the like expanded by casefold."""
    decomposed = unicodedata.normalize("NFKD", (text or "").casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def mailbox_key(email: str) -> str:
    local, _, domain = (email or "").strip().lower().rpartition("@")
    if not local or not domain:
        return ""
    local = local.split("+", 1)[0]
    if domain in GMAIL_DOMAINS:
        local, domain = local.replace(".", ""), "gmail.com"
    return f"{local}@{domain}" if local else ""


def is_free_mail(domain: str) -> bool:
    return domain in FREE_MAIL or domain.startswith(FREE_MAIL_PREFIXES)


def domain_key(email: str) -> str:
    domain = (email or "").strip().lower().rpartition("@")[2]
    return "" if not domain or is_free_mail(domain) else domain


def phone_key(phone: str, country: str = "") -> str:
    """E.164 when the number parses as a possible one (a national number needs the country); else
    its digits when there are enough to mean something; else ""."""
    phone = (phone or "").strip()
    if not phone:
        return ""
    if phone.startswith("00"):
        phone = "+" + phone[2:]
    try:
        number = phonenumbers.parse(phone, (country or "").upper() or None)
        if phonenumbers.is_possible_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    except phonenumbers.NumberParseException:
        pass
    digits = re.sub(r"\D", "", phone)
    return digits if len(digits) >= 7 else ""


def _name_tokens(name: str) -> list[str]:
    name = fold(name)
    if "," in name:  # "Souza, Ana"
        last, _, first = name.partition(",")
        name = f"{first} {last}"
    tokens = [t for t in _NON_WORD.split(name.replace("_", " ")) if t and not t.isdigit()]
    named = [t for t in tokens if t not in HONORIFICS]
    return named if len(named) >= 2 else tokens


def name_key(name: str) -> str:
    """"<surname> <first initial>"; "" for a one-word name (too little to match on)."""
    tokens = _name_tokens(name)
    if len(tokens) < 2:
        return ""
    return f"{tokens[-1]} {tokens[0][0]}"


def names_similar(a: str, b: str) -> bool:
    """Same name key, and the first names agree where both are spelt out: "Ana"/"A." or
    "Alex"/"Alexander" agree, "Ana"/"Alberto" do not (a family business shares a surname)."""
    if not name_key(a) or name_key(a) != name_key(b):
        return False
    first_a, first_b = _name_tokens(a)[0], _name_tokens(b)[0]
    return len(first_a) == 1 or len(first_b) == 1 or first_a.startswith(first_b) or first_b.startswith(first_a)


def text_shingles(text: str) -> set[str]:
    """The text's character shingles (folded, punctuation as spaces); none for a text too short to judge."""
    return _text_shingles(text)


def jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def _text_shingles(text: str) -> set[str]:
    words = " ".join(_NON_WORD.split(fold((text or "")[: MAX_TEXT_CHARS + 200]))).strip()[:MAX_TEXT_CHARS]
    if len(words) < MIN_TEXT_CHARS:
        return set()
    return {words[i : i + SHINGLE] for i in range(len(words) - SHINGLE + 1)}


def text_similarity(a: str, b: str) -> float:
    """Jaccard similarity of the two texts' shingles (0 when either is too short to judge)."""
    return jaccard(_text_shingles(a), _text_shingles(b))


def text_bands(text: str) -> list[str]:
    """BANDS strings, "<band><hash>", one per band of the text's MinHash signature; none for a
    text too short to judge."""
    shingles = _text_shingles(text)
    if not shingles:
        return []
    hashes = np.fromiter((zlib.crc32(s.encode()) for s in shingles), dtype=np.uint64, count=len(shingles))
    with np.errstate(over="ignore"):
        signature = ((np.outer(_A, hashes) + _B[:, None]) >> np.uint64(32)).min(axis=1)
    rows = signature.reshape(BANDS, ROWS)
    return [f"{band:x}{hashlib.blake2b(rows[band].tobytes(), digest_size=5).hexdigest()}" for band in range(BANDS)]


def lead_keys(*, email: str, name: str, phone: str = "", country: str = "") -> dict[str, object]:
    """The duplicate keys of a lead, by field name."""
    return {
        "mailbox_keys": [mailbox_key(email)] if mailbox_key(email) else [],
        "phone_key": phone_key(phone, country),
        "domain_key": domain_key(email),
        "name_key": name_key(name),
    }
