"""The site's content file: its schema, the placeholder guard (ribbon and check --deploy), sections
left out when empty, translations, and the loader's cache."""
import os
import re
import time
from datetime import date

import pytest
from django.core.checks import run_checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.template import Context, Template
from django.utils import translation

from contact.forms import ConsultationForm
from maniva_webapp.checks import content_check, content_placeholder_check
from maniva_webapp.content import ContentError, content_parse, site_content
from tests.maniva_webapp.content_files import SHIPPED, content_write, shipped_content, without_placeholders


@pytest.fixture
def use_content(settings, tmp_path):
    """use_content(data) -> the path of a content file holding data, which the site now reads."""
    def _use(data: dict, name: str = "site.toml"):
        path = content_write(tmp_path / name, data)
        settings.SITE_CONTENT_PATH = path
        return path
    return _use


def _problems(data: dict) -> list[str]:
    with pytest.raises(ContentError) as caught:
        content_parse(data, path=SHIPPED)
    return caught.value.problems


# The schema


def test_the_shipped_file_fits_the_schema_and_lists_its_placeholders():
    content = content_parse(shipped_content(), path=SHIPPED)
    placeholders = content.placeholders()
    for where in ("testimonials.items[0] (Rita Marques)", "team.items[3] (Tomás Ferreira)", "figures.items[1] (Sites and apps launched)",
                  "work.items[2] (Demand forecasting for appointment slots)", "team.story", "company (legal name, address, registration and VAT number)"):
        assert where in placeholders
    assert not any(p.startswith(("services", "process")) for p in placeholders)


def _drop_title(data):
    del data["services"]["items"][2]["title"]


def _set(path, value):
    def mutate(data):
        *parents, last = path
        target = data
        for key in parents:
            target = target[key]
        target[last] = value
    return mutate


@pytest.mark.parametrize(
    "mutate, expected",
    [
        (_drop_title, "services.items[2].title: required"),
        (lambda d: d.pop("company"), "company: required"),
        (_set(["figures", "items", 0, "value"], 70), "figures.items[0].value: must be a string, or a table of strings by language"),
        (_set(["testimonials", "items", 1, "titel"], "x"), "testimonials.items[1].titel: unknown field"),
        (_set(["services", "items", 0, "icon"], "rocket"), "services.items[0].icon: must be one of 'web', 'marketing', 'data'"),
        (_set(["company", "social", 0, "href"], "javascript:alert(1)"), "company.social[0].href: must be a link"),
        (_set(["hero", "title"], {"pt": "Sites que fazem crescer"}), "hero.title.pt: language not listed in site.locales (en)"),
        (_set(["hero", "title"], "  "), "hero.title: must not be empty"),
        (_set(["faq", "items", 0, "placeholder"], "yes"), "faq.items[0].placeholder: must be true or false"),
        (_set(["work", "items"], {"title": "x"}), "work.items: must be a list"),
        (_set(["site", "default_language"], "pt"), "site.default_language: must be one of the languages in site.locales"),
    ],
)
def test_a_broken_file_names_the_field(mutate, expected):
    data = shipped_content()
    mutate(data)
    problems = _problems(data)
    assert any(p.startswith(f"{SHIPPED}: {expected}") for p in problems), problems


def test_every_problem_is_reported_at_once():
    data = shipped_content()
    del data["hero"]["lead"]
    data["services"]["items"][1]["summary"] = ["not", "text"]
    assert [p.split(": ", 1)[1].split(":")[0] for p in _problems(data)] == ["hero.lead", "services.items[1].summary"]


def test_the_system_check_fails_start_up_on_a_broken_file(settings, tmp_path):
    broken = tmp_path / "site.toml"
    broken.write_text(SHIPPED.read_text(encoding="utf-8").replace('title = "Data & AI insights"\n', ""), encoding="utf-8")
    settings.SITE_CONTENT_PATH = broken
    assert [e.id for e in content_check()] == ["maniva_webapp.E002"]
    with pytest.raises(SystemCheckError, match=re.escape(f"{broken}: services.items[2].title: required")):
        call_command("check")
    broken.write_text("[site\n", encoding="utf-8")
    assert "not valid TOML" in content_check()[0].msg
    settings.SITE_CONTENT_PATH = tmp_path / "missing.toml"
    assert "file not found" in content_check()[0].msg


# The placeholder guard


def test_check_deploy_lists_each_placeholder_while_any_remains(use_content):
    [error] = content_placeholder_check()
    assert error.id == "maniva_webapp.E001" and error.level >= 40
    for item in ("testimonials.items[0] (Rita Marques)", "figures.items[2] (Clients still with us after a year)", "company.social[1] (GitHub)"):
        assert f"\n  - {item}" in error.msg
    assert "maniva_webapp.E001" in [e.id for e in run_checks(include_deployment_checks=True)]

    use_content(without_placeholders(shipped_content()))
    assert content_placeholder_check() == []
    assert "maniva_webapp.E001" not in [e.id for e in run_checks(include_deployment_checks=True)]
    assert content_check() == []


