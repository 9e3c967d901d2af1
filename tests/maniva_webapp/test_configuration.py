"""Configuration that must not drift: every environment variable settings.py reads is listed in
.env.example and documented in the README's table, read through maniva_webapp.env only; the site's
requirements and the development ones are apart, both pinned, and `make` installs both."""
import ast
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from maniva_webapp.env import env_float

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = (ROOT / "maniva_webapp" / "settings.py").read_text(encoding="utf-8")
# (aiosmtpd is both: the site's inbound SMTP receiver, and the tests' SMTP server.)
DEV_ONLY = {"pytest", "pytest-django", "hypothesis", "playwright", "notebook", "ipykernel", "websocket-client"}
DEV_MODULES = {"pytest", "pytest_django", "hypothesis", "playwright", "notebook", "ipykernel", "websocket"}


def settings_variables() -> set[str]:
    return set(re.findall(r'\benv_(?:str|int|bool|list|float)\(\s*"([A-Z][A-Z0-9_]*)"', SETTINGS))


def env_example_variables() -> set[str]:
    """NAME=value lines, and "# NAME=value" for a default best left unset."""
    return set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", (ROOT / ".env.example").read_text(encoding="utf-8"), re.MULTILINE))


def readme_variables() -> set[str]:
    """The first column of the README's environment table: | `NAME` | or | `A`, `B` |."""
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    start = lines.index("| variable | default | meaning |")
    names: set[str] = set()
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        names.update(re.findall(r"`([A-Z][A-Z0-9_]*)`", line.split("|")[1]))
    return names


def requirements(name: str) -> list[str]:
    return [line.strip() for line in (ROOT / name).read_text(encoding="utf-8").splitlines() if line.strip() and not line.startswith("#")]


def test_settings_read_the_environment_only_through_the_env_helpers():
    assert len(settings_variables()) > 30
    assert "os.environ" not in SETTINGS and "getenv" not in SETTINGS
    assert not re.search(r"\b(float|int|bool)\(env_", SETTINGS), "parse in maniva_webapp/env.py, not in settings"


def test_every_variable_settings_reads_is_in_env_example():
    missing = settings_variables() - env_example_variables()
    assert not missing, f"add to .env.example: {sorted(missing)}"


def test_every_variable_settings_reads_or_env_example_lists_is_in_the_readme_table():
    missing = (settings_variables() | env_example_variables()) - readme_variables()
    assert not missing, f"add a row to the README's environment table for: {sorted(missing)}"


def test_every_variable_the_readme_documents_is_read_somewhere():
    readers = SETTINGS + "".join(
        (ROOT / path).read_text(encoding="utf-8") for path in ("manage.py", "Makefile", "scripts/run.sh")
    )
    assert {name for name in readme_variables() if name not in readers} == set()


def test_database_options_are_in_the_databases_setting():
    tree = ast.parse(SETTINGS)
    patched = [node for node in ast.walk(tree) if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store)]
    assert patched == [], "settings are assigned whole, not patched after the fact"
    assert settings.DATABASES["default"]["OPTIONS"]["serverSelectionTimeoutMS"] == 1500  # tests/dbserver.py's MONGODB_TIMEOUT_MS


def test_env_float(monkeypatch):
    monkeypatch.delenv("MANIVA_T_FLOAT", raising=False)
    assert env_float("MANIVA_T_FLOAT", 0.95) == 0.95
    monkeypatch.setenv("MANIVA_T_FLOAT", " ")
    assert env_float("MANIVA_T_FLOAT", 0.95) == 0.95
    monkeypatch.setenv("MANIVA_T_FLOAT", "0.8")
    assert env_float("MANIVA_T_FLOAT", 0.95) == 0.8
    monkeypatch.setenv("MANIVA_T_FLOAT", "high")
    with pytest.raises(ImproperlyConfigured, match="MANIVA_T_FLOAT must be a number"):
        env_float("MANIVA_T_FLOAT", 0.95)


def test_site_requirements_hold_no_development_packages_and_both_files_are_pinned():
    site, dev = requirements("requirements.txt"), requirements("requirements-dev.txt")
    assert dev[0] == "-r requirements.txt"
    for line in site + dev[1:]:
        assert re.fullmatch(r"[A-Za-z0-9_.-]+==[A-Za-z0-9_.+-]+", line), f"not pinned: {line}"
    site_names = {line.split("==")[0].lower() for line in site}
    dev_names = {line.split("==")[0].lower() for line in dev[1:]}
    assert site_names & DEV_ONLY == set() and DEV_ONLY <= dev_names
    assert site_names & dev_names == set()


def test_the_site_imports_no_development_package():
    for app in ("maniva_webapp", "contact", "maniva_crm", "analytics"):
        for path in (ROOT / app).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""] if isinstance(node, ast.ImportFrom) else []
                assert {name.split(".")[0] for name in names} & DEV_MODULES == set(), path


def test_make_installs_the_development_requirements_and_reinstalls_when_either_file_changes():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    stamp_rule = re.search(r"^\$\(STAMP\):(.*)$", makefile, re.MULTILINE).group(1).split()
    assert {"requirements.txt", "requirements-dev.txt"} <= set(stamp_rule)
    assert re.search(r"^run: setup", makefile, re.MULTILINE) and re.search(r"^test: setup", makefile, re.MULTILINE)
    assert "-r requirements-dev.txt" in (ROOT / "scripts" / "bootstrap.sh").read_text(encoding="utf-8")
