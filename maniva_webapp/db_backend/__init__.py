"""django-mongodb-backend with the embedded server's query workarounds: the DB compatibility layer.

Set as `ENGINE` in settings. On a real MongoDB it is django-mongodb-backend, query for query. On
SecantusDB (detected once per connection pool from `buildInfo`, see `base.py`) the ORM's
aggregation pipelines are rewritten into an equivalent form that server answers correctly
(`pipeline.py`).

Why: SecantusDB 0.7.0b3 answers `$project: {"a": {"b": 1}}` with the literal 1 and lets
`$addFields: {"a": {"b": ...}}` replace the embedded document `a` instead of merging into it.
django-mongodb-backend emits exactly these shapes for `values()`/`values_list()` across a relation
and for `select_related()` with ordering on the related model (Django's ModelBackend, the admin's
permission widgets), and they gave wrong answers without an error.

It also corrects, on every server, django-mongodb-backend's regexes for `iexact`, `contains`,
`startswith`, ... whose values were not (or wrongly) escaped (`regex.py`, `base.py`).

How to retire it: when tests/dbcompat/ reports "SecantusDB fixed this" for both pipeline quirks
and django-mongodb-backend escapes those regexes itself (check with the upstream operators and
tests/dbcompat/test_backend_bugs.py), set `ENGINE` back to "django_mongodb_backend" and delete
this package.
"""
