"""Exporting one response: FHIR R4 QuestionnaireResponse or our own JSON (docs/responses.md).

Only answers that count are exported (``prune_hidden``): an in-progress response may
still hold answers to questions that became hidden. Every export is audit-logged.
"""

from __future__ import annotations

from typing import Any

from questionnaires.answers import answers_from_json, answers_to_json
from questionnaires.engine.expressions import has_expressions
from questionnaires.engine.visibility import prune_hidden
from questionnaires.interop.fhir_common import fhir_language
from questionnaires.interop.fhir_export import fhir_json, response_to_fhir
from questionnaires.interop.json_io import write_json
from questionnaires.models import AuditAction, Response
from questionnaires.patient.walk import expression_answers
from questionnaires.selectors.definitions import version_definition
from questionnaires.services.audit import audit_record
from questionnaires.services.errors import ServiceRefused

SDM_RESPONSE_FORMAT = "sdm-response"
SDM_RESPONSE_FORMAT_VERSION = 1
FORMATS = ("fhir", "sdm")


def response_export(*, response: Response, fmt: str, actor=None) -> str:
    """The response as JSON text in ``fmt`` ("fhir" or "sdm"); writes an audit row."""
    if fmt == "fhir":
        text = fhir_json(fhir_questionnaire_response(response))
    elif fmt == "sdm":
        text = write_json(sdm_response_document(response))
    else:
        raise ServiceRefused([f"Unknown format '{fmt}': use {' or '.join(FORMATS)}."])
    invitation = response.invitation
    audit_record(
        action=AuditAction.RESPONSE_EXPORTED,
        actor=actor,
        team=invitation.team if invitation else None,
        invitation_id=invitation.pk if invitation else None,
        response_id=response.pk,
        object_repr=f"response {response.pk}",
        detail={"format": fmt},
    )
    return text


def counted_answers(response: Response):
    """(definition, engine answers that count) of ``response``."""
    definition = version_definition(response.version)
    answers = answers_from_json(definition, response.answers)
    if has_expressions(definition) and not response.is_submitted:
        answers, _ = expression_answers(definition, answers, response)  # submit stored them
    return definition, prune_hidden(definition, answers)


def sdm_response_document(response: Response) -> dict[str, Any]:
    definition, answers = counted_answers(response)
    return {
        "format": SDM_RESPONSE_FORMAT,
        "format_version": SDM_RESPONSE_FORMAT_VERSION,
        "questionnaire": response.version.questionnaire.slug,
        "version": response.version.number,
        "status": response.status,
        "language": response.language,
        "answers": answers_to_json(definition, answers),
        "submitted_at": response.submitted_at.isoformat() if response.submitted_at else None,
    }


def questionnaire_canonical(response: Response) -> str:
    """``url|version`` of the questionnaire answered: the FHIR source URL when imported."""
    from questionnaires.services.interop import questionnaire_canonical_base

    version = response.version
    return f"{questionnaire_canonical_base(version)}|{version.number}"


def fhir_questionnaire_response(response: Response) -> dict[str, Any]:
    definition, answers = counted_answers(response)
    resource = response_to_fhir(
        definition,
        answers,
        status="completed" if response.is_submitted else "in-progress",
        authored=response.submitted_at or response.updated_at,
        questionnaire_url=questionnaire_canonical(response),
        language=response.language,
        source=response.version.fhir_source,
    )
    resource = {
        "resourceType": resource.pop("resourceType"),
        "id": f"sdm-response-{response.pk}",
        "language": fhir_language(response.language),
        "identifier": {"system": "urn:sdm:response", "value": str(response.pk)},
        **resource,
    }
    if response.invitation is not None:
        resource["subject"] = {
            "identifier": {
                "system": "urn:sdm:patient-ref",
                "value": response.invitation.patient_ref,
            }
        }
    return resource
