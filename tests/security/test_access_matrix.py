"""Acceptance 2: every URL pattern × every role, generated from the URLconf.

Each role asks for team A's things: patient A's link (patients hold only their own link,
so patient B and everyone else ask with theirs or an unknown one), team A's invitation
and response, an admin's preview response. ``MATRIX`` says what each role must get; a
URL added to the project without a row here fails ``test_every_url_has_a_row``, and a row
whose answer changes fails ``test_each_role_gets_what_the_matrix_says``.

Expectations: a status code, ``LOGIN`` (302 to the staff login), ``ADMIN_LOGIN`` (302 to
the admin login) or ``STAFF_OK`` (anything an authorised user may get: not a login
redirect, not 401/403, not 5xx).
"""

from __future__ import annotations

import re

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from questionnaires.middleware import RequireSecondFactor
from questionnaires.models import Team
from questionnaires.services.responses import response_start_preview
from tests import clinic_factories as make
from tests.factories import fresh_rate_limits  # noqa: F401  (autouse: clean counters)
from tests.security.urlwalk import all_routes

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "patient_a", "patient_b", "clinician_a", "clinician_b", "admin")
LOGIN, ADMIN_LOGIN, STAFF_OK = "LOGIN", "ADMIN_LOGIN", "STAFF_OK"


def row(anonymous, patient_a, patient_b, clinician_a, clinician_b, admin_):
    return dict(
        zip(ROLES, (anonymous, patient_a, patient_b, clinician_a, clinician_b, admin_), strict=True)
    )


def same(expectation):
    return row(*(expectation,) * len(ROLES))


# Patients and anonymous visitors use no session; clinicians are team members without
# staff rights; the admin is a superuser in no team (content, not patients).
STAFF_ONLY = row(LOGIN, LOGIN, LOGIN, 200, 404, 403)
PATIENT_PAGE = row(404, 200, 200, 404, 404, 404)  # each with their own link, else unknown
PREVIEW = row(ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, STAFF_OK)
ADMIN_SITE = row(ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, STAFF_OK)

