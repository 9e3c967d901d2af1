"""Pure pipeline rewriting for the embedded server (no Django, no I/O): nested field specs in
`$project`, `$addFields` and `$set` become dotted paths, which MongoDB treats identically."""
from collections.abc import Mapping

FIELD_SPEC_STAGES = frozenset({"$project", "$addFields", "$set"})


def is_embedded_server(build_info: Mapping) -> bool:
    """SecantusDB's `buildInfo` carries `secantusVersion` (e.g. "0.7.0b3"); MongoDB's never does."""
    return "secantusVersion" in build_info


def dotted_pipeline(pipeline: list[dict]) -> list[dict]:
    """`pipeline` with every nested field spec written as dotted paths, sub-pipelines included:
    `{"$project": {"ct": {"app_label": 1}}}` -> `{"$project": {"ct.app_label": 1}}`. Idempotent."""
    return [_dotted_stage(stage) for stage in pipeline]


def _dotted_stage(stage: dict) -> dict:
    rewritten = {}
    for name, spec in stage.items():
        if name in FIELD_SPEC_STAGES and isinstance(spec, Mapping):
            spec = _dotted_fields(spec)
        elif name in ("$lookup", "$unionWith") and isinstance(spec, Mapping) and "pipeline" in spec:
            spec = {**spec, "pipeline": dotted_pipeline(spec["pipeline"])}
        elif name == "$facet" and isinstance(spec, Mapping):
            spec = {output: dotted_pipeline(stages) for output, stages in spec.items()}
        rewritten[name] = spec
    return rewritten


def _dotted_fields(spec: Mapping, prefix: str = "") -> dict:
    fields = {}
    for key, value in spec.items():
        if _is_nested_spec(value):
            fields.update(_dotted_fields(value, f"{prefix}{key}."))
        else:
            fields[f"{prefix}{key}"] = value
    return fields


def _is_nested_spec(value: object) -> bool:
    """A non-empty object whose keys are field names; an object with a `$` key is an expression
    (`{"$concat": …}`, `{"$literal": …}`) and `{}` is a literal, both left as they are."""
    return isinstance(value, Mapping) and bool(value) and not any(str(key).startswith("$") for key in value)
