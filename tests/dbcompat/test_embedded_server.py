"""Conformance: each quirk of the embedded server (SecantusDB 0.7.0b3) that the project depends on
or works around, reproduced with plain pymongo against the suite's own server.

A quirk test passes while the quirk is there. When a new SecantusDB release fixes one, its test
fails with "SecantusDB fixed this: retire …", naming the workaround that can go. MongoDB answers
every "correct" value below."""
import threading
import time
from collections.abc import Callable, Iterator

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import NotSupportedError
from pymongo import MongoClient, ReturnDocument
from pymongo.collection import Collection
from pymongo.database import Database
from pymongo.errors import OperationFailure

from maniva_webapp.mongo import upsert_and_fetch
from tests.dbserver import SERVER
from tests.helpers import plan_stages

SCRATCH_DB = "dbcompat"
PIPELINE_WORKAROUND = "maniva_webapp/db_backend (set ENGINE back to django_mongodb_backend)"


def assert_still_quirky(answer: object, *, quirky: object, correct: object, retire: str) -> None:
    assert answer != correct, f"SecantusDB fixed this: retire {retire}"
    assert answer == quirky, f"SecantusDB answers differently now ({answer!r}): re-check {retire}"


@pytest.fixture
def scratch() -> Iterator[Database]:
    client = MongoClient(SERVER.uri)
    client.drop_database(SCRATCH_DB)
    yield client[SCRATCH_DB]
    client.drop_database(SCRATCH_DB)
    client.close()


@pytest.fixture
def permissions(scratch: Database) -> Collection:
    """A permission with its content type joined in, as django-mongodb-backend's $lookup leaves it."""
    scratch.perm.insert_one({"_id": 1, "codename": "add_group", "ct": {"_id": 10, "app_label": "auth", "model": "group"}})
    return scratch.perm


# --- $project with a nested inclusion (values()/values_list() across a relation) ---

def test_nested_project_inclusion_answers_the_literal_1(permissions):
    [doc] = permissions.aggregate([{"$project": {"_id": 0, "ct": {"app_label": 1}}}])
    assert_still_quirky(doc, quirky={"ct": {"app_label": 1}}, correct={"ct": {"app_label": "auth"}}, retire=PIPELINE_WORKAROUND)


def test_dotted_project_inclusion_is_right(permissions):
    """What the compatibility layer sends instead."""
    [doc] = permissions.aggregate([{"$project": {"_id": 0, "ct.app_label": 1}}])
    assert doc == {"ct": {"app_label": "auth"}}


# --- $addFields with a nested object (select_related() ordered by the related model) ---

def test_nested_add_fields_replaces_the_embedded_document(permissions):
    [doc] = permissions.aggregate([{"$addFields": {"ct": {"app_label": "$ct.app_label"}}}, {"$project": {"_id": 0, "ct": 1}}])
    assert_still_quirky(
        doc,
        quirky={"ct": {"app_label": "auth"}},  # the joined _id and model are gone
        correct={"ct": {"_id": 10, "app_label": "auth", "model": "group"}},
        retire=PIPELINE_WORKAROUND,
    )


def test_dotted_add_fields_merges(permissions):
    """What the compatibility layer sends instead."""
    [doc] = permissions.aggregate([{"$addFields": {"ct.label": "$ct.app_label"}}, {"$project": {"_id": 0, "ct": 1}}])
    assert doc == {"ct": {"_id": 10, "app_label": "auth", "model": "group", "label": "auth"}}


# --- find_one_and_update(upsert=True) that loses a race answers None though it applied ---

RACER = "dbcompat-racer"


def upsert_behind_a_transaction(upsert: Callable[[Collection], object], op: str = "findAndModify") -> tuple[object, dict]:
    """The race two web processes run into, made deterministic: another session holds an
    uncommitted insert of the key while `upsert` of that key is sent; the transaction commits
    only once the server shows the upsert (command `op`) waiting. Returns (upsert's answer, stored document)."""
    holder, racer = MongoClient(SERVER.uri), MongoClient(SERVER.uri, appname=RACER)
    answer: dict = {}

    def run() -> None:
        try:
            answer["value"] = upsert(racer[SCRATCH_DB].race)
        except Exception as error:  # noqa: BLE001 - reported by the assertions below
            answer["value"] = error

    try:
        with holder.start_session() as session:
            session.start_transaction()
            holder[SCRATCH_DB].race.update_one({"_id": "k"}, {"$inc": {"n": 1}}, upsert=True, session=session)
            thread = threading.Thread(target=run, daemon=True)
            thread.start()
            deadline = time.monotonic() + 30
            while thread.is_alive() and not _waiting(holder, op):
                assert time.monotonic() < deadline, "the racing upsert never reached the server"
                time.sleep(0.02)
            assert thread.is_alive(), f"the upsert no longer waits for the transaction: it answered {answer.get('value')!r} at once"
            session.commit_transaction()
        thread.join(30)
        assert not thread.is_alive(), "the racing upsert never answered"
        return answer["value"], holder[SCRATCH_DB].race.find_one({"_id": "k"})
    finally:
        holder.close()
        racer.close()


