"""Translated fields (django-modeltranslation): one column per language in settings.LANGUAGES."""

from modeltranslation.translator import TranslationOptions, register

from questionnaires.models import (
    Choice,
    Criterion,
    Indication,
    OutcomeEstimate,
    Question,
    QuestionnaireVersion,
    Scale,
    ScaleBand,
    Step,
    Therapy,
    TherapyRule,
)


@register(QuestionnaireVersion)
class QuestionnaireVersionTranslation(TranslationOptions):
    fields = ("title", "description")


@register(Step)
class StepTranslation(TranslationOptions):
    fields = ("title", "intro")


@register(Question)
class QuestionTranslation(TranslationOptions):
    fields = ("text", "help")


@register(Choice)
class ChoiceTranslation(TranslationOptions):
    fields = ("label",)


@register(Scale)
class ScaleTranslation(TranslationOptions):
    fields = ("name",)


@register(ScaleBand)
class ScaleBandTranslation(TranslationOptions):
    fields = ("label",)


# --- therapy profiles (models/therapy.py) ---------------------------------------------------


@register(Criterion)
class CriterionTranslation(TranslationOptions):
    fields = ("name", "description")


@register(Therapy)
class TherapyTranslation(TranslationOptions):
    fields = (
        "name",
        "schedule",
        "what_it_is",
        "how_taken",
        "benefits",
        "downsides",
        "living_with",
        "pregnancy",
        "common_side_effects",
        "serious_risks",
        "monitoring",
    )


@register(Indication)
class IndicationTranslation(TranslationOptions):
    fields = ("status_note",)


@register(OutcomeEstimate)
class OutcomeEstimateTranslation(TranslationOptions):
    fields = ("text", "horizon", "population")


@register(TherapyRule)
class TherapyRuleTranslation(TranslationOptions):
    fields = ("clinician_message", "patient_message")
