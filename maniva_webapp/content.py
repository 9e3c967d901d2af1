"""The site's copy, read from one TOML file (settings.SITE_CONTENT_PATH) and checked against the
dataclasses below. Text fields take a string in the default language or a table of translations
(`title = { en = "Services", pt = "Serviços" }`); they render in Django's active language when the
file offers it, else in the default one. Items with `placeholder = true` are invented sample copy:
the pages carry a ribbon while any remains, and `check --deploy` refuses them (maniva_webapp.E001)."""
import re
import tomllib
import types
import typing
from dataclasses import MISSING, dataclass, field, fields, is_dataclass
from functools import cached_property
from pathlib import Path

from django.conf import settings
from django.utils import translation

_LANG = re.compile(r"^[a-z]{2,3}(-[a-z0-9]+)*$")
_HREF = re.compile(r"^(https://|mailto:|tel:|/|#)\S*$")


class ContentError(ValueError):
    """The content file is unreadable or does not fit the schema; one line per problem."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        self.problems = [f"{path}: {problem}" for problem in problems]
        super().__init__("\n".join(self.problems))


class Text:
    """A translatable string. Templates print it (escaped) in the page's content language."""

    def __init__(self, values: dict[str, str], default: str, offered: tuple[str, ...]) -> None:
        self.values = values
        self.default = default
        self.offered = offered

    def __str__(self) -> str:
        return self.values.get(_language(self.offered, self.default), "") or self.values[self.default]

    def __bool__(self) -> bool:
        return bool(self.values[self.default])

    def __repr__(self) -> str:
        return f"Text({self.values!r})"


class Href(str):
    """A link target: https://, mailto:, tel:, a site path or a #fragment; never javascript:."""


@dataclass(frozen=True)
class Locale:
    default_language: str
    # Django language code -> BCP 47 tag for <html lang> and og:locale (screen-reader voice,
    # hyphenation, spelling), e.g. { en = "en-GB", pt = "pt-PT" }.
    locales: dict[str, str]


@dataclass(frozen=True)
class Link:
    label: Text
    href: Href
    placeholder: bool = False


@dataclass(frozen=True)
class Page:
    title: Text
    description: Text


@dataclass(frozen=True)
class Hero:
    eyebrow: Text
    title: Text
    lead: Text
    primary_action: Text
    secondary_action: Text
    points: list[Text] = field(default_factory=list)


@dataclass(frozen=True)
class Figure:
    label: Text
    value: Text
    placeholder: bool = False


@dataclass(frozen=True)
class Figures:
    label: Text
    items: list[Figure] = field(default_factory=list)


@dataclass(frozen=True)
class Service:
    icon: typing.Literal["web", "marketing", "data"]
    title: Text
    summary: Text
    points: list[Text] = field(default_factory=list)
    placeholder: bool = False


@dataclass(frozen=True)
class CaseStudy:
    illustration: typing.Literal["bakery", "outdoor", "clinic"]
    illustration_label: Text
    client: Text
    title: Text
    summary: Text
    result_figure: Text
    result_text: Text
    tags: list[Text] = field(default_factory=list)
    placeholder: bool = False


@dataclass(frozen=True)
class Step:
    title: Text
    text: Text
    placeholder: bool = False


@dataclass(frozen=True)
class Testimonial:
    quote: Text
    name: Text
    role: Text
    placeholder: bool = False


@dataclass(frozen=True)
class Member:
    name: Text
    initials: str
    role: Text
    placeholder: bool = False


@dataclass(frozen=True)
class Question:
    question: Text
    answer: Text  # may hold [links](/privacy/)
    placeholder: bool = False


@dataclass(frozen=True)
class Section:
    """A titled list of items. Left out of the page (and its nav links) when it has no items."""

    eyebrow: Text
    title: Text
    nav: Text | None = None
    intro: Text | None = None

    @property
    def shown(self) -> bool:
        return bool(getattr(self, "items", True))


@dataclass(frozen=True)
class ServicesSection(Section):
    items: list[Service] = field(default_factory=list)


@dataclass(frozen=True)
class WorkSection(Section):
    items: list[CaseStudy] = field(default_factory=list)


@dataclass(frozen=True)
class ProcessSection(Section):
    items: list[Step] = field(default_factory=list)


@dataclass(frozen=True)
class TestimonialsSection(Section):
    items: list[Testimonial] = field(default_factory=list)