MATRIX: dict[str, dict[str, object]] = {
    "home": same(200),
    # The type-in code form: anyone may see it; what it unlocks is the code's own link.
    "enter_code": same(200),
    "set_language": same(302),  # GET: back to where the visitor came from
    "login": same(200),
    "admin/login/": row(200, 200, 200, 200, 200, 302),
    "logout": same(405),  # POST only
    "mfa_verify": row(LOGIN, LOGIN, LOGIN, 302, 302, 302),  # no device yet: to enrolment
    "mfa_enrol": row(LOGIN, LOGIN, LOGIN, 200, 200, 200),
    "password_change": row(LOGIN, LOGIN, LOGIN, 200, 200, 200),
    "password_change_done": row(LOGIN, LOGIN, LOGIN, 200, 200, 200),
    "password_reset": same(200),
    "password_reset_done": same(200),
    "password_reset_confirm": same(200),  # an invalid link says so
    "password_reset_complete": same(200),
    "nesting_server_data": row(403, 403, 403, 403, 403, 200),  # nested admin's script
    "clinician:dashboard": row(LOGIN, LOGIN, LOGIN, 200, 200, 403),
    "clinician:invitation_new": row(LOGIN, LOGIN, LOGIN, 200, 200, 403),
    "clinician:invitation_letter": same(405),  # POST only (with the token)
    "clinician:invitation_revoke": STAFF_ONLY,
    "clinician:response_detail": STAFF_ONLY,
    "clinician:response_review": same(405),  # POST only
    # The factory's response has no result, so there is no PDF even for its own team (the
    # team's download itself: tests/summary/test_views.py); the other team gets the same.
    "clinician:response_summary_pdf": row(LOGIN, LOGIN, LOGIN, 404, 404, 403),
    "patient:landing": PATIENT_PAGE,
    "patient:start": same(405),  # POST only, refused before the link is looked up
    "patient:resume": row(404, 302, 302, 404, 404, 404),
    "patient:language": same(405),
    "patient:step": row(404, 302, 302, 404, 404, 404),  # not started: back to the landing
    "patient:check": row(404, 302, 302, 404, 404, 404),
    "patient:done": row(404, 302, 302, 404, 404, 404),
    "patient:summary_pdf": row(404, 302, 302, 404, 404, 404),  # not submitted yet
    "patient:preview_landing": PREVIEW,
    "patient:preview_start": same(405),
    "patient:preview_resume": PREVIEW,
    "patient:preview_language": same(405),
    "patient:preview_step": PREVIEW,
    "patient:preview_check": PREVIEW,
    "patient:preview_done": PREVIEW,
    "patient:preview_summary_pdf": PREVIEW,
}
# Admin URLs that answer differently from the rest of the admin site.
ADMIN_EXCEPTIONS: dict[str, dict[str, object]] = {
    "admin:login": MATRIX["admin/login/"],  # shadowed by the rate-limited login above
    "admin:logout": row(302, 302, 302, 302, 302, 405),  # GET: only staff reach the view
    # Refused even to the admin by design: autocomplete without its parameters; task
    # results, invitations, responses and audit rows are never added by hand; audit rows
    # and published versions are never deleted; task results only by the queue.
    "admin:autocomplete": row(*(ADMIN_LOGIN,) * 5, 403),
    "admin:django_tasks_database_dbtaskresult_add": row(*(ADMIN_LOGIN,) * 5, 403),
    "admin:django_tasks_database_dbtaskresult_delete": row(*(ADMIN_LOGIN,) * 5, 403),
    "admin:questionnaires_questionnaireversion_delete": row(*(ADMIN_LOGIN,) * 5, 403),
    "admin:questionnaires_invitation_add": row(*(ADMIN_LOGIN,) * 5, 403),
    "admin:questionnaires_response_add": row(*(ADMIN_LOGIN,) * 5, 403),
    "admin:questionnaires_auditevent_add": row(*(ADMIN_LOGIN,) * 5, 403),
    "admin:questionnaires_auditevent_delete": row(*(ADMIN_LOGIN,) * 5, 403),
    # Steps and questions are added and removed on their version's (step's) page only.
    "admin:questionnaires_step_add": row(*(ADMIN_LOGIN,) * 5, 403),
    "admin:questionnaires_step_delete": row(*(ADMIN_LOGIN,) * 5, 403),
    "admin:questionnaires_question_add": row(*(ADMIN_LOGIN,) * 5, 403),
    "admin:questionnaires_question_delete": row(*(ADMIN_LOGIN,) * 5, 403),
    # A staff member's TOTP secret is shown to no one else, not even the admin.
    "admin:otp_totp_totpdevice_config": row(*(ADMIN_LOGIN,) * 5, 403),
    "admin:otp_totp_totpdevice_qrcode": row(*(ADMIN_LOGIN,) * 5, 403),
}
# Every other admin URL (index, each model's list/add/change/delete/history, app lists, the
# catch-all) answers only staff; the models registered are listed so that registering
# another one needs a deliberate entry here.
ADMIN_MODELS = {
    "auth.group",
    "auth.user",
    "django_tasks_database.dbtaskresult",
    "otp_totp.totpdevice",
    "questionnaires.auditevent",
    "questionnaires.criterion",
    "questionnaires.evidence",
    "questionnaires.instrument",
    "questionnaires.invitation",
    "questionnaires.questionnaire",
    "questionnaires.question",
    "questionnaires.questionnaireversion",
    "questionnaires.response",
    "questionnaires.simulationcase",
    "questionnaires.step",
    "questionnaires.team",
    "questionnaires.therapy",
    "questionnaires.therapyrule",
}


def _key(route) -> str:
    return route.name or route.route


def _is_admin(route) -> bool:
    return route.route.startswith("admin/") and _key(route) != "admin/login/"


