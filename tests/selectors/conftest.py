"""The clinician fixtures of the view tests (one team, a questionnaire, a clinician) serve the
selector tests too."""

from tests.views.conftest import clinician, demo, questionnaire  # noqa: F401
