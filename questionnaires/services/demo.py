"""Loading the shipped demo content, idempotently."""

from __future__ import annotations

from pathlib import Path

from django.db import transaction

from questionnaires.interop import sdm_json
from questionnaires.models import Questionnaire, VersionStatus
from questionnaires.services import definitions as definition_services

CONTENT_DIR = Path(__file__).resolve().parent.parent / "content"
DEMO_QUESTIONNAIRES = (CONTENT_DIR / "questionnaires" / "treatment-discussion.json",)


@transaction.atomic
def demo_questionnaire_ensure(*, path: Path, actor=None) -> tuple[str, int, bool]:
    """Publish the file's definition unless the published version already equals it.

    Returns (slug, published version number, whether anything was written).
    """
    definition = sdm_json.load_bytes(path.read_bytes())
    wanted_hash = definition_services.definition_hash(definition)
    questionnaire = Questionnaire.objects.filter(slug=definition.slug).first()
    if questionnaire is not None:
        published = questionnaire.versions.filter(status=VersionStatus.PUBLISHED).first()
        if published is not None and published.definition_hash == wanted_hash:
            return definition.slug, published.number, False
    version = definition_services.version_create_from_definition(definition=definition, actor=actor)
    version = definition_services.version_publish(version=version, actor=actor)
    return definition.slug, version.number, True