@dataclass(frozen=True)
class TeamSection(Section):
    story: list[Text] = field(default_factory=list)
    story_placeholder: bool = False
    items: list[Member] = field(default_factory=list)

    @property
    def shown(self) -> bool:
        return bool(self.items or self.story)


@dataclass(frozen=True)
class FaqSection(Section):
    items: list[Question] = field(default_factory=list)


@dataclass(frozen=True)
class ContactSection(Section):
    next_steps_title: Text | None = None
    next_steps: list[Text] = field(default_factory=list)
    email_prompt: Text | None = None


@dataclass(frozen=True)
class ConsultationSection(Section):
    note: Text | None = None
    submit: Text | None = None


@dataclass(frozen=True)
class Company:
    name: Text
    legal_name: Text
    summary: Text
    email: str
    address: list[Text]
    registration: Text | None = None
    vat: Text | None = None
    social: list[Link] = field(default_factory=list)
    placeholder: bool = False


@dataclass(frozen=True)
class Footer:
    company_heading: Text
    contact_heading: Text
    message_link: Text
    consultation_link: Text
    privacy_link: Text
    social_heading: Text | None = None


@dataclass(frozen=True)
class PrivacySection:
    heading: Text
    paragraphs: list[Text]  # may hold [links](mailto:...)


@dataclass(frozen=True)
class Privacy:
    page: Page
    title: Text
    lead: Text
    controller_heading: Text
    controller_intro: Text
    sections: list[PrivacySection] = field(default_factory=list)


@dataclass(frozen=True)
class SiteContent:
    site: Locale
    page: Page
    company: Company
    footer: Footer
    hero: Hero
    contact: ContactSection
    consultation: ConsultationSection
    privacy: Privacy
    figures: Figures | None = None
    services: ServicesSection | None = None
    work: WorkSection | None = None
    process: ProcessSection | None = None
    testimonials: TestimonialsSection | None = None
    team: TeamSection | None = None
    faq: FaqSection | None = None

    @cached_property
    def has_placeholders(self) -> bool:
        return bool(self.placeholders())

    def placeholders(self) -> list[str]:
        """Where invented copy remains, as field paths with a hint of what the item says."""
        return list(_placeholders(self, ""))

    def nav(self) -> list[tuple[str, Text]]:
        """(anchor, label) of the landing page's sections that are shown and have a nav label."""
        sections = (self.services, self.work, self.process, self.team, self.faq)
        return [(name, s.nav) for name, s in zip(("services", "work", "process", "team", "faq"), sections) if s and s.nav and s.shown]


def _placeholders(value: object, path: str) -> typing.Iterator[str]:
    if is_dataclass(value):
        if getattr(value, "placeholder", False):
            yield f"{path} ({_hint(value)})"
        if getattr(value, "story_placeholder", False):
            yield f"{path}.story"
        for f in fields(value):
            yield from _placeholders(getattr(value, f.name), f"{path}.{f.name}" if path else f.name)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _placeholders(item, f"{path}[{index}]")


def _hint(item: object) -> str:
    if isinstance(item, Company):
        return "legal name, address, registration and VAT number"
    for name in ("name", "title", "label", "question", "client"):
        text = getattr(item, name, None)
        if text:
            return str(text.values[text.default] if isinstance(text, Text) else text)
    return type(item).__name__


# Schema walker: TOML data -> the dataclasses above, with every problem named by its path.


class _Problems(list):
    def add(self, path: str, message: str) -> None:
        self.append(f"{path or '(top level)'}: {message}")


def _build(kind: object, raw: object, path: str, problems: _Problems, langs: tuple[str, str]) -> object:
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if origin in (typing.Union, types.UnionType):  # Optional[X]
        return None if raw is None else _build(next(a for a in args if a is not type(None)), raw, path, problems, langs)
    if kind is Text:
        return _text(raw, path, problems, langs)
    if kind is Href:
        if not isinstance(raw, str) or not _HREF.match(raw):
            problems.add(path, "must be a link starting with https://, mailto:, tel:, / or #")
        return Href(raw) if isinstance(raw, str) else Href("")
    if origin is typing.Literal:
        if raw not in args:
            problems.add(path, f"must be one of {', '.join(map(repr, args))}")
        return raw
    if kind in (str, bool, int):
        if type(raw) is not kind:
            problems.add(path, f"must be {'a string' if kind is str else 'true or false' if kind is bool else 'a whole number'}")
        return raw
    if origin is list:
        if not isinstance(raw, list):
            problems.add(path, "must be a list")
            return []
        return [_build(args[0], item, f"{path}[{i}]", problems, langs) for i, item in enumerate(raw)]
    if origin is dict:
        if not isinstance(raw, dict) or not all(isinstance(v, str) for v in raw.values()):
            problems.add(path, "must be a table of strings")
            return {}
        return dict(raw)
    if is_dataclass(kind):
        return _record(kind, raw, path, problems, langs)
    raise TypeError(f"no schema rule for {kind!r}")