def _waiting(client: MongoClient, op: str) -> bool:
    return any(
        entry.get("op") == op and entry.get("clientMetadata", {}).get("application", {}).get("name") == RACER
        for entry in client.admin.command("currentOp")["inprog"]
    )


def test_racing_upsert_applies_but_answers_none(scratch):
    answer, stored = upsert_behind_a_transaction(
        lambda race: race.find_one_and_update({"_id": "k"}, {"$inc": {"n": 1}}, upsert=True, return_document=ReturnDocument.AFTER)
    )
    assert stored == {"_id": "k", "n": 2}  # both increments applied
    assert_still_quirky(answer, quirky=None, correct={"_id": "k", "n": 2},
                        retire="nothing forced: maniva_webapp/mongo.py upsert_and_fetch uses update_one then find_one "
                               "(for findAndModify's O(collection) cost); it could go back to one find_one_and_update")


def test_upsert_and_fetch_answers_the_document_in_that_race(scratch):
    answer, stored = upsert_behind_a_transaction(lambda race: upsert_and_fetch(race, {"_id": "k"}, {"$inc": {"n": 1}}), op="update")
    assert answer == stored == {"_id": "k", "n": 2}


# --- no text indexes, no $text ---

def fails(call: Callable[[], object]) -> bool:
    try:
        call()
    except OperationFailure:
        return True
    return False


def test_no_text_index_and_no_text_search(scratch):
    scratch.msg.insert_one({"body": "online ordering for two shops"})
    retire = "nothing forced: contact/search.py's search_terms work on both servers; $text is now an option"
    assert fails(lambda: scratch.msg.create_index([("body", "text")])), f"SecantusDB fixed this (text indexes): {retire}"
    assert fails(lambda: list(scratch.msg.find({"$text": {"$search": "shops"}}))), f"SecantusDB fixed this ($text): {retire}"


# --- no prefetch_related() across many-to-many (django-mongodb-backend refuses it, on any server) ---

@pytest.mark.django_db
def test_prefetch_related_across_many_to_many_is_refused():
    Group.objects.create(name="Prefetchers").permissions.add(Permission.objects.get(codename="add_group"))
    try:
        list(Group.objects.prefetch_related("permissions"))
    except NotSupportedError:
        return
    pytest.fail("django-mongodb-backend supports prefetch_related() across many-to-many now: it may replace hand-made batched reads")


# --- a partial index is never chosen for a query, even one that carries its filter ---

def _plan_stages(collection: Collection, query: dict) -> list[str]:
    return plan_stages(collection.find(query).explain())


def test_a_partial_index_is_not_used_even_by_a_query_matching_its_filter(scratch):
    """django-mongodb-backend makes a nullable unique field's index partial ({"$type": "string"});
    MongoDB uses it for {"f": x, "f": {"$type": "string"}}, SecantusDB scans. The project keeps a
    plain index beside (contact.Message's message_mail_id for mail_message_id, session_key_lookup for
    Django's sessions)."""
    scratch.msg.insert_many([{"mail": None}, {"mail": None}, {"mail": "a@b"}])
    scratch.msg.create_index([("mail", 1)], name="partial", unique=True, partialFilterExpression={"mail": {"$type": "string"}})
    quirky = _plan_stages(scratch.msg, {"mail": {"$eq": "a@b", "$type": "string"}})
    assert_still_quirky(quirky, quirky=["COLLSCAN"], correct=["FETCH", "IXSCAN"],
                        retire="the plain indexes message_mail_id (contact/models.py Message.Meta.indexes) and "
                               "session_key_lookup (mongo_migrations/sessions/0002)")
    scratch.msg.create_index([("mail", 1)], name="plain")
    assert _plan_stages(scratch.msg, {"mail": "a@b"}) == ["FETCH", "IXSCAN"]


