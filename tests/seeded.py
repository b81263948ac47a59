"""The shipped demo content in the test database, loaded once per test module.

Loading the demo questionnaire and every therapy profile takes seconds, so modules that
only read it share one load: inside a transaction that is rolled back when the module is
done, so no other test ever sees the rows. Each test still runs in its own savepoint.

    @pytest.fixture(scope="module")
    def demo_version(django_db_setup, django_db_blocker):
        with seeded_database(django_db_blocker) as version:
            yield version
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import transaction

from questionnaires.models import QuestionnaireVersion


@contextmanager
def seeded_database(django_db_blocker) -> Iterator[QuestionnaireVersion]:
    from questionnaires.services.demo import DEMO_QUESTIONNAIRES, demo_questionnaire_ensure
    from questionnaires.services.therapies import therapies_load

    with django_db_blocker.unblock(), transaction.atomic():
        slug, number, _ = demo_questionnaire_ensure(path=DEMO_QUESTIONNAIRES[0])
        therapies_load()
        yield QuestionnaireVersion.objects.get(questionnaire__slug=slug, number=number)
        transaction.set_rollback(True)