def _record(kind: type, raw: object, path: str, problems: _Problems, langs: tuple[str, str]) -> object:
    if not isinstance(raw, dict):
        problems.add(path, "must be a table")
        raw = {}
    hints = typing.get_type_hints(kind)
    known = {f.name for f in fields(kind)}
    for extra in sorted(set(raw) - known):
        problems.add(_join(path, extra), f"unknown field (expected one of: {', '.join(sorted(known))})")
    values = {}
    for f in fields(kind):
        sub = _join(path, f.name)
        if f.name not in raw:
            if f.default is MISSING and f.default_factory is MISSING:
                problems.add(sub, "required")
            continue
        values[f.name] = _build(hints[f.name], raw[f.name], sub, problems, langs)
    try:
        return kind(**values)
    except TypeError:  # a required field was missing: already reported
        return None


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _text(raw: object, path: str, problems: _Problems, langs: tuple[str, str]) -> Text:
    default, offered = langs[0], tuple(langs[1].split())
    if isinstance(raw, str):
        values = {default: raw}
    elif isinstance(raw, dict) and all(isinstance(v, str) for v in raw.values()):
        values = dict(raw)
        for lang in sorted(set(values) - set(offered)):
            problems.add(f"{path}.{lang}", f"language not listed in site.locales ({', '.join(offered)})")
    else:
        problems.add(path, "must be a string, or a table of strings by language")
        return Text({default: ""}, default, offered)
    if not values.get(default, "").strip():
        problems.add(f"{path}.{default}" if isinstance(raw, dict) else path, "must not be empty" if default in values else "required (the default language)")
        values[default] = values.get(default, "")
    return Text(values, default, offered)


def content_parse(data: dict, *, path: Path) -> SiteContent:
    problems = _Problems()
    site = data.get("site")
    default, offered = "en", "en"
    if isinstance(site, dict):
        default = site.get("default_language") if isinstance(site.get("default_language"), str) else default
        locales = site.get("locales") if isinstance(site.get("locales"), dict) else {}
        offered = " ".join(locales) or default
        for lang in locales:
            if not _LANG.match(lang):
                problems.add(f"site.locales.{lang}", "must be a Django language code such as en or pt-br")
        if locales and default not in locales:
            problems.add("site.default_language", "must be one of the languages in site.locales")
    content = _record(SiteContent, data, "", problems, (default, offered))
    if problems:
        raise ContentError(path, problems)
    return content


def content_read(path: Path) -> SiteContent:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ContentError(path, ["file not found (settings.SITE_CONTENT_PATH)"]) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ContentError(path, [f"not valid TOML: {exc}"]) from None
    return content_parse(data, path=path)


_cache: dict[Path, tuple[tuple[int, int], SiteContent]] = {}


def site_content() -> SiteContent:
    """The parsed content file, read once per process and again when the file changes."""
    path = Path(settings.SITE_CONTENT_PATH)
    try:
        stat = path.stat()
        stamp = (stat.st_mtime_ns, stat.st_size)
    except OSError:
        stamp = (0, 0)
    cached = _cache.get(path)
    if cached and cached[0] == stamp:
        return cached[1]
    content = content_read(path)
    _cache[path] = (stamp, content)
    return content


def _language(offered: tuple[str, ...], default: str) -> str:
    """The active language if the file offers it (pt-pt falls back to pt), else the default one."""
    active = (translation.get_language() or "").lower()
    for candidate in (active, active.split("-")[0]):
        if candidate in offered:
            return candidate
    return default


def html_lang() -> str:
    """<html lang>: the BCP 47 tag of the language the copy is shown in, e.g. en-GB."""
    site = site_content().site
    language = _language(tuple(site.locales) or (site.default_language,), site.default_language)
    return site.locales.get(language, language)
