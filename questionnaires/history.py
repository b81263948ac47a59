"""Change history (django-simple-history) for everything a content admin edits."""

from django.apps import apps
from simple_history import register

HISTORY_MODELS = (
    "Questionnaire",
    "QuestionnaireVersion",
    "Instrument",
    "Step",
    "Question",
    "Choice",
    "Scale",
    "ScaleBand",
    # therapy profiles (models/therapy.py)
    "Evidence",
    "Criterion",
    "Therapy",
    "TherapyEvidence",
    "Indication",
    "OutcomeEstimate",
    "TherapyRule",
    "RuleEvidence",
    "SimulationCase",
)


def register_history() -> None:
    for name in HISTORY_MODELS:
        model = apps.get_model("questionnaires", name)
        if not hasattr(model, "history"):
            register(model, app="questionnaires")
