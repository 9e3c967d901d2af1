"""maniva_webapp.mongo.find_in: many values read in short `$in` lists, against the suite's server."""
from collections.abc import Iterator

import pytest
from pymongo import MongoClient
from pymongo.database import Database

from maniva_webapp.mongo import IN_SPARSE, IN_VALUES_MAX, find_in
from tests.dbserver import SERVER
from tests.helpers import ThreadCommands

SCRATCH_DB = "find_in"


@pytest.fixture
def commands() -> ThreadCommands:
    return ThreadCommands()


@pytest.fixture
def scratch(commands: ThreadCommands) -> Iterator[Database]:
    client = MongoClient(SERVER.uri, event_listeners=[commands])
    client.drop_database(SCRATCH_DB)
    db = client[SCRATCH_DB]
    # doc n holds values v{n} and v{n+1}: each value but the first is in two documents
    db.docs.insert_many([{"_id": n, "tags": [f"v{n}", f"v{n + 1}"]} for n in range(60)])
    # and "common" is in IN_SPARSE documents of their own
    db.docs.insert_many([{"_id": 100 + n, "tags": ["common"]} for n in range(IN_SPARSE)])
    db.docs.create_index([("tags", 1)])
    yield db
    client.drop_database(SCRATCH_DB)
    client.close()


def finds(commands: ThreadCommands) -> list[list]:
    """The value lists of the finds sent."""
    return [command["filter"]["tags"]["$in"] for name, command in commands.disarm() if name == "find"]


def test_every_match_once_in_lists_that_double_while_sparse(scratch, commands):
    values = [f"v{n}" for n in range(61)]
    commands.arm()
    found = [doc["_id"] for doc in find_in(scratch.docs, "tags", values, {"_id": 1}, limit=1000)]
    sent = finds(commands)
    assert sorted(found) == list(range(60)) and len(found) == 60  # doc 7 matches v7 and v8, in two lists, read once
    assert [len(values) for values in sent] == [1, 2, 4, 8, 16, 16, 14] and sum(sent, []) == values
    assert IN_VALUES_MAX == 16


def test_a_list_that_found_many_is_not_doubled(scratch, commands):
    commands.arm()
    found = [doc["_id"] for doc in find_in(scratch.docs, "tags", ["common", "v0", "v1", "v2"], {"_id": 1}, limit=1000)]
    assert finds(commands) == [["common"], ["v0"], ["v1", "v2"]]
    assert sorted(found) == [0, 1, 2] + [100 + n for n in range(IN_SPARSE)]


def test_the_first_values_first_and_no_query_after_the_limit(scratch, commands):
    values = ["common"] + [f"v{n}" for n in range(61)]
    commands.arm()
    found = [doc["_id"] for doc in find_in(scratch.docs, "tags", values, {"_id": 1}, limit=IN_SPARSE + 2)]
    assert set(found[:IN_SPARSE]) == {100 + n for n in range(IN_SPARSE)}
    assert found[IN_SPARSE:] == [0, 1]
    assert finds(commands) == [["common"], ["v0"], ["v1", "v2"]]  # doc 1 (through v1) is the limit: no query after


def test_no_values_no_query(scratch, commands):
    commands.arm()
    assert list(find_in(scratch.docs, "tags", [], {"_id": 1}, limit=10)) == []
    assert commands.disarm() == []
