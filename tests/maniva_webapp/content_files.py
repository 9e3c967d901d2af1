"""Content files for tests: the shipped one as data, and a writer for variants of it (tomllib only
reads TOML, so variants are written back with inline tables, one line per top-level key)."""
import copy
import json
import tomllib
from pathlib import Path

SHIPPED = Path(__file__).resolve().parents[2] / "content" / "site.toml"


def shipped_content() -> dict:
    return tomllib.loads(SHIPPED.read_text(encoding="utf-8"))


def without_placeholders(data: dict) -> dict:
    """The shipped copy with every placeholder flag dropped, as if the agency had replaced them all."""
    data = copy.deepcopy(data)

    def strip(value: object) -> None:
        if isinstance(value, dict):
            value.pop("placeholder", None)
            value.pop("story_placeholder", None)
            for item in value.values():
                strip(item)
        elif isinstance(value, list):
            for item in value:
                strip(item)

    strip(data)
    return data


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a JSON string is a TOML basic string
    if isinstance(value, list):
        return "[" + ", ".join(_toml(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(key)} = {_toml(item)}" for key, item in value.items()) + "}"
    raise TypeError(type(value))


def content_write(path: Path, data: dict) -> Path:
    path.write_text("".join(f"{json.dumps(key)} = {_toml(value)}\n" for key, value in data.items()), encoding="utf-8")
    return path
