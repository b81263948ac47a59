"""FHIRPath at walking time: the QuestionnaireResponse expressions read, and applying them.

``engine.expressions`` evaluates; this module gives it the resource to evaluate on:
the answers so far written as a QuestionnaireResponse in the hierarchy of the source
Questionnaire (or, for a definition with no FHIR source, of our own export), with each
chosen option's score on its coding so that ``ordinal()`` finds it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from questionnaires.engine.definition import VersionDef
from questionnaires.engine.expressions import Computed, compute, has_expressions
from questionnaires.engine.visibility import prune_hidden

from .fhir_export import export_fhir, source_response_items


def response_builder(
    definition: VersionDef, source: Mapping[str, Any] | None
) -> Callable[[Mapping[str, Any]], dict[str, Any]]:
    """answers → the QuestionnaireResponse that ``%resource`` stands for."""
    tree = source if source is not None else export_fhir(definition, version_number=1).resource

    def build(answers: Mapping[str, Any]) -> dict[str, Any]:
        kept = prune_hidden(definition, answers)
        try:
            items = source_response_items(definition, kept, tree, with_scores=True)
        except ValueError:
            items = []  # an answer of the wrong type: expressions see no answers at all
        resource: dict[str, Any] = {
            "resourceType": "QuestionnaireResponse",
            "status": "in-progress",
        }
        if items:
            resource["item"] = items
        return resource

    return build


def compute_answers(
    definition: VersionDef, answers: Mapping[str, Any], *, source: Mapping[str, Any] | None
) -> Computed:
    """Every FHIRPath expression of ``definition`` evaluated on ``answers``."""
    if not has_expressions(definition):
        return Computed(dict(answers), frozenset(), {}, ())
    return compute(
        definition, answers, to_resource=response_builder(definition, source), questionnaire=source
    )
