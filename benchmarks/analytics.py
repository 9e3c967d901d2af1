"""Analytics at scale: `analytics terms` and `analytics report` on N generated messages, against the
floor of the same work (a bare pymongo read of the texts + `TfidfVectorizer().fit`).

    .venv/bin/python benchmarks/analytics.py [--messages 100000]

Starts its own SecantusDB daemon (`secantusd-py --storage-path :memory:`; a daemon rather than the
in-process server, which would share this process's GIL while inserting), migrates a fresh
database, inserts the messages, then runs the floor and the two commands as subprocesses, so wall
time and peak RSS (`os.wait4`) are theirs alone. `--uri` reuses a server already holding the data.
Targets: terms ≤ 1.5× floor, report ≤ 4× floor, peak RSS ≤ 1 GiB."""
import argparse
import socket
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from bson import ObjectId
from pymongo import MongoClient

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from maniva_crm import demo_text  # noqa: E402  (no Django: plain templates)
PYTHON = sys.executable
DB_NAME = "maniva_bench"
TARGETS = {"terms": 1.5, "report": 4.0}
GIB = 1024**3

WORDS = """website design redesign shop online ordering payment booking app mobile android ios seo search
ranking marketing campaign social media instagram budget quote price estimate timeline launch deadline
brand logo identity hosting domain email migration wordpress shopify ecommerce store products catalogue
inventory integration crm analytics dashboard reports data privacy gdpr accessibility performance speed
security maintenance support consultation meeting call schedule restaurant bakery clinic dentist lawyer
school hotel travel agency startup team customers clients users sales leads conversion newsletter content
blog copywriting photos video translation languages checkout subscriptions membership portal login
calendar reservations menu delivery pickup loyalty coupons reviews testimonials portfolio gallery""".split()
GLUE = "the a an and or to of for with we our you your is are be it in on at this that would like need have".split()
STATUSES = ["new"] * 5 + ["contacted"] * 3 + ["qualified", "proposal", "won", "lost", "spam"]

FLOOR = """
import sys, time
from pymongo import MongoClient
from sklearn.feature_extraction.text import TfidfVectorizer
t0 = time.perf_counter()
db = MongoClient(sys.argv[1])[sys.argv[2]]
texts = [d["message"] for d in db.contact_message.find({}, {"message": 1, "_id": 0}, batch_size=10000)]
t1 = time.perf_counter()
TfidfVectorizer().fit(texts)
t2 = time.perf_counter()
print(f"read={t1 - t0:.2f}s fit={t2 - t1:.2f}s texts={len(texts)}")
"""


def message_text(rng: random.Random, target: int = 425) -> str:
    theme = rng.sample(WORDS, 12)
    words, size = [], 0
    while size < target:
        roll = rng.random()
        word = rng.choice(theme) if roll < 0.5 else rng.choice(GLUE) if roll < 0.85 else rng.choice(WORDS)
        words.append(word)
        size += len(word) + 1
    text = " ".join(words)
    return text[0].upper() + text[1:] + "."


