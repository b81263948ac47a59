"""Free text in another language than its reader's: the translation-provider seam.

A patient writes their goal and questions in their own language; a clinician may read
another. The summary always quotes the original as written. Where a translation provider
is configured (``settings.SDM_TRANSLATION_PROVIDER``: the dotted path of a class whose
instances implement ``TranslationProvider``), its translation is shown beside the original,
labelled as a machine translation or as one a clinician provided. Offline translation models
are not shipped, so the default is none: the summary then says which language the text is in
and offers the text to copy into the reader's own translation tool or to an interpreter.

A provider must never log the text it is given; one that fails (raises) is treated as
none, and only the kind of failure is logged.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


class TranslationKind:
    MACHINE = "machine"  # made by software: may be wrong, check with the patient
    CLINICIAN = "clinician"  # written by a clinician or interpreter


@dataclass(frozen=True)
class Translation:
    text: str
    kind: str  # a TranslationKind value
    source: str  # who made it, shown in the label (a service name, an interpreter's role)


class TranslationProvider(Protocol):
    def translate(
        self, *, text: str, source_language: str, target_language: str
    ) -> Translation | None:
        """``text`` (in ``source_language``) in ``target_language``, or None when it cannot."""


@functools.cache
def _provider_for(path: str) -> TranslationProvider | None:
    if not path:
        return None
    return import_string(path)()


def translation_provider() -> TranslationProvider | None:
    """The configured provider, or None (the default)."""
    return _provider_for(getattr(settings, "SDM_TRANSLATION_PROVIDER", "") or "")


def translate_free_text(
    text: str, *, source_language: str, target_language: str
) -> Translation | None:
    """A translation of a patient's free text for its reader, or None (none configured,
    same language, or the provider could not)."""
    if not text or _same_language(source_language, target_language):
        return None
    provider = translation_provider()
    if provider is None:
        return None
    try:
        found = provider.translate(
            text=text, source_language=source_language, target_language=target_language
        )
    except Exception as error:  # a provider's failure never breaks the summary
        logger.warning("translation provider failed: %s", type(error).__name__)
        return None
    if found is None or not found.text.strip():
        return None
    if found.kind not in (TranslationKind.MACHINE, TranslationKind.CLINICIAN):
        found = Translation(text=found.text, kind=TranslationKind.MACHINE, source=found.source)
    return found


def _same_language(first: str, second: str) -> bool:
    return (first or "").split("-")[0].lower() == (second or "").split("-")[0].lower()


def _has_cjk(text: str) -> bool:
    return any("\u4e00" <= char <= "\u9fff" or "\u3400" <= char <= "\u4dbf" for char in text)


def free_text_language(text: str, *, page_language: str) -> str:
    """The language a patient wrote ``text`` in, among the site's languages.

    The page's language is only a hint (a patient reading Chinese pages may type English):
    text with Chinese characters is Chinese; text without any, typed on a Chinese page, is
    taken as English; otherwise the page's language.
    """
    if _has_cjk(text):
        return "zh-hans"
    if (page_language or "").lower().startswith("zh"):
        return "en"
    return page_language or settings.LANGUAGE_CODE
