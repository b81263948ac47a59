"""Translated fields (django-modeltranslation): one column per language in settings.LANGUAGES."""

from modeltranslation.translator import TranslationOptions, register

from questionnaires.models import Choice, Question, QuestionnaireVersion, ScaleBand, Scale, Step


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
