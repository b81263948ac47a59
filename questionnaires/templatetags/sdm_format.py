"""Template filters for dates and lists as the active language writes them.

``{% load sdm_format %}`` then ``{{ value|date_text }}``, ``{{ value|datetime_text }}`` and
``{{ items|list_text }}`` (see ``questionnaires.formatting``).
"""

from django import template

from questionnaires import formatting

register = template.Library()


@register.filter
def date_text(value):
    return formatting.date_text(value)


@register.filter
def datetime_text(value):
    return formatting.datetime_text(value)


@register.filter
def list_text(items):
    return formatting.list_text(items or ())
