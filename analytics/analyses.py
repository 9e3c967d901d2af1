"""Each analysis end to end, from a pymongo database to a JSON-able dict. No Django: the command,
the services and the notebook all call these."""
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import datetime, timezone

import numpy as np
import scipy.sparse as sp
from pymongo.database import Database

from analytics import reader
from analytics.brand import Brand
from analytics.terms import TermMatrixBuilder, distinctive_terms

# lengths (scipy.stats), topics (NMF) and charts (matplotlib) are imported where used: `analytics
# terms` starts a second sooner without them, which the benchmark against the floor shows.

MIN_MESSAGES = 2  # no distribution and no contrast can be drawn from fewer
Progress = Callable[[int], object] | None


class TooFewMessages(ValueError):
    pass


@dataclass
class Corpus:
    matrix: sp.csr_matrix
    names: np.ndarray
    months: list[str]
    statuses: list[str]

    def __len__(self) -> int:
        return self.matrix.shape[0]


def _require(count: int, needed: int, what: str) -> None:
    if count < needed:
        raise TooFewMessages(f"{count} message(s) in range: {what} needs at least {needed}")


def corpus_load(
    db: Database, query: dict, *, include_spam: bool = True, tally: reader.StatsTally | None = None, progress: Progress = None
) -> Corpus:
    """One streaming pass over the message bodies: each becomes token ids at once and is dropped.
    Spam is skipped here rather than in the query: the server then only has to read, not test.
    A `tally` also counts every message (spam included) and measures its length on the way."""
    # The leads' statuses are read on a second connection while the messages stream in.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="analytics-leads") as pool:
        statuses_by_lead = pool.submit(reader.lead_statuses, db)
        builder = TermMatrixBuilder()
        months: list[str] = []
        lead_ids: list = []
        fields = reader.TEXT_FIELDS if tally is None else reader.TALLY_FIELDS
        for batch in reader.message_batches(db, query, fields=fields):
            for document in batch:
                received = document.get("received_at")
                month = f"{received.year:04d}-{received.month:02d}" if received else ""
                if tally is not None:
                    tally.add(document, month)
                if not include_spam and reader.is_spam(document):
                    continue
                builder.add(document.get("message") or "")
                months.append(month)
                lead_ids.append(document.get("lead_id"))
            if progress:
                progress(len(batch))
        status_of = statuses_by_lead.result().get
    statuses = [status_of(lead_id, "") for lead_id in lead_ids]
    # Below ~100 messages every term counts; above, a term in a single message is noise.
    matrix, names = builder.build(min_df=1 if len(builder) < 100 else 2)
    return Corpus(matrix, names, months, statuses)


def lengths_analyse(db: Database, query: dict) -> dict:
    """From the server's aggregation: counts and lengths without any text crossing the wire."""
    return lengths_from_stats(reader.message_stats(db, query))


def lengths_from_stats(stats: dict) -> dict:
    """From `message_stats`-shaped counts (the server's, or a `StatsTally` filled on a pass already made)."""
    from analytics.lengths import length_report

    _require(stats["counts"]["total"], MIN_MESSAGES, "a length distribution")
    return {"counts": stats["counts"], **length_report(stats["chars"], stats["words"])}


def terms_analyse(corpus: Corpus, *, top: int = 15) -> dict:
    _require(len(corpus), MIN_MESSAGES, "distinctive terms")
    try:
        return distinctive_terms(corpus.matrix, corpus.names, {"by_month": corpus.months, "by_status": corpus.statuses}, top=top)
    except ValueError as error:
        raise TooFewMessages(f"the messages in range have no words to rank ({error})") from error


def topics_analyse(corpus: Corpus, *, n_topics: int = 8, seed: int = 0) -> dict:
    from analytics.topics import topic_model

    _require(len(corpus), 2 * n_topics, f"{n_topics} topics")
    return topic_model(corpus.matrix, corpus.names, corpus.months, n_topics=n_topics, seed=seed)


def model_quality(model_info: dict | None) -> list[dict]:
    """The quality figures the report may show: each with what was measured, on which data and how
    many examples. Figures without a sample size are left out. The spam model's bundle carries the
    cross-validation of its training data (`metrics`: staff labels and the seed corpus, never demo
    data, which `seed_demo` leaves unlabelled); an evaluation on held-out data can be stored beside
    it as `evaluations`, a list of dicts with the same keys as the entries below."""
    info = model_info or {}
    entries = []
    metrics = info.get("metrics")
    if metrics and metrics.get("examples"):
        sources = [f"{info['staff_labels']:,} staff labels" if info.get("staff_labels") else "",
                   f"the corpus {info['seed_corpus']}" if info.get("seed_corpus") else ""]
        entries.append({
            "model": f"spam model v{info.get('version', '?')}",
            "method": f"{metrics.get('folds', 5)}-fold cross-validation on its training data",
            "data": " + ".join(s for s in sources if s) or "its training data",
            "n": int(metrics["examples"]),
            "positives": int(metrics.get("spam", 0)),
            **{key: float(metrics[key]) for key in ("precision", "recall", "f1") if key in metrics},
        })
    for evaluation in info.get("evaluations") or []:
        if evaluation.get("n"):
            entries.append(dict(evaluation))
    return entries


def spam_summary(counts: dict, model_info: dict | None) -> dict:
    """What the report says about spam: the saved model, its quality figures with their sample
    sizes (`quality`), and the counts of staff labels and intake flags."""
    info = {key: value for key, value in (model_info or {}).items() if key != "model"}
    return {
        "model": info or None,
        "quality": model_quality(info),
        "labelled": counts.get("by_label", {}),
        "flagged_at_intake": counts.get("by_spam", {}),
    }


def report_build(
    db: Database,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    include_spam: bool = False,
    seed: int = 0,
    n_topics: int = 8,
    top: int = 15,
    model_info: dict | None = None,
    brand: Brand | None = None,
    progress: Progress = None,
) -> dict:
    """One pass over the window: lengths and counts over every message (spam included, to compare),
    terms and topics over the rest."""
    from analytics.changes import month_changes
    from analytics.charts import report_charts

    tally = reader.StatsTally()
    corpus = corpus_load(db, reader.message_filter(since=since, until=until), include_spam=include_spam, tally=tally, progress=progress)
    lengths = lengths_from_stats(tally.result())
    results = {
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "params": {
            "since": since.isoformat() if since else None,
            "until": until.isoformat() if until else None,
            "include_spam": include_spam,
            "seed": seed,
            "topics": n_topics,
        },
        "counts": lengths.pop("counts"),
        "lengths": lengths,
        "terms": terms_analyse(corpus, top=top) if len(corpus) >= MIN_MESSAGES else None,
        "topics": topics_analyse(corpus, n_topics=n_topics, seed=seed) if len(corpus) >= 2 * n_topics else None,
    }
    results["changes"] = month_changes(corpus.matrix, corpus.names, corpus.months, results["topics"]) if len(corpus) else None
    results["spam"] = spam_summary(results["counts"], model_info)
    results["brand"] = asdict(brand or Brand())
    results["charts"] = report_charts(results, brand or Brand())
    return results