def test_every_url_has_a_row():
    routes = all_routes()
    missing = sorted({_key(r) for r in routes if not _is_admin(r)} - set(MATRIX))
    assert not missing, f"add these URLs to the access matrix: {missing}"
    stale = sorted(set(MATRIX) - {_key(r) for r in routes})
    assert not stale, f"rows for URLs that no longer exist: {stale}"
    registered = {model._meta.label_lower for model in admin.site._registry}
    assert registered == ADMIN_MODELS, "a model was added to or removed from the admin"


@pytest.fixture
def world():
    team_a, team_b = make.team("Team A"), Team.objects.create(name="Team B")
    questionnaire = make.published_questionnaire()
    submitted = make.invitation(team=team_a, questionnaire=questionnaire, state="submitted")
    from questionnaires.services.invitations import invitation_create

    _inv_a, token_a = invitation_create(questionnaire=questionnaire, patient_ref="PA", team=team_a)
    _inv_b, token_b = invitation_create(questionnaire=questionnaire, patient_ref="PB", team=team_b)
    superuser = get_user_model().objects.create_superuser("root", password="root-pass-12345")
    preview = response_start_preview(version=questionnaire.published_version(), actor=superuser)
    users = {
        "clinician_a": make.user("clin-a", team=team_a),
        "clinician_b": make.user("clin-b", team=team_b),
        "admin": superuser,
    }
    tokens = {"patient_a": token_a, "patient_b": token_b}
    return {
        "users": users,
        "tokens": tokens,
        "invitation": submitted.pk,
        "response": submitted.response.pk,
        "preview": preview.pk,
        "user_id": superuser.pk,
        "admin_objects": _one_object_per_admin_model(questionnaire.published_version()),
    }


def _one_object_per_admin_model(published_version) -> dict[str, str]:
    """The admin URLs' ``object_id`` names a real object of that model, so a view answers
    for the object and not "doesn't exist" (an id that happens to match is luck: sequences
    differ between SQLite and PostgreSQL). Versions are asked about the published one, the
    one that must never be deleted."""
    objects = {}
    for model in admin.site._registry:
        first = model._default_manager.order_by("pk").first()
        if first is not None:
            objects[model._meta.label_lower.replace(".", "_")] = str(first.pk)
    objects["questionnaires_questionnaireversion"] = str(published_version.pk)
    return objects


def _url(route, role: str, world) -> str:
    unknown = "x" * 43
    values = {
        "token": world["tokens"].get(role, unknown),
        "response_id": world["preview"],
        "pk": world["response"] if "response" in (route.name or "") else world["invitation"],
        "step": "about",
        "uidb64": "MQ",
        "token_reset": "bad-token",
        "object_id": str(world["user_id"]),
        "url": "no-such-page/",
        "app_label": "questionnaires",
    }
    if route.name and route.name.startswith("admin:"):
        model = route.name.removeprefix("admin:").rsplit("_", 1)[0]
        values["object_id"] = world["admin_objects"].get(model, values["object_id"])
    path = "/" + route.route

    def fill(match):
        name = match.group(2)
        if name == "token" and "reset/" in route.route:
            return values["token_reset"]
        return str(values.get(name, "1"))

    path = re.sub(r"<(?:(\w+):)?(\w+)>", fill, path)
    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: str(values.get(m.group(1), "1")), path)
    return path.replace("^", "").replace("$", "").replace("\\", "")


def _client(role: str, world) -> Client:
    client = Client()
    if role in world["users"]:
        client.force_login(world["users"][role])
    return client


def _meets(answer, expectation) -> bool:
    location = answer.get("Location", "")
    if expectation == LOGIN:
        return answer.status_code == 302 and location.startswith("/accounts/login/")
    if expectation == ADMIN_LOGIN:
        return answer.status_code == 302 and location.startswith("/admin/login/")
    if expectation == STAFF_OK:
        login = answer.status_code == 302 and "login/" in location
        return not login and answer.status_code not in {401, 403} and answer.status_code < 500
    return answer.status_code == expectation


