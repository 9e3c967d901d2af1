"""The site's brand for the report and its charts: colours from the site's stylesheet (the
`--mv-*` custom properties of its light theme), the font stack Bootstrap's system fonts give the
site, the company's name from the site content. No Django: the caller passes the paths."""
import re
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path

SYSTEM_FONTS = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", "Noto Sans", "Liberation Sans", Arial, sans-serif'
_PROPERTY = re.compile(r"--(mv-[\w-]+|bs-font-sans-serif)\s*:\s*([^;]+);")


@dataclass(frozen=True)
class Brand:
    name: str = "Maniva Digital"
    primary: str = "#0b6b4b"  # --mv-brand
    strong: str = "#084d36"  # --mv-brand-strong
    soft: str = "#dcefe6"  # --mv-brand-soft
    accent: str = "#f0b64a"  # --mv-accent
    accent_text: str = "#8a5a00"  # --mv-accent-text
    tint: str = "#f3f7f5"  # --mv-tint
    text: str = "#212529"  # Bootstrap's body colour
    muted: str = "#5c6670"
    font_family: str = SYSTEM_FONTS

    @property
    def series(self) -> list[str]:
        """Colours for lines and bars side by side: brand first, then accent, then darker and muted tones."""
        return [self.primary, self.accent, self.strong, self.accent_text, "#5fd3a5", self.muted, "#b7e0cd", "#c77d00"]


_FIELDS = {"mv-brand": "primary", "mv-brand-strong": "strong", "mv-brand-soft": "soft", "mv-accent": "accent",
           "mv-accent-text": "accent_text", "mv-tint": "tint"}


def brand_load(*, css_paths: list[Path] = (), content_path: Path | None = None) -> Brand:
    """The brand as the site shows it. The first value of each property wins (the light theme comes
    first in site.css); a missing file or property keeps the default."""
    values: dict[str, str] = {}
    for path in css_paths:
        try:
            css = Path(path).read_text(encoding="utf-8")
        except OSError:
            continue
        for name, value in _PROPERTY.findall(css):
            value = value.strip()
            if name == "bs-font-sans-serif":
                # Emoji fonts at the end of Bootstrap's stack draw nothing in a chart's labels.
                values.setdefault("font_family", value.split(',"Apple Color Emoji"')[0].replace(",", ", "))
            elif name in _FIELDS and re.fullmatch(r"#[0-9a-fA-F]{3,8}", value):
                values.setdefault(_FIELDS[name], value)
    if content_path:
        try:
            name = tomllib.loads(Path(content_path).read_text(encoding="utf-8"))["company"]["name"]
            values["name"] = name if isinstance(name, str) else name.get("en", Brand.name)
        except (OSError, KeyError, TypeError, AttributeError, tomllib.TOMLDecodeError):
            pass
    return replace(Brand(), **values)
