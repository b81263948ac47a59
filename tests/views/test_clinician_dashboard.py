"""The dashboard page: statuses, filters, search, pagination, constant query count."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from questionnaires.models import Invitation
from questionnaires.models.response import InvitationStatus, hash_token
from questionnaires.views import clinician as clinician_views
from tests import clinic_factories as make

pytestmark = pytest.mark.django_db

URL = "/clinic/"


def _refs(answer) -> list[str]:
    """Patient references of the table rows, in order."""
    return re.findall(r'<th scope="row">(?:<a [^>]*>)?([^<]+)<', answer.content.decode())


def test_the_url_is_the_dashboard():
    assert reverse("clinician:dashboard") == URL


def test_rows_show_status_and_link_to_the_response_page(logged_in, demo, questionnaire):
    submitted = make.invitation(
        team=demo, questionnaire=questionnaire, state=InvitationStatus.SUBMITTED, patient_ref="S-1"
    )
    make.invitation(team=demo, questionnaire=questionnaire, patient_ref="I-1")
    answer = logged_in.get(URL)
    assert answer.status_code == 200
    page = answer.content.decode()
    assert sorted(_refs(answer)) == ["I-1", "S-1"]
    assert reverse("clinician:response_detail", args=[submitted.response.pk]) in page
    assert 'class="clinic-status clinic-status-submitted">Submitted<' in page
    assert 'class="clinic-status clinic-status-invited">Invited<' in page
    assert " style=" not in page  # the Content Security Policy forbids inline styles


def test_revoke_is_offered_only_while_the_link_works(logged_in, demo, questionnaire):
    rows = {
        state: make.invitation(
            team=demo, questionnaire=questionnaire, state=state, patient_ref=state
        )
        for state in InvitationStatus.values
    }
    page = logged_in.get(URL).content.decode()
    offered = {
        state
        for state, row in rows.items()
        if reverse("clinician:invitation_revoke", args=[row.pk]) in page
    }
    assert offered == {InvitationStatus.INVITED, InvitationStatus.IN_PROGRESS}


def test_filter_by_status_shows_counts_and_keeps_other_filters(logged_in, demo, questionnaire):
    for index in range(3):
        make.invitation(
            team=demo,
            questionnaire=questionnaire,
            state=InvitationStatus.SUBMITTED,
            patient_ref=f"S-{index}",
        )
    make.invitation(team=demo, questionnaire=questionnaire, patient_ref="I-0")
    answer = logged_in.get(URL, {"status": "submitted"})
    assert sorted(_refs(answer)) == ["S-0", "S-1", "S-2"]
    page = answer.content.decode()
    assert re.search(
        r'status=submitted" aria-current="true">Submitted <span class="clinic-count">3<', page
    )
    assert re.search(r'status=invited">Invited <span class="clinic-count">1<', page)
    with_search = logged_in.get(URL, {"q": "S-1", "status": "invited"}).content.decode()
    # Status links keep the search and replace only the status.
    assert 'href="?q=S-1&amp;status=submitted"' in with_search


def test_filter_by_condition_and_date_and_search(logged_in, demo, questionnaire):
    now = timezone.now()
    make.invitation(
        team=demo,
        questionnaire=questionnaire,
        patient_ref="MRN-1",
        disease="psoriasis",
        created_at=now - dt.timedelta(days=20),
    )
    make.invitation(
        team=demo,
        questionnaire=questionnaire,
        patient_ref="MRN-2",
        disease="vitiligo",
        created_at=now - dt.timedelta(days=2),
    )
    make.invitation(
        team=demo,
        questionnaire=questionnaire,
        patient_ref="ABC-3",
        disease="vitiligo",
        created_at=now,
    )
    assert _refs(logged_in.get(URL, {"condition": "vitiligo"})) == ["ABC-3", "MRN-2"]
    assert _refs(logged_in.get(URL, {"q": "mrn"})) == ["MRN-2", "MRN-1"]
    since = (timezone.localdate() - dt.timedelta(days=5)).isoformat()
    assert _refs(logged_in.get(URL, {"invited_from": since})) == ["ABC-3", "MRN-2"]
    assert _refs(logged_in.get(URL, {"invited_to": since})) == ["MRN-1"]
    nothing = logged_in.get(URL, {"q": "nobody"})
    assert _refs(nothing) == []
    assert "No invitations match these filters." in nothing.content.decode()


def _link(answer, label: str) -> str:
    """The query string of the pagination link with this text."""
    found = re.search(r'<a (?:rel="\w+" )?href="\?([^"]*)">' + label + "<", answer.content.decode())
    assert found, f"no {label!r} link"
    return found.group(1).replace("&amp;", "&")


def _follow(client, answer, label: str):
    return client.get(f"{URL}?{_link(answer, label)}")


def test_pagination_keeps_the_filters(logged_in, demo, questionnaire, monkeypatch):
    monkeypatch.setattr(clinician_views, "DASHBOARD_PAGE_SIZE", 2)
    now = timezone.now()
    for index in range(5):
        make.invitation(
            team=demo,
            questionnaire=questionnaire,
            patient_ref=f"P-{index}",
            created_at=now - dt.timedelta(hours=index),
        )
    make.invitation(team=demo, questionnaire=questionnaire, patient_ref="OTHER", created_at=now)
    first = logged_in.get(URL, {"q": "P-"})
    assert _refs(first) == ["P-0", "P-1"]
    assert "2 invitations shown of 5" in first.content.decode()
    assert "First page" not in first.content.decode()
    assert _link(first, "Next").startswith("q=P-&after=")
    second = _follow(logged_in, first, "Next")
    assert _refs(second) == ["P-2", "P-3"]
    third = _follow(logged_in, second, "Next")
    assert _refs(third) == ["P-4"]
    assert "Next" not in third.content.decode()
    assert _refs(_follow(logged_in, third, "Previous")) == ["P-2", "P-3"]
    assert _refs(_follow(logged_in, third, "First page")) == ["P-0", "P-1"]
    # The last page holds the oldest rows; from there "Previous" walks back.
    last = _follow(logged_in, first, "Last page")
    assert _refs(last) == ["P-3", "P-4"]
    assert _refs(_follow(logged_in, last, "Previous")) == ["P-1", "P-2"]
    # A cursor that is no row of the list, or is not a number, shows the first page.
    for nonsense in ("abc", "-1", "1e3", "9" * 40, "٣"):
        assert _refs(logged_in.get(URL, {"q": "P-", "after": nonsense})) == ["P-0", "P-1"]
        assert _refs(logged_in.get(URL, {"q": "P-", "before": nonsense})) == ["P-0", "P-1"]


def test_bad_filter_values_are_reported_and_ignored(logged_in, demo, questionnaire):
    make.invitation(team=demo, questionnaire=questionnaire, patient_ref="P-1")
    answer = logged_in.get(
        URL, {"status": "deleted", "invited_from": "not-a-date", "condition": "flu", "q": "P-1"}
    )
    assert answer.status_code == 200
    assert _refs(answer) == ["P-1"]  # the valid search still applies
    page = answer.content.decode()
    assert "Some filters were not used" in page
    assert "Enter a valid date." in page
    reversed_dates = logged_in.get(URL, {"invited_from": "2025-02-01", "invited_to": "2025-01-01"})
    assert "The end date must not be before the start date." in reversed_dates.content.decode()


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    params=st.dictionaries(
        st.sampled_from(
            ["q", "status", "condition", "invited_from", "invited_to", "page", "after", "before"]
        ),
        st.text(max_size=80),
    )
)
def test_any_query_string_gives_a_page_not_an_error(logged_in, params):
    assert logged_in.get(URL, params).status_code == 200


def _bulk_invitations(*, team, questionnaire, how_many: int) -> None:
    """``how_many`` invitations cycling through every state (with responses where needed)."""
    states = list(InvitationStatus.values)
    for index in range(how_many):
        make.invitation(
            team=team,
            questionnaire=questionnaire,
            state=states[index % len(states)],
            patient_ref=f"BULK-{index:04d}",
        )


def test_query_count_does_not_grow_with_the_rows(
    logged_in, demo, questionnaire, monkeypatch, django_assert_max_num_queries
):
    monkeypatch.setattr(clinician_views, "DASHBOARD_PAGE_SIZE", 500)
    _bulk_invitations(team=demo, questionnaire=questionnaire, how_many=5)
    with django_assert_max_num_queries(8) as few:
        assert len(_refs(logged_in.get(URL))) == 5
    _bulk_invitations(team=demo, questionnaire=questionnaire, how_many=195)
    assert Invitation.objects.count() == 200
    with django_assert_max_num_queries(8) as many:
        assert len(_refs(logged_in.get(URL))) == 200
    assert len(few.captured_queries) == len(many.captured_queries)


def test_a_team_with_thousands_of_rows_still_pages(logged_in, demo, questionnaire):
    now = timezone.now()
    Invitation.objects.bulk_create(
        Invitation(
            token_hash=hash_token(f"bulk-{index}"),
            patient_ref=f"B-{index:05d}",
            team=demo,
            questionnaire=questionnaire,
            created_at=now - dt.timedelta(minutes=index),
            expires_at=now + dt.timedelta(days=1),
        )
        for index in range(3000)
    )
    size = clinician_views.DASHBOARD_PAGE_SIZE
    deep = Invitation.objects.get(patient_ref=f"B-{59 * size - 1:05d}")
    answer = logged_in.get(URL, {"after": deep.pk})
    assert _refs(answer)[0] == f"B-{59 * size:05d}"
    assert f"{size} invitations shown of 3000" in answer.content.decode()
    last = logged_in.get(URL, {"page": "last"})
    assert _refs(last)[-1] == "B-02999"
    assert len(_refs(last)) == size
