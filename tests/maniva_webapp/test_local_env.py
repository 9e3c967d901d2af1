"""manage.py beside `make run`: it reads the git-ignored var/local.env that make run writes, so a
README command works in a new shell; without that file a command still refuses to run without a
secret key, as production does."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from maniva_webapp.env import load_local_env

ROOT = Path(__file__).resolve().parents[2]


def test_load_local_env_fills_only_what_the_environment_lacks(tmp_path, monkeypatch):
    path = tmp_path / "local.env"
    path.write_text("# comment\n\nMANIVA_T_SET=from-file\nMANIVA_T_NEW = a=b \n")
    monkeypatch.setenv("MANIVA_T_SET", "from-shell")
    monkeypatch.delenv("MANIVA_T_NEW", raising=False)

    assert load_local_env(path) == ["MANIVA_T_NEW"]
    assert os.environ["MANIVA_T_SET"] == "from-shell"
    assert os.environ["MANIVA_T_NEW"] == "a=b"


def test_load_local_env_names_the_bad_line(tmp_path):
    path = tmp_path / "local.env"
    path.write_text("GOOD=1\nthis is not a setting\n")
    with pytest.raises(ImproperlyConfigured, match=r"local.env:2: expected NAME=value"):
        load_local_env(path)


def test_a_missing_file_sets_nothing(tmp_path):
    assert load_local_env(tmp_path / "absent.env") == []


def _manage(args: list[str], local_env: Path) -> subprocess.CompletedProcess:
    """manage.py in a new shell that knows only PATH and MONGODB_URI, as the README's commands run."""
    env = {"PATH": os.environ["PATH"], "MONGODB_URI": os.environ["MONGODB_URI"], "MANIVA_LOCAL_ENV": str(local_env)}
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_a_command_in_a_new_shell_uses_the_key_make_run_wrote(tmp_path):
    local_env = tmp_path / "local.env"
    local_env.write_text("DJANGO_SECRET_KEY=written-by-make-run-0123456789-0123456789-0123456789\nDJANGO_HTTPS=false\n")
    result = _manage(["check"], local_env)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_without_make_runs_file_a_command_still_demands_a_secret(tmp_path):
    result = _manage(["check"], tmp_path / "absent.env")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off" in result.stderr
