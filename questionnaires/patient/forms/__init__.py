"""Django forms built from a questionnaire definition: one form class per step.

A step's form class holds a field for every answerable question of the step, so it
can be built once per published version and cached (published versions never
change). What a patient sees varies per request: each form *instance* takes a
``StepContext`` (the answers saved so far and what the visibility walk made of them)
and drops the fields of questions that are hidden or preset.

Rules that hold for every field:

* Field-level ``required`` is always off. Whether an answer is needed depends on
  whether its question is visible, and a question may depend on an earlier question
  of the same step, so ``StepForm.clean`` decides it after one visibility walk over
  the saved answers merged with what was just typed. Hidden questions are never
  required and their values are dropped.
* Labels and hints are lazy strings, resolved in the language active at render time,
  which keeps the cached classes language-neutral.
* Templates get plain render data from ``StepForm.question_items`` (ids, names,
  values, options, error messages) rather than Django widget HTML, so the markup
  follows the GOV.UK patterns exactly (fieldset/legend, hints and errors tied with
  aria-describedby) and nothing emits inline styles.
* Error codes in ``TAMPER_CODES`` can only come from hand-made requests (a choice
  that was never offered, an over-long value, a forged formset management form).
  The wizard refuses to store such input even as an unvalidated draft.

The package by job: ``fields`` (a Django field per question kind), ``raw`` (answers back
into form data), ``step`` (the step form and its render data), ``classes`` (the cached
classes and ``FormWalk``).
"""

from __future__ import annotations

from .classes import FormWalk, build_step_form_classes, step_form_classes
from .fields import build_field, max_rows
from .raw import residual_condition
from .step import StepContext, StepForm

__all__ = [
    "FormWalk",
    "StepContext",
    "StepForm",
    "build_field",
    "build_step_form_classes",
    "max_rows",
    "residual_condition",
    "step_form_classes",
]
