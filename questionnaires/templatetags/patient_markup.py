"""The patient step's question markup: ``{% question_markup item %}`` and ``html_attr``.

``{% load patient_markup %}`` then ``{% question_markup item %}`` writes what
``{% include "patient/_question.html" %}`` writes, from cached markup where it can
(``questionnaires.patient.markup``), and ``{{ flag|html_attr:"checked" }}`` writes an
optional attribute (`` checked``, `` data-show-if="…"`` or nothing) in a way the cache can
fill in per request.
"""

from django import template

from questionnaires.patient import markup

register = template.Library()

register.filter("html_attr", markup.html_attr)


@register.simple_tag(takes_context=True)
def question_markup(context, item):
    return markup.render_question(item, context)
