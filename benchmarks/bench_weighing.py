"""Benchmark of the weighing engine: median time per ``weigh()`` call.

    .venv/bin/python benchmarks/bench_weighing.py [--runs N]

Three inputs, measured in the same run:

- floor: the status quo and one therapy, every criterion, no rules or history;
- seed-sized: one disease as the demo content has it (15 options, 20 rules, a
  treatment history, every preference answered);
- synthetic: 400 therapies with the same 20 rules.

Each figure is the median over N samples (a sample times a small batch of calls);
the ratio to the floor makes runs on different machines comparable. The numbers in
the profiles below are illustrative, not clinical content.
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

# Run as a script from anywhere: make the repository importable even without an install.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from questionnaires.engine.weighing import (  # noqa: E402
    Certainty,
    Effect,
    MaxRisk,
    OptionProfile,
    Outcome,
    Preferences,
    PriorTreatment,
    Route,
    Rule,
    Status,
    WeighingInput,
    weigh,
)

RANKING = (
    "serious_harm",
    "effectiveness",
    "convenience",
    "speed",
    "side_effects",
    "monitoring",
    "certainty",
)


def profile(
    option_id: str,
    family: str,
    target: str,
    routes: tuple[str, ...],
    status: str,
    certainty: str,
    effect: int,
    weeks: int,
    harm: str | None,
    side: int,
    convenience: int,
    monitoring: int,
    *,
    status_quo: bool = False,
) -> OptionProfile:
    values = {
        "effectiveness": Decimal(effect),
        "speed": Decimal(weeks),
        "side_effects": Decimal(side),
        "convenience": Decimal(convenience),
        "monitoring": Decimal(monitoring),
    }
    if harm is not None:
        values["serious_harm"] = Decimal(harm)
    return OptionProfile(
        option_id,
        status=status,
        certainty=certainty,
        family=family,
        target_class=target,
        routes=routes,
        values=values,
        serious_harm_per_1000=None if harm is None else Decimal(harm),
        is_status_quo=status_quo,
    )


SC, ORAL, IV = (Route.SUBCUTANEOUS,), (Route.ORAL,), (Route.INTRAVENOUS,)
A, H, M, L = Status.APPROVED, Certainty.HIGH, Certainty.MODERATE, Certainty.LOW

# fmt: off
SEED_OPTIONS = (
    profile("status_quo", "conventional_systemic", "", ORAL, A, M, 35, 0, "3", 1, 1, 2,
            status_quo=True),
    profile("ixekizumab", "monoclonal_antibody", "IL-17", SC, A, H, 80, 2, "12", 1, 1, 1),
    profile("secukinumab", "monoclonal_antibody", "IL-17", SC, A, H, 67, 3, "12", 1, 1, 1),
    profile("risankizumab", "monoclonal_antibody", "IL-23", SC, A, H, 75, 6, "10", 0, 0, 1),
    profile("guselkumab", "monoclonal_antibody", "IL-23", SC, A, H, 73, 6, "10", 0, 0, 1),
    profile("ustekinumab", "monoclonal_antibody", "IL-12/23", SC, A, M, 45, 8, "10", 0, 0, 1),
    profile("adalimumab", "monoclonal_antibody", "TNF", SC, A, H, 50, 3, "15", 1, 2, 2),
    profile("deucravacitinib", "small_molecule_oral", "TYK2", ORAL, A, M, 58, 3, None, 1, 1, 1),
    profile("apremilast", "small_molecule_oral", "PDE4", ORAL, A, M, 35, 10, "2", 2, 1, 0),
    profile("methotrexate", "conventional_systemic", "", (Route.ORAL, Route.SUBCUTANEOUS), A, M,
            35, 8, "5", 2, 1, 3),
    profile("ciclosporin", "conventional_systemic", "", ORAL, A, M, 50, 2, "8", 2, 2, 3),
    profile("dimethyl_fumarate", "small_molecule_oral", "", ORAL, Status.APPROVED_SOME_REGIONS,
            L, 30, 16, "4", 3, 2, 2),
    profile("nb_uvb", "phototherapy", "", (Route.PHOTOTHERAPY,), Status.STANDARD_CARE, M, 40, 8,
            "1", 1, 3, 1),
    profile("topical_steroid", "topical", "", (Route.TOPICAL,), A, M, 25, 4, "0", 1, 1, 0),
    profile("stem_cell_trial", "stem_cell", "", IV, Status.EXPERIMENTAL, Certainty.VERY_LOW, 40,
            26, None, 2, 3, 3),
)
# fmt: on


def rule(rule_id: str, applies_to: tuple[str, ...], effect: str, condition, **adjust) -> Rule:
    message = {"en": f"Rule {rule_id}.", "zh-hans": f"规则 {rule_id}。"}
    return Rule(
        rule_id,
        applies_to=applies_to,
        effect=effect,
        condition=condition,
        clinician_message=message,
        patient_message=message,
        evidence_ids=(f"ev-{rule_id}",),
        **adjust,
    )


def yes(key: str) -> dict:
    return {"q": key, "op": "eq", "value": True}


NS, CAUTION, ADJUST = Effect.NOT_SUITABLE, Effect.CAUTION, Effect.ADJUST
# fmt: off
RULES = (
    rule("tnf-demyelination", ("TNF",), NS, yes("demyelinating_disease")),
    rule("il17-ibd", ("IL-17",), CAUTION, yes("ibd")),
    rule("jak-pregnancy", ("JAK", "TYK2"), NS, yes("pregnant")),
    rule("jak-age", ("JAK",), ADJUST, {"q": "age", "op": "gte", "value": 65},
         criterion="serious_harm", multiplier=Decimal(2)),
    rule("mtx-pregnancy", ("methotrexate",), NS,
         {"any": [yes("pregnant"), yes("planning_pregnancy")]}),
    rule("mtx-liver", ("methotrexate",), NS, {"q": "alcohol_units", "op": "gt", "value": 14}),
    rule("mtx-kidney", ("methotrexate",), CAUTION, yes("kidney_disease")),
    rule("csa-hypertension", ("ciclosporin",), CAUTION, yes("hypertension")),
    rule("csa-kidney", ("ciclosporin",), NS, yes("kidney_disease")),
    rule("biologic-infection", ("monoclonal_antibody",), NS, yes("active_infection")),
    rule("biologic-tb", ("monoclonal_antibody", "small_molecule_oral"), CAUTION, yes("tb_history")),
    rule("cd20-hbv", ("CD20",), NS, yes("hepatitis_b")),
    rule("apremilast-mood", ("apremilast",), CAUTION, yes("depression")),
    rule("phototherapy-skin-cancer", ("phototherapy",), NS, yes("skin_cancer_history")),
    rule("phototherapy-travel", ("phototherapy",), ADJUST,
         {"q": "travel_minutes", "op": "gte", "value": 45}, criterion="convenience",
         delta=Decimal(1)),
    rule("severe-topical", ("topical",), ADJUST,
         {"q": "scale.pasi.severity", "op": "in", "value": ["severe", "very_severe"]},
         criterion="effectiveness", multiplier=Decimal("0.5")),
    rule("stem-cell-age", ("stem_cell",), NS, {"q": "age", "op": "gt", "value": 55}),
    rule("live-vaccine", ("monoclonal_antibody",), CAUTION, yes("live_vaccine_planned")),
    rule("heart-failure-tnf", ("TNF",), NS, {"q": "nyha_class", "op": "gte", "value": 3}),
    rule("breastfeeding", ("ciclosporin", "methotrexate"), CAUTION, yes("breastfeeding")),
)
# fmt: on

ANSWERS = {
    "age": 52,
    "pregnant": False,
    "planning_pregnancy": False,
    "ibd": True,
    "hypertension": True,
    "kidney_disease": False,
    "alcohol_units": 6,
    "active_infection": False,
    "tb_history": False,
    "depression": True,
    "travel_minutes": 60,
    "scale.pasi.severity": "severe",
    "breastfeeding": False,
}

HISTORY = (
    PriorTreatment("adalimumab", Outcome.NOT_EFFECTIVE),
    PriorTreatment("methotrexate", Outcome.PARTLY, still_taking=True),
    PriorTreatment("topical_steroid", Outcome.SIDE_EFFECTS),
)

PREFERENCES = Preferences(
    ranking=RANKING,
    mar_serious_harm=MaxRisk.ONE_IN_100,
    routes_accepted=(Route.ORAL, Route.SUBCUTANEOUS, Route.TOPICAL),
    experimental_openness="maybe",
)


def seed_input() -> WeighingInput:
    return WeighingInput(
        "psoriasis",
        SEED_OPTIONS,
        answers=ANSWERS,
        rules=RULES,
        prior_treatments=HISTORY,
        current_therapy="methotrexate",
        preferences=PREFERENCES,
    )


def synthetic_input(count: int = 400) -> WeighingInput:
    generator = random.Random(20240601)  # fixed: the same 400 therapies every run
    families = (
        "monoclonal_antibody",
        "small_molecule_oral",
        "conventional_systemic",
        "topical",
        "phototherapy",
        "stem_cell",
        "ivig",
    )
    targets = ("", "TNF", "IL-17", "IL-23", "CD20", "JAK", "IL-4R", "IL-13")
    options = [SEED_OPTIONS[0]]
    for index in range(count):
        harm = generator.choice((None, *(str(generator.randint(0, 60)) for _ in range(5))))
        options.append(
            profile(
                f"therapy_{index:03d}",
                generator.choice(families),
                generator.choice(targets),
                tuple(generator.sample(Route.ALL, generator.randint(1, 2))),
                generator.choice(Status.ALL),
                generator.choice(Certainty.ALL),
                generator.randint(5, 90),
                generator.randint(1, 26),
                harm,
                generator.randint(0, 3),
                generator.randint(0, 3),
                generator.randint(0, 3),
            )
        )
    history = (
        PriorTreatment("therapy_007", Outcome.NOT_EFFECTIVE),
        PriorTreatment("therapy_042", Outcome.SIDE_EFFECTS),
        PriorTreatment("therapy_100", Outcome.WORKED, still_taking=True),
    )
    return WeighingInput(
        "psoriasis",
        tuple(options),
        answers=ANSWERS,
        rules=RULES,
        prior_treatments=history,
        current_therapy="therapy_100",
        preferences=PREFERENCES,
    )


def floor_input() -> WeighingInput:
    return WeighingInput("psoriasis", SEED_OPTIONS[:2], preferences=Preferences(ranking=RANKING))


def median_seconds(call: Callable[[], object], *, samples: int, batch: int) -> float:
    """Median time of one call, over ``samples`` timed batches of ``batch`` calls."""
    call()  # warm up
    gc.collect()
    timings = []
    for _ in range(samples):
        start = time.perf_counter()
        for _ in range(batch):
            call()
        timings.append((time.perf_counter() - start) / batch)
    return statistics.median(timings)


def readable(seconds: float) -> str:
    if seconds >= 1e-3:
        return f"{seconds * 1e3:8.2f} ms"
    return f"{seconds * 1e6:8.1f} µs"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=31, help="timed samples per input")
    runs = parser.parse_args().runs

    cases = (
        ("floor: 2 options, no rules", floor_input(), 200),
        ("seed-sized: 15 options, 20 rules", seed_input(), 20),
        ("synthetic: 401 options, 20 rules", synthetic_input(), 1),
    )
    floor_seconds = None
    print(f"weigh(): median time per weighing over {runs} samples")
    for label, weighing_input, batch in cases:
        result = weigh(weighing_input)
        seconds = median_seconds(
            lambda given=weighing_input: weigh(given), samples=runs, batch=batch
        )
        floor_seconds = floor_seconds or seconds
        print(
            f"  {label:36} {readable(seconds)}  ×{seconds / floor_seconds:7.1f} floor"
            f"   ({len(result.ranked)} ranked, {len(result.not_suitable)} not suitable)"
        )
    main_real_seed(runs, floor_seconds)


def real_seed_inputs() -> list[tuple[str, WeighingInput, Callable[[], object]]]:
    """The shipped seed profiles and rules, one demo patient per condition.

    Builds a throw-away SQLite database, loads the demo content through the services and
    prepares each weighing input once (the fetch), so what is timed is the weighing
    itself, then the whole adapter path (weighing plus the JSON the result stores).
    """
    import os
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="sdm-bench-weighing-"))
    os.environ["DJANGO_SETTINGS_MODULE"] = "sdm.settings_test"
    os.environ["DATABASE_URL"] = f"sqlite:///{folder / 'bench.sqlite3'}"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from questionnaires.selectors.definitions import version_definition
    from questionnaires.selectors.therapies import profiles_fetch
    from questionnaires.services import weighing as adapter
    from questionnaires.services.demo import DEMO_QUESTIONNAIRES, demo_questionnaire_ensure
    from questionnaires.services.therapies import therapies_load
    from questionnaires.services.weighing_input import answers_prepare, weighing_input_build
    from tests.summary.builders import CONDITIONS, demo_answers

    demo_questionnaire_ensure(path=DEMO_QUESTIONNAIRES[0])
    therapies_load()
    from questionnaires.models import Questionnaire

    version = Questionnaire.objects.get(slug="treatment-discussion").published_version()
    definition = version_definition(version)
    inputs = []
    for condition in CONDITIONS:
        # The invitation presets the condition in real use; here it is part of the answers.
        answers = {"condition": condition, **demo_answers(condition)}
        profiles = profiles_fetch(disease=condition)
        prepared_answers = answers_prepare(definition=definition, answers=answers)
        prepared = weighing_input_build(profiles=profiles, prepared_answers=prepared_answers)
        inputs.append(
            (
                condition,
                prepared.weighing_input,
                lambda a=answers, p=profiles: adapter.weighing_compute(
                    definition=definition, answers=a, profiles=p
                ),
            )
        )
    return inputs


def main_real_seed(runs: int, floor_seconds: float) -> None:
    print(f"the shipped seed profiles, one demo patient per condition ({runs} samples):")
    seed_ms = {}
    for condition, weighing_input, full_path in real_seed_inputs():
        result = weigh(weighing_input)
        assert full_path() is not None, "the adapter path must weigh, not stop early"
        seconds = median_seconds(lambda given=weighing_input: weigh(given), samples=runs, batch=20)
        adapter_seconds = median_seconds(full_path, samples=runs, batch=5)
        seed_ms[condition] = seconds * 1000
        print(
            f"  {condition:20} weigh {readable(seconds)}  ×{seconds / floor_seconds:6.1f} floor"
            f"   with adapter and JSON {readable(adapter_seconds)}"
            f"   ({len(weighing_input.options)} options, {len(weighing_input.rules)} rules, "
            f"{len(result.ranked)} ranked)"
        )

    from _common import write_part

    write_part(
        "weighing",
        {
            "seed_set_ms": seed_ms,
            "ratios": {"weighing, seed set, one patient (ms)": max(seed_ms.values())},
        },
    )


if __name__ == "__main__":
    main()
