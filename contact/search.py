"""Search terms stored on each message, so search works without `$text` (the embedded server has none)."""
import re
import unicodedata

_WORD_RE = re.compile(r"[\w@.+-]+")
MAX_TERMS = 300


def fold(text: str) -> str:
    """Lower-case and strip accents: 'Café' and 'cafe' match."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def search_terms(*texts: str) -> list[str]:
    """Distinct folded words (and whole email addresses and their parts), in first-seen order."""
    terms: dict[str, None] = {}
    for text in texts:
        for word in _WORD_RE.findall(fold(text or "")):
            word = word.strip(".-+")
            parts = [word, *word.split("@"), *re.split(r"[@.+-]", word)] if re.search(r"[@.+-]", word) else [word]
            for part in parts:
                if 2 <= len(part) <= 60:
                    terms.setdefault(part, None)
        if len(terms) >= MAX_TERMS:
            break
    return list(terms)[:MAX_TERMS]


def query_terms(query: str) -> list[str]:
    return [word.strip(".-+") for word in _WORD_RE.findall(fold(query)) if len(word.strip(".-+")) >= 2][:10]