def populate(db, n: int, seed: int = 0, texts: str = "demo") -> None:
    """N messages from about N/3 leads; `texts` "demo" writes seed_demo's enquiries (maniva_crm.demo_text),
    "salad" the word salad of the first runs (to compare with their figures)."""
    rng = random.Random(seed)
    demo = demo_text.demo_messages(n, seed=seed) if texts == "demo" else None
    start = datetime(2025, 1, 1, tzinfo=timezone.utc)
    leads = []
    for i in range(max(1, n // 3)):
        created = start + timedelta(minutes=rng.randrange(525_600))
        leads.append({"_id": ObjectId(), "email": f"lead{i}@example.com", "name": f"Lead {i}", "status": rng.choice(STATUSES),
                      "created_at": created, "last_activity_at": created, "message_count": 0, "is_spam": False, "tags": []})
    for chunk in range(0, len(leads), 10_000):
        db.contact_lead.insert_many(leads[chunk : chunk + 10_000], ordered=False)
    batch = []
    for i in range(n):
        lead = rng.choice(leads)
        spam = rng.random() < (0.85 if demo and demo[i].persona.is_spam else 0.05 if not demo else 0.0)
        batch.append({
            "lead_id": lead["_id"], "kind": rng.choice(["contact", "contact", "consultation"]), "name": lead["name"],
            "email": lead["email"], "subject": demo[i].subject if demo else " ".join(rng.sample(WORDS, 4)).capitalize(),
            "message": demo[i].text if demo else message_text(rng),
            "received_at": start + timedelta(minutes=rng.randrange(525_600)), "is_spam": spam, "spam_score": 0.9 if spam else 0.1,
            "spam_reasons": [], "spam_label": "", "search_terms": [], "utm": {},
        })
        if len(batch) == 5000:
            db.contact_message.insert_many(batch, ordered=False)
            batch = []
    if batch:
        db.contact_message.insert_many(batch, ordered=False)


def server_cpu(pid: int | None) -> float:
    """CPU seconds the database server has used so far (Linux /proc), to tell its work from the child's."""
    if pid is None:
        return float("nan")
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(args: list[str], env: dict) -> tuple[float, int, str]:
    """(wall seconds, peak RSS bytes, stdout) of one child process, reaped with wait4 for its own rusage."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        child = subprocess.Popen(args, cwd=ROOT, env=env, stdout=out, stderr=err, text=True)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - started
        measure.cpu = usage.ru_utime + usage.ru_stime
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if child.returncode:
            raise SystemExit(f"{' '.join(args)} failed:\n{err.read()}")
        return wall, usage.ru_maxrss * 1024, out.read()


def start_daemon() -> tuple[subprocess.Popen, str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    daemon = Path(PYTHON).with_name("secantusd-py")
    process = subprocess.Popen([str(daemon), "--host", "127.0.0.1", "--port", str(port), "--storage-path", ":memory:", "--log-level", "ERROR"])
    uri = f"mongodb://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with MongoClient(uri, serverSelectionTimeoutMS=500) as client:
                client.admin.command("ping")
            return process, uri
        except Exception:
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("the database server did not start")
            time.sleep(0.2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=1, help="runs of each measurement; the best wall time counts")
    parser.add_argument("--uri", help="a running server whose database maniva_bench already holds the messages")
    parser.add_argument("--texts", choices=("demo", "salad"), default="demo",
                        help="seed_demo's enquiries (default) or the word salad the first figures were measured on")
    options = parser.parse_args()

    daemon, uri = (None, options.uri.rstrip("/")) if options.uri else start_daemon()
    try:
        db_uri = f"{uri}/{DB_NAME}"
        work = Path(tempfile.mkdtemp(prefix="maniva-bench-"))
        env = {**os.environ, "MONGODB_URI": db_uri, "DJANGO_DEBUG": "false", "DJANGO_HTTPS": "false",
               "DJANGO_SECRET_KEY": "benchmark-only-secret-key-0123456789abcdefghijklmnop",
               "ANALYTICS_MODEL_PATH": str(work / "no-model.joblib"), "LOG_LEVEL": "WARNING"}
        client = MongoClient(uri)
        if daemon:
            subprocess.run([PYTHON, "manage.py", "migrate", "--verbosity", "0"], cwd=ROOT, env=env, check=True)
            started = time.perf_counter()
            populate(client[DB_NAME], options.messages, texts=options.texts)
            print(f"inserted {options.messages} messages in {time.perf_counter() - started:.1f}s")
        sizes = [len(d["message"]) for d in client[DB_NAME].contact_message.find({}, {"message": 1}).limit(1000)]
        count = client[DB_NAME].contact_message.estimated_document_count()
        print(f"{count} messages, mean {sum(sizes) / len(sizes):.0f} characters; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        runs = {
            "floor": [PYTHON, "-c", FLOOR, uri, DB_NAME],
            "terms": [PYTHON, "manage.py", "analytics", "terms", "--format", "json"],
            "report": [PYTHON, "manage.py", "analytics", "report", "--format", "html", "--out", str(work / "report.html")],
        }
        results: dict[str, tuple[float, int, str]] = {}
        for round_ in range(options.repeat):  # interleaved, so a busy spell on the machine hits all three
            for name, args in runs.items():
                before = server_cpu(daemon.pid if daemon else None)
                wall, rss, out = measure(args, env)
                served = server_cpu(daemon.pid if daemon else None) - before
                detail = f"  ({out.strip()})" if name == "floor" else ""
                print(f"{name:7} wall={wall:6.2f}s  peak RSS={rss / 2**20:6.0f} MiB  CPU: own {measure.cpu:5.1f}s, server {served:5.1f}s{detail}", flush=True)
                if name not in results or wall < results[name][0]:
                    results[name] = (wall, max(rss, results.get(name, (0, 0))[1]), out)
        print("best of", options.repeat, {name: round(wall, 2) for name, (wall, _, _) in results.items()})
        floor = results["floor"][0]
        print()
        ok = True
        for name, limit in TARGETS.items():
            ratio = results[name][0] / floor
            ok &= ratio <= limit
            print(f"{name:7} {ratio:4.2f}× floor (target ≤ {limit}×) {'ok' if ratio <= limit else 'OVER'}")
        peak = max(rss for _, rss, _ in results.values())
        ok &= peak <= GIB
        print(f"peak RSS of any child {peak / 2**20:.0f} MiB (target ≤ 1024 MiB) {'ok' if peak <= GIB else 'OVER'}")
        sys.exit(0 if ok else 1)
    finally:
        if daemon:
            daemon.terminate()
            daemon.wait(timeout=30)


if __name__ == "__main__":
    main()
