"""Import and export of questionnaire definitions. Pure Python: no Django import here.

- ``sdm_json``: our own JSON format (exact round trip, published JSON Schema).
- ``fhir_questionnaire``: FHIR R4 ``Questionnaire`` import (with a report of what
  could not be mapped) and export, plus ``QuestionnaireResponse`` export.
- ``fhir_enable_when``: FHIR ``enableWhen`` ⇄ our condition language.

Every importer takes the uploaded bytes and either returns a ``VersionDef`` that
passes the structural linter or raises ``ImportRefused`` with one line per problem.
The database side (turning a ``VersionDef`` into rows) lives in ``services``.
"""

from .json_io import MAX_IMPORT_BYTES, ImportRefused

__all__ = ["MAX_IMPORT_BYTES", "ImportRefused"]
