from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from analytics import intent

HELDOUT = "data/intent_heldout.csv"  # hand-written, never trained on by the deployed model; see data/README.md


class Command(BaseCommand):
    help = "The intent model: train it now (the worker also retrains after staff corrections), evaluate it, or try a text."

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        sub.add_parser("train", help="Fit on the services, the seed and staff corrections; store it for the worker.")
        evaluate = sub.add_parser("evaluate", help="Stratified k-fold accuracy on the seed, and the effect of N staff corrections.")
        evaluate.add_argument("--seed-csv", type=Path, default=intent.SEED_PATH, help="intent,text CSV (default data/intent_seed.csv)")
        evaluate.add_argument("--heldout", type=Path, default=Path(HELDOUT), help="intent,text CSV of messages the seed never saw")
        evaluate.add_argument("--corrections", type=int, default=50)
        evaluate.add_argument("--rounds", type=int, default=20)
        evaluate.add_argument("--folds", type=int, default=5)
        evaluate.add_argument("--seed", type=int, default=0)
        suggest = sub.add_parser("suggest", help="The stored model's intent for a text.")
        suggest.add_argument("text")

    def handle(self, *args, subcommand: str, **options) -> None:
        from analytics.intent_model import IntentDataError

        try:
            getattr(self, f"run_{subcommand}")(**options)
        except IntentDataError as error:
            raise CommandError(str(error)) from error

    def run_train(self, **_) -> None:
        record = intent.intent_model_train()
        counts = record["examples"]
        self.stdout.write(f"trained on {counts['services']} service descriptions, {counts['seed']} seed examples, "
                          f"{counts['corrections']} staff corrections; intents: {', '.join(record['intents'])}")

    def run_evaluate(self, *, seed_csv: Path, heldout: Path, corrections: int, rounds: int, folds: int, seed: int, **_) -> None:
        from analytics.intent_model import corrections_simulate, cross_validate, read_seed_csv

        offered = set(intent.intent_labels())
        services = intent.service_examples()
        examples = [e for e in read_seed_csv(seed_csv) if e.intent in offered]
        cv = cross_validate(examples, always=services, folds=folds, seed=seed)
        self.stdout.write(f"seed {seed_csv}: {cv['n']} examples, {len(offered)} intents, stratified {folds}-fold CV "
                          f"(service descriptions in every training fold): accuracy {cv['accuracy']:.3f} "
                          f"(folds {', '.join(f'{a:.3f}' for a in cv['fold_accuracies'])})")
        line = f"accuracy={cv['accuracy']:.3f}"
        if heldout.exists():
            pool = [e for e in read_seed_csv(heldout) if e.intent in offered]
            if corrections >= len(pool):
                raise CommandError(f"--corrections must be below the {len(pool)} held-out examples")
            sim = corrections_simulate([*services, *examples], pool, corrections=corrections, rounds=rounds, seed=seed)
            self.stdout.write(
                f"held-out {heldout}: {len(pool)} messages; {rounds} rounds, each with {corrections} of them as staff corrections "
                f"(stratified at random) and the other {sim['scored_per_round']} scored: accuracy {sim['before']:.3f} ± {sim['before_sd']:.3f} "
                f"before, {sim['after']:.3f} ± {sim['after_sd']:.3f} after retraining with the corrections "
                f"(better in {sim['rounds_better']} rounds, worse in {sim['rounds_worse']})")
            line += f" before_corrections={sim['before']:.3f} after_corrections={sim['after']:.3f}"
        self.stdout.write(line)

    def run_suggest(self, *, text: str, **_) -> None:
        from analytics.intent_scoring import saved_intent_model

        intent_value, probability = saved_intent_model.suggest(text)
        self.stdout.write(f"{intent_value} {probability:.3f}")
