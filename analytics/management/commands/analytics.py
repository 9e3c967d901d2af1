import sys
from datetime import datetime, timezone
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from analytics import analyses, reader, render
from analytics.services import analytics_database, model_path, report_brand, report_store


SEED_CORPUS = "data/sms_spam_collection.csv"  # in the repository; see data/README.md


def _date(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise CommandError(f"not an ISO date: {value!r} (e.g. 2026-01-31 or 2026-01-31T12:00)") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


class Command(BaseCommand):
    help = "Analytics over the stored messages: lengths, terms, topics, the spam model, and a stored report."

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        parsers = {
            "lengths": sub.add_parser("lengths", help="Distribution of message lengths by form kind and spam flag."),
            "terms": sub.add_parser("terms", help="Most distinctive terms overall, per month and per lead status."),
            "topics": sub.add_parser("topics", help="Topic model (NMF over TF-IDF): labels, shares, monthly trend."),
            "spam": sub.add_parser("spam", help="Train the spam model on staff labels (+ a seed corpus), or --evaluate a CSV."),
            "report": sub.add_parser("report", help="Everything, with charts; stored for the CRM dashboard."),
        }
        for name, p in parsers.items():
            p.add_argument("--since", type=_date, help="first day (ISO date, inclusive)")
            p.add_argument("--until", type=_date, help="end (ISO date, exclusive)")
            p.add_argument("--seed", type=int, default=0, help="random seed: same input and seed, same output")
            if name in ("terms", "topics", "report"):
                p.add_argument("--include-spam", action="store_true", help="also read messages flagged or labelled spam")
            if name in ("lengths", "terms", "topics"):
                p.add_argument("--format", choices=("text", "json"), default="text")
        parsers["terms"].add_argument("--top", type=int, default=15)
        parsers["topics"].add_argument("--topics", type=int, default=8, dest="n_topics")
        parsers["report"].add_argument("--topics", type=int, default=8, dest="n_topics")
        parsers["report"].add_argument("--format", choices=tuple(render.RENDERERS), default="text")
        parsers["report"].add_argument("--out", type=Path, help="write the report here instead of stdout")
        parsers["report"].add_argument("--no-store", action="store_true", help="do not store the results for the dashboard")
        parsers["spam"].add_argument("--seed-corpus", type=Path, help="extra label,text CSV (labels spam/ham)")
        parsers["spam"].add_argument("--evaluate", type=Path, metavar="PATH", help="only report 5-fold CV scores on a label,text CSV")

    def handle(self, *args, subcommand: str, **options) -> None:
        try:
            getattr(self, f"run_{subcommand}")(**options)
        except analyses.TooFewMessages as error:
            raise CommandError(f"Too few messages: {error}. Widen --since/--until or wait for more.") from error

    def _progress(self, total: int, verbosity: int) -> tqdm:
        # tqdm hides itself when stderr is not a terminal (disable=None), and at --verbosity 0. The
        # total is the collection's size from its metadata: counting the window would scan it.
        return tqdm(total=total, unit="msg", file=sys.stderr, disable=None if verbosity else True, leave=False)

    def _output(self, results: dict, fmt: str, text_lines) -> None:
        self.stdout.write(render.report_json(results) if fmt == "json" else "\n".join(text_lines(results)))

    def run_lengths(self, *, since, until, verbosity, format, **_) -> None:
        results = analyses.lengths_analyse(analytics_database(), reader.message_filter(since=since, until=until))
        self._output(results, format, lambda r: [f"{r['counts']['total']} messages", *render.lengths_text(r)])

    def _corpus(self, *, since, until, include_spam, verbosity) -> analyses.Corpus:
        db = analytics_database()
        query = reader.message_filter(since=since, until=until)
        with self._progress(reader.message_total(db), verbosity) as bar:
            return analyses.corpus_load(db, query, include_spam=include_spam, progress=bar.update)

    def run_terms(self, *, top, format, **options) -> None:
        corpus = self._corpus(**{k: options[k] for k in ("since", "until", "include_spam", "verbosity")})
        self._output(analyses.terms_analyse(corpus, top=top), format, render.terms_text)

    def run_topics(self, *, n_topics, seed, format, **options) -> None:
        if n_topics < 1:
            raise CommandError("--topics must be at least 1")
        corpus = self._corpus(**{k: options[k] for k in ("since", "until", "include_spam", "verbosity")})
        self._output(analyses.topics_analyse(corpus, n_topics=n_topics, seed=seed), format, render.topics_text)

    def run_spam(self, *, evaluate, seed_corpus, seed, since, until, **_) -> None:
        from analytics import spam_model  # scikit-learn's SVM and model selection: only here
        from analytics.services import spam_model_train

        try:
            if evaluate:
                texts, labels = spam_model.read_labelled_csv(evaluate)
                metrics = spam_model.evaluate(texts, labels, seed=seed)
                self.stdout.write(f"{metrics['examples']} distinct texts, {metrics['spam']} spam, {metrics['folds']}-fold cross-validation")
                self.stdout.write(f"precision={metrics['precision']:.4f} recall={metrics['recall']:.4f} f1={metrics['f1']:.4f}")
                return
            info = spam_model_train(query=reader.message_filter(since=since, until=until), seed_corpus=seed_corpus, seed=seed)
        except spam_model.TooFewExamples as error:
            if evaluate or seed_corpus:
                raise CommandError(str(error)) from error
            raise CommandError(
                f"{error} among the staff's labels. Train with the bundled corpus as well:\n"
                f"  python manage.py analytics spam --seed-corpus {SEED_CORPUS}\n"
                "(any label,text CSV with labels spam/ham will do), or mark more leads as spam / not spam in the CRM."
            ) from error
        except (OSError, ValueError) as error:
            raise CommandError(str(error)) from error
        metrics = info["metrics"]
        self.stdout.write(f"trained on {info['examples']} examples ({info['staff_labels']} staff labels), saved to {model_path()}")
        self.stdout.write(f"model v{info['version']} data {info['data_hash'][:12]}")
        self.stdout.write(f"precision={metrics['precision']:.4f} recall={metrics['recall']:.4f} f1={metrics['f1']:.4f}")

    def run_report(self, *, since, until, seed, include_spam, n_topics, format, out, no_store, verbosity, **_) -> None:
        from analytics.selectors import spam_model_info

        db = analytics_database()
        with self._progress(reader.message_total(db), verbosity) as bar:
            results = analyses.report_build(
                db, since=since, until=until, include_spam=include_spam, seed=seed, n_topics=n_topics,
                model_info=spam_model_info(), brand=report_brand(), progress=bar.update,
            )
        if not no_store:
            report_store(results=results, db=db)
        document = render.RENDERERS[format](results)
        if out:
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(document, encoding="utf-8")
            self.stdout.write(f"report written to {out}" + ("" if no_store else "; stored for the dashboard"))
        else:
            self.stdout.write(document, ending="")