def test_each_role_gets_what_the_matrix_says(world, settings):
    settings.SDM_GUESS_FREE_PER_ADDRESS = 10_000  # this walk asks many unknown links
    clients = {role: _client(role, world) for role in ROLES}
    wrong = []
    for route in all_routes():
        if _is_admin(route):
            expected = ADMIN_EXCEPTIONS.get(_key(route), ADMIN_SITE)
        else:
            expected = MATRIX[_key(route)]
        for role in ROLES:
            url = _url(route, role, world)
            answer = clients[role].get(url)
            if not _meets(answer, expected[role]):
                wrong.append(
                    f"{_key(route)} {url} as {role}: {answer.status_code} "
                    f"{answer.get('Location', '')} (expected {expected[role]})"
                )
            # Every answer, whoever asks and whatever it is, stays out of the browser cache.
            if "no-store" not in answer.get("Cache-Control", ""):
                wrong.append(f"{_key(route)} {url} as {role}: no Cache-Control: no-store")
    assert not wrong, "\n".join(wrong)


def test_with_mfa_required_an_unverified_staff_member_reaches_only_the_mfa_pages(world, settings):
    """Pages added later are behind the second factor too, unless they are on the short
    list ``RequireSecondFactor.ALWAYS_ALLOWED`` (the factor's own pages, login, logout and
    the language switch)."""
    settings.SDM_REQUIRE_MFA = True
    settings.SDM_GUESS_FREE_PER_ADDRESS = 10_000
    # The gate matches URL names without namespace: the admin's login and logout pass too.
    allowed = set(RequireSecondFactor.ALWAYS_ALLOWED) | {
        "admin/login/",
        "admin:login",
        "admin:logout",
    }
    enrol = reverse("mfa_enrol")
    wrong = []
    for role in ("clinician_a", "admin"):
        client = _client(role, world)
        for route in all_routes():
            if _key(route) in allowed:
                continue
            url = _url(route, role, world)
            answer = client.get(url)
            if not (answer.status_code == 302 and answer["Location"].startswith(enrol)):
                wrong.append(f"{_key(route)} {url} as {role}: {answer.status_code}")
    assert not wrong, "\n".join(wrong)


# POST, for every route that changes something (each POST-only route above must be here).
# Posts carry no form data: what is checked is who gets past the door, not the form.
POST_MATRIX: dict[str, dict[str, object]] = {
    "logout": row(302, 302, 302, 302, 302, 302),
    "clinician:invitation_letter": row(LOGIN, LOGIN, LOGIN, 404, 404, 403),  # no token: 404
    # Team A's invitation is submitted, so past the door it is "no longer revocable" (409).
    "clinician:invitation_revoke": row(LOGIN, LOGIN, LOGIN, 409, 404, 403),
    "clinician:response_review": row(LOGIN, LOGIN, LOGIN, 302, 404, 403),
    "patient:start": row(404, 302, 302, 404, 404, 404),
    # No code posted: the form answers 400 ("enter the code") to everyone; it has no door.
    "enter_code": same(400),
    "patient:language": row(404, 302, 302, 404, 404, 404),
    "patient:preview_start": PREVIEW,
    "patient:preview_language": PREVIEW,
}


def test_every_post_only_route_has_a_post_row():
    post_only = {name for name, expected in MATRIX.items() if 405 in expected.values()}
    assert post_only <= set(POST_MATRIX), sorted(post_only - set(POST_MATRIX))


def test_each_role_gets_what_the_post_matrix_says(world, settings):
    settings.SDM_GUESS_FREE_PER_ADDRESS = 10_000
    routes = {_key(route): route for route in all_routes()}
    wrong = []
    for name, expected in POST_MATRIX.items():
        for role in ROLES:
            client = _client(role, world)  # fresh: a logout must not leak into the next
            url = _url(routes[name], role, world)
            answer = client.post(url, {})
            if not _meets(answer, expected[role]):
                wrong.append(
                    f"POST {name} {url} as {role}: {answer.status_code} "
                    f"{answer.get('Location', '')} (expected {expected[role]})"
                )
    assert not wrong, "\n".join(wrong)
