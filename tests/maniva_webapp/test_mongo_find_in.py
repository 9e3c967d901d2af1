"""maniva_webapp.mongo.find_in: many values read in short `$in` lists, against the suite's server."""
from collections.abc import Iterator

import pytest
from pymongo import MongoClient
from pymongo.database import Database

from maniva_webapp.mongo import IN_VALUES_PER_QUERY, find_in
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
    db.docs.insert_many([{"_id": n, "tags": [f"v{n}", f"v{n + 1}"]} for n in range(40)])
    db.docs.create_index([("tags", 1)])
    yield db
    client.drop_database(SCRATCH_DB)
    client.close()


def test_every_match_once_in_short_lists(scratch, commands):
    values = [f"v{n}" for n in range(41)]
    commands.arm()
    found = [doc["_id"] for doc in find_in(scratch.docs, "tags", values, {"_id": 1}, limit=1000)]
    sent = [command for name, command in commands.disarm() if name == "find"]
    assert sorted(found) == list(range(40)) and len(found) == 40  # doc 7 matches v7 and v8, in two lists, read once
    assert [len(command["filter"]["tags"]["$in"]) for command in sent] == [IN_VALUES_PER_QUERY] * (41 // IN_VALUES_PER_QUERY) + [41 % IN_VALUES_PER_QUERY]


def test_the_first_values_first_and_no_query_after_the_limit(scratch, commands):
    values = [f"v{n}" for n in range(41)]
    commands.arm()
    found = [doc["_id"] for doc in find_in(scratch.docs, "tags", values, {"_id": 1}, limit=IN_VALUES_PER_QUERY + 2)]
    sent = [command for name, command in commands.disarm() if name == "find"]
    first_list = set(range(IN_VALUES_PER_QUERY))  # the documents holding v0 … v{k-1}
    assert len(found) == IN_VALUES_PER_QUERY + 2 and len(set(found)) == len(found)
    assert set(found[:IN_VALUES_PER_QUERY]) == first_list
    assert len(sent) == 2


def test_no_values_no_query(scratch, commands):
    commands.arm()
    assert list(find_in(scratch.docs, "tags", [], {"_id": 1}, limit=10)) == []
    assert commands.disarm() == []
