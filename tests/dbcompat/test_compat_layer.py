"""The DB compatibility layer (maniva_webapp/db_backend): right answers from the ORM on the
embedded server, and the very pipelines django-mongodb-backend builds on any other server."""
import pytest
from bson import SON
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django_mongodb_backend import compiler as mongo
from pymongo import MongoClient

from contact.models import Message
from maniva_crm.models import AuditAction, AuditEntry, Note
from maniva_crm.selectors import lead_get, lead_timeline
from maniva_crm.audit import audit_record
from maniva_webapp.db_backend import compiler as compat
from maniva_webapp.db_backend.pipeline import dotted_pipeline, is_embedded_server
from tests.dbserver import SERVER
from tests.factories import make_message, make_user

CONDITION = {"$cond": {"if": {"$eq": ["$a", None]}, "then": {}, "else": {"x": 1}}}


def test_nested_field_specs_become_dotted_paths_in_every_sub_pipeline():
    pipeline = [
        {"$lookup": {"from": "ct", "as": "ct", "pipeline": [{"$project": {"ct2": {"label": 1}}}]}},
        {"$unwind": "$ct"},
        {"$group": {"_id": {"ct": {"label": "$ct.label"}}}},  # an object expression, not a field spec
        {"$project": {"name": 1, "ct": {"app_label": 1, "deep": {"model": 1}}, "upper": {"$toUpper": "$name"}}},
        {"$addFields": {"ct": {"label": "$ct.app_label"}, "flag": CONDITION, "empty": {}, "lit": {"$literal": {"a": 1}}}},
        {"$set": {"ct": {"n": 1}}},
        {"$facet": {"all": [{"$project": {"ct": {"model": 1}}}]}},
        {"$unionWith": {"coll": "other", "pipeline": [{"$addFields": {"ct": {"model": "x"}}}]}},
        {"$sort": SON([("ct.app_label", 1)])},
    ]
    assert dotted_pipeline(pipeline) == [
        {"$lookup": {"from": "ct", "as": "ct", "pipeline": [{"$project": {"ct2.label": 1}}]}},
        {"$unwind": "$ct"},
        {"$group": {"_id": {"ct": {"label": "$ct.label"}}}},
        {"$project": {"name": 1, "ct.app_label": 1, "ct.deep.model": 1, "upper": {"$toUpper": "$name"}}},
        {"$addFields": {"ct.label": "$ct.app_label", "flag": CONDITION, "empty": {}, "lit": {"$literal": {"a": 1}}}},
        {"$set": {"ct.n": 1}},
        {"$facet": {"all": [{"$project": {"ct.model": 1}}]}},
        {"$unionWith": {"coll": "other", "pipeline": [{"$addFields": {"ct.model": "x"}}]}},
        {"$sort": SON([("ct.app_label", 1)])},
    ]
    assert dotted_pipeline(dotted_pipeline(pipeline)) == dotted_pipeline(pipeline)


def test_the_embedded_server_is_told_apart_by_its_build_info():
    with MongoClient(SERVER.uri) as client:
        assert is_embedded_server(client.admin.command("buildInfo"))
    mongodb = {"version": "8.0.4", "gitVersion": "bc35ab4305d9920d9d5a7e5b3d6c4ee8f0c8c1b5", "versionArray": [8, 0, 4, 0], "ok": 1.0}
    assert not is_embedded_server(mongodb)


QUERIES = {
    "values_list across a relation": lambda: Permission.objects.filter(codename="add_group").values_list("content_type__app_label", "codename"),
    "select_related ordered by the related model": lambda: Permission.objects.select_related("content_type").filter(codename__startswith="add_"),
    "values across a relation, distinct": lambda: Permission.objects.values("content_type__app_label").order_by().distinct(),
    "the project's own select_related": lambda: AuditEntry.objects.select_related("lead").defer("lead__search_terms")[:5],
}


def pipeline_of(queryset, compiler_class) -> list[dict]:
    """The pipeline `compiler_class` runs for `queryset` (as in SQLCompiler.execute_sql)."""
    query = queryset.query
    compiler = compiler_class(query, connection, "default")
    compiler.pre_sql_setup()
    columns = compiler.columns if query.annotations or not query.default_cols or query.distinct else None
    return compiler.build_query(columns).get_pipeline()


@pytest.mark.django_db
@pytest.mark.parametrize("name", QUERIES)
def test_pipelines_are_django_mongodb_backends_own_on_another_server(name, monkeypatch):
    monkeypatch.setitem(connection._embedded_servers, connection.alias, False)
    assert pipeline_of(QUERIES[name](), compat.SQLCompiler) == pipeline_of(QUERIES[name](), mongo.SQLCompiler)


@pytest.mark.django_db
def test_the_embedded_server_gets_dotted_pipelines():
    assert connection.embedded_server
    sent = pipeline_of(QUERIES["values_list across a relation"](), compat.SQLCompiler)
    assert {"$project": {"django_content_type.app_label": 1, "django_content_type.model": 1, "codename": 1}} in sent


@pytest.mark.django_db
def test_orm_answers_across_relations_are_right_on_the_embedded_server():
    group_type = ContentType.objects.get_for_model(Group)
    assert list(QUERIES["values_list across a relation"]()) == [("auth", "add_group")]
    permissions = list(QUERIES["select_related ordered by the related model"]())
    assert permissions and all(p.content_type.pk == p.content_type_id for p in permissions)
    assert next(p for p in permissions if p.codename == "add_group").content_type == group_type
    labels = [row["content_type__app_label"] for row in QUERIES["values across a relation, distinct"]()]
    assert sorted(labels) == sorted(set(ContentType.objects.values_list("app_label", flat=True)))


@pytest.mark.django_db
def test_the_projects_select_related_answers_are_right():
    staff = make_user("sel")
    message = make_message()
    lead = message.lead
    lead.assignee = staff
    lead.save(update_fields=["assignee"])
    note = Note.objects.create(lead=lead, author=staff, body="Called back", created_at=lead.created_at)
    audit_record(actor=staff, action=AuditAction.NOTE, lead=lead, details={"note_id": str(note.pk)})

    assert lead_get(pk=str(lead.pk)).assignee == staff
    assert Message.objects.select_related("lead").get(pk=message.pk).lead.email == lead.email
    assert [entry.lead.pk for entry in QUERIES["the project's own select_related"]()] == [lead.pk]
    assert [item.obj.author for item in lead_timeline(lead=lead) if item.kind == "note"] == [staff]
    ordered = Note.objects.select_related("author", "lead").order_by("lead__name", "author__username")
    assert [(n.lead.pk, n.author.pk, n.author.username) for n in ordered] == [(lead.pk, staff.pk, "sel")]