def test_two_range_conditions_make_the_planner_scan(scratch):
    """{status: x, run_after <= now, locked_until < now} with an index on (status, run_after): MongoDB
    uses the index and filters the lease on FETCH; SecantusDB scans (and a hint walks the whole index)."""
    scratch.jobs.insert_many([{"status": "done", "run_after": 1, "locked_until": 0} for _ in range(5)])
    scratch.jobs.create_index([("status", 1), ("run_after", 1)])
    query = {"status": "pending", "run_after": {"$lte": 10}, "locked_until": {"$lt": 10}}
    assert_still_quirky(_plan_stages(scratch.jobs, query), quirky=["COLLSCAN"], correct=["FETCH", "IXSCAN"],
                        retire="nothing forced: contact/outbox.py job_claim finds by (status, run_after) and skips leased jobs itself")
    assert _plan_stages(scratch.jobs, {"status": "pending", "run_after": {"$lte": 10}}) == ["FETCH", "IXSCAN"]


def test_explain_calls_an_update_by_id_a_collection_scan(scratch):
    """An update by _id is explained as COLLSCAN, though a find by the same _id is explained as an
    IXSCAN and the update costs the same at 1,000 jobs as at 100,000 (benchmarks/outbox.py times each
    outbox query at both sizes for this reason). MongoDB explains it as IDHACK / EXPRESS_IXSCAN."""
    ids = scratch.jobs.insert_many([{"status": "done"} for _ in range(20)]).inserted_ids
    assert _plan_stages(scratch.jobs, {"_id": ids[3]}) == ["FETCH", "IXSCAN"]
    explained = scratch.command({"explain": {"update": "jobs", "updates": [{"q": {"_id": ids[3]}, "u": {"$set": {"status": "x"}}}]},
                                 "verbosity": "queryPlanner"})
    assert_still_quirky(plan_stages(explained), quirky=["COLLSCAN"], correct=["IDHACK"],
                        retire="the timing of each outbox update in benchmarks/outbox.py (read its plan instead)")


def test_explain_reports_a_scan_for_an_indexed_equality_with_residual_conditions(scratch):
    """{email: x, is_spam: false} with an index on email alone (and {_id: x, "tokens.4": {$exists:
    false}}): MongoDB's explain shows the index, the rest filtered on FETCH; SecantusDB's explain
    says COLLSCAN, yet it runs such a filter through the index (the contact POST's conditional
    upserts stay flat from 300 to 30,000 leads in benchmarks/intake.py, where a scan costs seconds)."""
    scratch.lead.insert_many([{"email": f"e{n}@x", "is_spam": False, "expires": n} for n in range(5)])
    scratch.lead.create_index([("email", 1)])
    assert_still_quirky(_plan_stages(scratch.lead, {"email": "e1@x", "is_spam": False}), quirky=["COLLSCAN"], correct=["FETCH", "IXSCAN"],
                        retire="explaining only the indexed equality in tests/contact/test_indexes.py (explain the whole filter)")
    assert _plan_stages(scratch.lead, {"email": "e1@x"}) == ["FETCH", "IXSCAN"]
    assert _plan_stages(scratch.lead, {"_id": 1, "tokens.4": {"$exists": False}}) == ["COLLSCAN"]
    # and a range on a second indexed field (a session read by key and expiry): maniva_webapp/sessions.py
    # reads by key alone and checks the expiry on the document
    scratch.lead.create_index([("expires", 1)])
    assert _plan_stages(scratch.lead, {"email": "e1@x", "expires": {"$gt": 0}}) == ["COLLSCAN"]


def test_a_condition_beside_a_compound_index_makes_the_server_read_every_document(scratch):
    """{assignee: x, spam: false, at: range} with an index on (assignee, at): MongoDB takes the index
    and filters spam on FETCH; SecantusDB scans (explain says COLLSCAN, and it runs as one: 164 ms at
    3,030 leads against 12 ms for {assignee: x, at: range}, benchmarks/crm_pages.py; a hint does not
    help). maniva_crm/selectors/inbox.py sends each slice the columns of one index (SLICE_INDEXES)
    and checks the other conditions on the documents read."""
    scratch.lead.insert_many([{"assignee": None, "spam": n % 2 == 0, "at": n} for n in range(6)])
    scratch.lead.create_index([("assignee", 1), ("at", -1)])
    assert_still_quirky(_plan_stages(scratch.lead, {"assignee": None, "spam": False, "at": {"$gte": 2}}), quirky=["COLLSCAN"],
                        correct=["FETCH", "IXSCAN"], retire="SLICE_INDEXES and _residual_holds in maniva_crm/selectors/inbox.py")
    assert _plan_stages(scratch.lead, {"assignee": None, "at": {"$gte": 2}}) == ["FETCH", "IXSCAN"]


# --- a find with a limit and no sort reads every match before it applies the limit ---

