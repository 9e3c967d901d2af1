"""Reads every request repeats (its session, its user), as one plain `find_one` instead of a
queryset: django-mongodb-backend compiles each `.get()` into an aggregate pipeline, which cost a
CRM page more CPU than the read itself. The instance is built as the ORM builds it: each field's
value through the backend's and the field's own database converters, then `Model.from_db`."""
from functools import lru_cache

from django.db import connections, router
from django.db.models import Model


def model_get(model: type[Model], query: dict, projection: dict | None = None) -> Model | None:
    """The one instance of `model` whose document matches `query` (stored column names), or None.
    With a `projection`, fields left out are None."""
    alias = router.db_for_read(model)
    doc = connections[alias].get_collection(model._meta.db_table).find_one(query, projection)
    return None if doc is None else model_from_document(model, doc, alias=alias)


def model_from_document(model: type[Model], doc: dict, *, alias: str = "default") -> Model:
    readers = _readers(model, alias)
    values = []
    for column, converters in readers:
        value = doc.get(column)
        for convert, expression in converters:
            value = convert(value, expression, connections[alias])
        values.append(value)
    return model.from_db(alias, [f.attname for f in model._meta.concrete_fields], values)


@lru_cache(maxsize=32)
def _readers(model: type[Model], alias: str) -> list[tuple[str, list]]:
    """(column, [(converter, expression)]) per concrete field, in field order, as the ORM's compiler
    gathers them (backend converters first, then the field's)."""
    connection = connections[alias]
    readers = []
    for field in model._meta.concrete_fields:
        expression = field.get_col(model._meta.db_table)
        converters = connection.ops.get_db_converters(expression) + expression.get_db_converters(connection)
        readers.append((field.column, [(convert, expression) for convert in converters]))
    return readers
