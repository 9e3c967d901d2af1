"""Wait until a MongoDB server answers a ping: wait_for_db.py URI SECONDS. Exit 1 on timeout."""
import sys
import time

from pymongo import MongoClient
from pymongo.errors import PyMongoError

uri, seconds = sys.argv[1], float(sys.argv[2])
deadline = time.monotonic() + seconds
while True:
    try:
        MongoClient(uri, serverSelectionTimeoutMS=500).admin.command("ping")
        sys.exit(0)
    except PyMongoError as exc:
        if time.monotonic() > deadline:
            print(f"MongoDB at {uri} did not answer within {seconds:.0f} s: {exc}", file=sys.stderr)
            sys.exit(1)
        time.sleep(0.2)