def test_the_ribbon_shows_while_placeholders_do(client, db, use_content):
    html = client.get("/").content.decode()
    assert 'class="sample-ribbon" role="note"' in html and "<strong>Sample content</strong>" in html
    # The ribbon opens the header (the banner landmark), in the page's flow, above the menu.
    assert html.index("<header") < html.index("sample-ribbon") < html.index("<nav")

    use_content(without_placeholders(shipped_content()))
    for path in ("/", "/privacy/", "/contact/"):
        assert "sample-ribbon" not in client.get(path).content.decode(), path


# Sections


def test_a_section_without_items_is_left_out_with_its_links(client, db, use_content):
    data = shipped_content()
    del data["testimonials"]
    data["work"]["items"] = []
    data["figures"]["items"] = []
    use_content(data)
    html = client.get("/").content.decode()
    assert "What clients say after launch" not in html and 'id="testimonials"' not in html and "Rita Marques" not in html
    assert 'id="work"' not in html and "#work" not in html and "Selected work" not in html  # nav, hero button, footer
    assert 'class="py-4 border-top border-bottom stats"' not in html
    assert 'href="/#services">Services</a>' in html and 'id="services"' in html


def test_the_team_section_stays_for_its_story_and_goes_without_it(client, db, use_content):
    data = shipped_content()
    data["team"]["items"] = []
    use_content(data)
    html = client.get("/").content.decode()
    assert 'id="team"' in html and "Marta Costa" not in html and 'href="/#team">About</a>' in html
    data["team"]["story"] = []
    use_content(data, "second.toml")
    html = client.get("/").content.decode()
    assert 'id="team"' not in html and "#team" not in html


def test_the_landing_page_renders_the_content_file(client, db, use_content):
    data = without_placeholders(shipped_content())
    data["hero"]["title"] = "Sites that <em>sell</em>"
    data["faq"]["items"][1]["answer"] = "See [our terms](/privacy/) or [this](javascript:alert(1)) <b>now</b>."
    data["company"]["legal_name"] = "Exemplo & Filhos, Lda."
    use_content(data)
    html = client.get("/").content.decode()
    assert "Sites that &lt;em&gt;sell&lt;/em&gt;" in html
    assert 'See <a href="/privacy/">our terms</a> or [this](javascript:alert(1)) &lt;b&gt;now&lt;/b&gt;.' in html
    assert "Exemplo &amp; Filhos, Lda." in html and "<address" in html
    assert not re.search(r"\sstyle=|<style", html)


def test_the_privacy_page_names_the_controller_from_the_content_file(client, db, use_content):
    data = without_placeholders(shipped_content())
    data["company"].update(legal_name="Maniva Digital, Unipessoal Lda.", address=["Avenida Real 1", "1000-001 Lisboa"], vat="NIF 509999999")
    use_content(data)
    html = client.get("/privacy/").content.decode()
    controller = html[html.index("Who is responsible"):html.index("What we store")]
    for text in ("Maniva Digital, Unipessoal Lda.", "Avenida Real 1", "1000-001 Lisboa", "NIF 509999999", "mailto:hello@maniva.digital"):
        assert text in controller


# Languages


def test_a_second_language_is_used_when_offered_and_falls_back_per_string(client, db, use_content):
    data = shipped_content()
    data["site"]["locales"] = {"en": "en-GB", "pt": "pt-PT"}
    data["hero"]["title"] = {"en": "Websites that grow", "pt": "Sites que fazem crescer"}
    use_content(data)
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="pt-PT,pt;q=0.9").content.decode()
    assert '<html lang="pt-PT"' in html and "Sites que fazem crescer" in html
    assert "Three disciplines, one team" in html  # not translated yet: the default language
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US").content.decode()
    assert '<html lang="en-GB"' in html and "Websites that grow" in html and 'content="en_GB"' in html
    # A language the file does not offer gets the default copy and the default lang.
    assert '<html lang="en-GB"' in client.get("/", HTTP_ACCEPT_LANGUAGE="de").content.decode()


@pytest.mark.parametrize("language", ["en", "en-gb", "de", "pt-br"])
def test_the_date_field_writes_iso_dates_in_every_language(language):
    with translation.override(language):
        field = str(ConsultationForm(initial={"preferred_date": date(2026, 12, 25)})["preferred_date"])
    assert 'type="date"' in field and 'value="2026-12-25"' in field


# The loader


def test_the_file_is_read_once_and_again_when_it_changes(use_content):
    path = use_content(shipped_content())
    assert site_content() is site_content()
    first = site_content()
    data = shipped_content()
    data["hero"]["title"] = "A new headline"
    content_write(path, data)
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 10**9))
    assert site_content() is not first and str(site_content().hero.title) == "A new headline"


def test_text_renders_escaped_in_the_active_language(use_content):
    data = shipped_content()
    data["site"]["locales"] = {"en": "en-GB", "pt": "pt-PT"}
    data["hero"]["title"] = {"en": "Fish & <chips>", "pt": "Bacalhau & <batatas>"}
    use_content(data)
    template = Template("{{ site.hero.title }}")
    with translation.override("pt"):
        assert template.render(Context({"site": site_content()})) == "Bacalhau &amp; &lt;batatas&gt;"
    with translation.override("fr"):
        assert template.render(Context({"site": site_content()})) == "Fish &amp; &lt;chips&gt;"
