import sys
from datetime import datetime, timezone
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from analytics import analyses, reader, render
from analytics.services import analytics_database, model_path, report_brand, report_store


SEED_CORPUS = "data/sms_spam_collection.csv"  # in the repository; see data/README.md


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4f}"


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
        parsers["spam"].add_argument("--saved", action="store_true", help="with --evaluate: score the CSV with the live model (no retraining)")
        parsers["spam"].add_argument("--versions", action="store_true", help="list the stored model versions and their held-out figures")
        parsers["spam"].add_argument("--rollback", type=int, nargs="?", const=0, metavar="VERSION", help="deploy VERSION, or the version live before the current one")
        parsers["spam"].add_argument("--retrain", action="store_true", help="retrain on staff labels now, deployed only if it passes the gate")

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

    def run_spam(self, *, evaluate, saved, versions, rollback, retrain, seed_corpus, seed, since, until, **_) -> None:
        from analytics import model_store

        if saved and not evaluate:
            raise CommandError("--saved goes with --evaluate PATH")
        try:
            if evaluate and saved:
                return self._spam_evaluate_saved(evaluate)
            if evaluate:
                return self._spam_evaluate_cv(evaluate, seed)
            if versions:
                return self._spam_versions()
            if rollback is not None:
                model_store.day_one_ensure()
                live = model_store.rollback(rollback or None)
                self.stdout.write(f"spam model v{live} is live (each web process picks it up within its re-check interval)")
                return
            if retrain:
                return self._spam_retrain(seed)
            return self._spam_train(seed_corpus=seed_corpus, seed=seed, since=since, until=until)
        except model_store.UnknownVersion as error:
            raise CommandError(str(error)) from error
        except (OSError, ValueError) as error:
            raise CommandError(str(error)) from error

    def _spam_evaluate_cv(self, path: Path, seed: int) -> None:
        from analytics import spam_model  # scikit-learn's SVM and model selection: only here

        texts, labels = spam_model.read_labelled_csv(path)
        metrics = spam_model.evaluate(texts, labels, seed=seed)
        self.stdout.write(f"{metrics['examples']} distinct texts, {metrics['spam']} spam, {metrics['folds']}-fold cross-validation")
        self.stdout.write(f"precision={metrics['precision']:.4f} recall={metrics['recall']:.4f} f1={metrics['f1']:.4f}")

    def _spam_evaluate_saved(self, path: Path) -> None:
        import numpy as np

        from analytics import spam_model
        from analytics.scoring import live_refresh
        from contact.spam import spam_cutoffs

        texts, labels = spam_model.read_labelled_csv(path)
        bundle = live_refresh()  # what MongoDB names live now
        if bundle is None:
            raise CommandError("no spam model: neither a deployed version nor the file at ANALYTICS_MODEL_PATH")
        hold, review = spam_cutoffs((bundle.get("hold_threshold"), bundle.get("review_threshold")))
        y = np.array([label == "spam" for label in labels], dtype=int)
        result = spam_model.figures(spam_model.spam_probabilities(bundle["model"], texts), y, hold, review)
        name = f"v{bundle['deployed_version']}" if "deployed_version" in bundle else f"file {model_path()}"
        self.stdout.write(f"live model {name}: {result['n']} texts, {result['spam']} spam, {result['ham']} not spam")
        flag = result["flag"]
        self.stdout.write(f"held or flagged for review (score >= {review:.4f}): precision={_fmt(flag['precision'])} recall={_fmt(flag['recall'])} f1={flag['f1']:.4f}")
        held = result["hold"]
        self.stdout.write(f"held as spam (score >= {hold:.4f}), {held['false_positives']} of them labelled not spam:")
        self.stdout.write(f"precision={_fmt(held['precision'])} recall={_fmt(held['recall'])} f1={held['f1']:.4f}")

    def _spam_versions(self) -> None:
        from analytics import model_store

        model_store.day_one_ensure()
        for doc in model_store.versions_list():
            metrics = doc.get("metrics") or {}
            figures = metrics.get("hold") or {}
            line = f"{'*' if doc['live'] else ' '} v{doc['_id']} {doc['source']:<13} {doc['created_at']:%Y-%m-%d %H:%M}"
            if figures:
                line += f"  {metrics.get('split', '')}: n={metrics.get('n')} precision={_fmt(figures.get('precision'))} recall={_fmt(figures.get('recall'))}"
            elif metrics:
                line += f"  {metrics.get('split', '')}: precision={metrics['precision']:.4f} recall={metrics['recall']:.4f}"
            if doc.get("gate"):
                line += f"  gate: {'passed' if doc['gate']['passed'] else 'refused'} ({doc['gate']['reason']})"
            self.stdout.write(line)

    def _spam_retrain(self, seed: int) -> None:
        from analytics.retrain import retrain

        doc = retrain(reason="manage.py", seed=seed)
        gate = doc["gate"]
        self.stdout.write(f"spam model v{doc['_id']} trained on {doc['staff_labels']} staff labels (+ the day-one corpora)")
        self.stdout.write(f"gate: {'passed, deployed' if gate['passed'] else 'refused, not deployed'}: {gate['reason']}")

    def _spam_train(self, *, seed_corpus, seed, since, until) -> None:
        from analytics import spam_model
        from analytics.services import spam_model_train

        try:
            info = spam_model_train(query=reader.message_filter(since=since, until=until), seed_corpus=seed_corpus, seed=seed)
        except spam_model.TooFewExamples as error:
            if seed_corpus:
                raise CommandError(str(error)) from error
            raise CommandError(
                f"{error} among the staff's labels. Train with the bundled corpus as well:\n"
                f"  python manage.py analytics spam --seed-corpus {SEED_CORPUS}\n"
                "(any label,text CSV with labels spam/ham will do), or mark more leads as spam / not spam in the CRM."
            ) from error
        metrics = info["metrics"]
        self.stdout.write(f"trained on {info['examples']} examples ({info['staff_labels']} staff labels), stored and deployed as v{info['version']}")
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