def test_a_limited_unsorted_find_reads_every_match(scratch):
    """find({s: "a"}).limit(3) through an index: MongoDB stops after 3 documents; SecantusDB fetches
    all 20 matches, then cuts (its explain says so; at 100,000 messages such a probe over the whole
    inbox took 2.5-3.6 s). The inbox (maniva_crm/selectors/inbox.py, `_newest`) probes unsorted only
    for a searched word not yet seen to match more than a page, and reads everything else in slices
    of recent activity."""
    scratch.lead.insert_many([{"s": "a", "n": n} for n in range(20)])
    scratch.lead.create_index([("s", 1)])
    explained = scratch.command({"explain": {"find": "lead", "filter": {"s": "a"}, "limit": 3}, "verbosity": "executionStats"})
    assert_still_quirky(explained["executionStats"]["totalDocsExamined"], quirky=20, correct=3,
                        retire="the common-word memo and the probe's guard in maniva_crm/selectors/inbox.py _newest (probe every filter)")
    assert len(list(scratch.lead.find({"s": "a"}).limit(3))) == 3


def test_a_sorted_index_range_reads_every_match_before_the_first_batch(scratch):
    """find({status, run_after <= now}).sort(run_after).limit(3) through the (status, run_after)
    index: MongoDB walks the index in order and stops after 3 documents; SecantusDB fetches and sorts
    all 20 matches first (an outbox claim read the whole due backlog: 14 ms at 300 pending jobs,
    122 ms at 3,000). contact/outbox.py's claims read 5 s windows of run_after from a floor instead."""
    scratch.job.insert_many([{"status": "pending", "run_after": n} for n in range(20)])
    scratch.job.create_index([("status", 1), ("run_after", 1)])
    explained = scratch.command({"explain": {"find": "job", "filter": {"status": "pending", "run_after": {"$lte": 100}},
                                             "sort": {"run_after": 1}, "limit": 3}, "verbosity": "executionStats"})
    assert_still_quirky(explained["executionStats"]["totalDocsExamined"], quirky=20, correct=3,
                        retire="the claim floor and its windows in contact/outbox.py (_ClaimFloor): claim over the whole queue")
    assert [doc["run_after"] for doc in scratch.job.find({"status": "pending"}).sort("run_after", 1).limit(3)] == [0, 1, 2]


# --- an $in matches each document against its values one by one ---

def test_an_in_list_is_matched_value_by_value(scratch, monkeypatch):
    """The server re-checks every document an index gave it against the whole filter, and its `$in`
    tries the values in turn, each a Python comparison: a long list costs documents × values (92 text
    bands, 256 messages: 176 ms in one find, 43 ms in finds of 8 values; MongoDB looks each value up
    in a set). The cost cannot be timed in a test, so the server's own matcher is called in process
    and its comparisons counted; the answer through the wire is checked alike. maniva_webapp.mongo
    find_in keeps each `$in` short."""
    from secantus import query

    tried = []
    compare = query._in_candidate_matches
    monkeypatch.setattr(query, "_in_candidate_matches", lambda *args, **kwargs: tried.append(1) or compare(*args, **kwargs))
    values = [f"band{n}" for n in range(100)]
    assert query.matches({"bands": ["other", "band99"]}, {"bands": {"$in": values}})
    assert_still_quirky(len(tried), quirky=100, correct=1, retire="find_in's short lists in maniva_webapp/mongo.py (one $in per find)")
    scratch.msg.insert_many([{"bands": ["other", f"band{n}"]} for n in range(0, 200, 2)])
    scratch.msg.create_index([("bands", 1)])
    assert scratch.msg.count_documents({"bands": {"$in": values}}) == 50


# --- a date range as django-mongodb-backend writes it is read by a scan ---

def test_a_range_with_the_orms_not_null_conditions_is_read_by_a_scan(scratch):
    """Message.objects.filter(received_at__lt=x) becomes {$and: [{at: {$lt: x}}, {$and: [{at:
    {$exists: true}}, {at: {$ne: null}}]}]}; MongoDB serves it through the index on `at`, SecantusDB
    reads every document (7.5 s against 8.5 ms for {at: {$lt: x}} at 100,000 messages). The admin's
    newest-first lists read their windows with pymongo (contact.admin.NewestFirstPaginator)."""
    scratch.msg.insert_many([{"at": n} for n in range(20)])
    scratch.msg.create_index([("at", -1)])
    orm_shape = {"$and": [{"at": {"$lt": 5}}, {"$and": [{"at": {"$exists": True}}, {"at": {"$ne": None}}]}]}
    assert_still_quirky(_plan_stages(scratch.msg, orm_shape), quirky=["COLLSCAN"], correct=["FETCH", "IXSCAN"],
                        retire="the pymongo windows of contact.admin.NewestFirstPaginator (read them through the ORM)")
    assert _plan_stages(scratch.msg, {"at": {"$lt": 5}}) == ["FETCH", "IXSCAN"]
    assert scratch.msg.count_documents(orm_shape) == 5
