"""Concurrent upserts of one new key, from separate connections, as two web processes make them."""
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.conf import settings
from pymongo import MongoClient

from contact import ratelimit
from maniva_webapp.mongo import database_name, upsert_and_fetch

pytestmark = pytest.mark.django_db(transaction=True)


def test_racing_upserts_of_a_new_key_all_get_the_document(db):
    uri = settings.DATABASES["default"]["HOST"]
    clients = [MongoClient(uri) for _ in range(4)]
    try:
        collections = [client[database_name(uri)]["race_test"] for client in clients]

        def bump(args: tuple[int, int]) -> int:
            key, worker = args
            return upsert_and_fetch(collections[worker % 4], {"_id": f"k{key}"}, {"$inc": {"n": 1}})["n"]

        with ThreadPoolExecutor(8) as pool:
            counts = list(pool.map(bump, [(key, worker) for key in range(40) for worker in range(8)]))
        assert len(counts) == 320 and all(n >= 1 for n in counts)
        totals = {doc["_id"]: doc["n"] for doc in collections[0].find()}
        assert totals == {f"k{key}": 8 for key in range(40)}  # each update applied once, none twice
    finally:
        for client in clients:
            client.close()


def test_rate_limit_hits_racing_on_a_new_window_never_fail(db):
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda i: ratelimit.hit(scope="race", key=str(i % 5), limit=10_000, window=3600), range(200)))
