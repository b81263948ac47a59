"""Question kinds as a registry: what each kind means to the pure side of the code.

One ``KindSpec`` per kind says, without Django: whether it takes choices (and how many), whether
it is numeric, which condition operators fit it, how a condition value is checked against it,
how an answer is checked (``answer_problem``, the one validator the step form and the submit
service share), how an answer is written to and read from JSON, its FHIR item type, and any
lint rules of its own. The linter, the condition validator, the answer codec (``answers.py``),
the JSON Schema check (``interop/sdm_json.py``) and the FHIR export consult it; the Django side
(form field, its inverse, template data, answer text) is the matching registry in
``questionnaires/kinds.py``.

One module per kind (``single_choice.py`` … ``display.py``) defines its ``SPEC``;
``registry.py`` holds ``KindSpec`` and the lookups; ``common.py`` what several kinds share.
The built-in kinds are registered below, explicitly and in ``Kind.ALL`` order. The codes are
stable: they are stored in the database and in files (``Kind``). Adding a kind: a module with
its ``KindSpec`` registered (``register_kind``) and a ``FormKind`` registered in
``questionnaires/kinds.py``; a model choice (migration) only if it is to be stored, and FHIR
import only if FHIR has it (``docs/architecture.md`` "A question kind").
"""

from __future__ import annotations

from . import (
    date,
    decimal,
    display,
    integer,
    long_text,
    multiple_choice,
    ranking,
    rating,
    repeat_group,
    short_text,
    single_choice,
    yes_no,
)
from .registry import (
    AnswerProblem,
    KindSpec,
    answer_from_json,
    answer_problem,
    answer_to_json,
    kind_codes,
    kind_spec,
    register_kind,
    specs,
    unregister_kind,
)

__all__ = [
    "AnswerProblem",
    "KindSpec",
    "answer_from_json",
    "answer_problem",
    "answer_to_json",
    "kind_codes",
    "kind_spec",
    "register_kind",
    "specs",
    "unregister_kind",
]

for _module in (
    single_choice,
    multiple_choice,
    yes_no,
    integer,
    decimal,
    rating,
    date,
    short_text,
    long_text,
    ranking,
    repeat_group,
    display,
):
    register_kind(_module.SPEC)
