"""The patient wizard: django-formtools' NamedUrlWizardView over a database-backed storage.

How the known formtools traps (docs/notes/questionnaire_anchors.md §4) are avoided:

* GET resets the plain wizard: we use NamedUrlWizardView (one URL per step) and our
  ``get`` never resets; a refresh shows the same page with the saved answers.
* One storage slot per class: ``ResponseStorage`` lives in ``Response.wizard_state``
  under a prefix holding the response id, never in the session or a cookie, so tabs,
  devices and patients never share a slot and nothing about a patient is in a cookie.
* Conditions that recurse or run many times: there is no ``condition_dict``. The step
  list comes from one visibility walk over the saved answers per request
  (``walk.Walk``) and ``get_form_list`` reads it. A POST adds exactly one more walk,
  over the saved answers plus what was just typed (``StepForm.clean``), which is then
  reused to choose the next step. The static ``form_list`` is replaced per request by
  the pinned version's cached form classes, so the 2.6 cache regression (#295) cannot
  bite.
* "Previous" loses typed input: "Back" (``wizard_goto_step``, ``formnovalidate``)
  saves what was typed first: as answers when it validates, else as a draft. The language
  buttons on a step submit the step's form too (``wizard_language``): what was typed is
  kept as a draft and shown again in the other language.
* Stale answers of skipped steps: stored answers of hidden questions are kept (so
  they come back if the patient changes their mind) but ``prune_hidden`` drops them
  from the check page, the submission, scoring and exports.

Every accepted step is committed (row lock, revision check) before the redirect.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from django.http import HttpRequest, HttpResponseBase
from django.shortcuts import redirect
from django.views.generic import TemplateView
from formtools.wizard.forms import ManagementForm
from formtools.wizard.storage.base import BaseStorage
from formtools.wizard.views import NamedUrlWizardView, StepsHelper

from questionnaires.i18n import translate
from questionnaires.models import Response
from questionnaires.patient.forms import FormWalk, StepForm, max_rows
from questionnaires.patient.walk import storage_key
from questionnaires.services.errors import ServiceRefused
from questionnaires.services.responses import (
    ResponseClosed,
    StaleRevision,
    response_save_step,
    response_set_language,
)
from questionnaires.views.patient import (
    Journey,
    bad_request,
    no_store,
    other_languages,
    resolve_journey,
    resume_url,
    step_not_found,
)

GOTO = "wizard_goto_step"
ADD_ROW = "wizard_add_row"
REMOVE_ROW = "wizard_remove_row"
SAVE_AND_EXIT = "wizard_save_exit"
SWITCH_LANGUAGE = "wizard_language"
RETURN_TO_CHECK = "check"


class ResponseStorage(BaseStorage):
    """formtools storage over ``Response.wizard_state[<prefix>]``.

    It reads the loaded response and changes only its own copy of the slot, in memory.
    Writes go through ``services.responses`` (revision-checked), so the storage never
    saves on its own and a GET never writes.
    """

    def __init__(self, prefix, request=None, file_storage=None, *, response: Response):
        self.response = response
        super().__init__(prefix, request, file_storage)
        slot = (response.wizard_state or {}).get(self.prefix)
        if isinstance(slot, dict):
            # A copy: formtools sets the current step on it, and the response must stay as
            # read, because the step is saved from it (``response_save_step(as_read=True)``).
            self._data = dict(slot)
        else:
            self.init_data()

    @property
    def data(self) -> dict[str, Any]:
        return self._data

    @data.setter
    def data(self, value: dict[str, Any]) -> None:
        self._data = value

    def update_response(self, response) -> None:
        """No cookies and no files to clean up."""


class PatientWizard(NamedUrlWizardView):
    template_name = "patient/step.html"
    done_step_name = "_done"  # unused: the check page is its own view (see get_step_url)

    @classmethod
    def get_initkwargs(cls, *args, **kwargs):
        """No static form list: the steps come from the response's pinned version."""
        return {
            "form_list": OrderedDict(),
            "initial_dict": {},
            "instance_dict": {},
            "condition_dict": {},
            "url_name": kwargs.pop("url_name", "patient:step"),
            "done_step_name": cls.done_step_name,
        }

    # --- set-up ----------------------------------------------------------------------------

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponseBase:
        journey = resolve_journey(request, kwargs)
        if isinstance(journey, HttpResponseBase):
            return journey
        if journey.response is None:
            return no_store(redirect(journey.url("landing")))
        if journey.response.is_submitted:
            return no_store(redirect(journey.url("done")))
        self.journey: Journey = journey
        self.walk = FormWalk.for_response(journey.response)
        self.form_list = OrderedDict(self.walk.form_classes)  # every step of the version
        step = kwargs.get("step")
        if step not in self.form_list:
            return step_not_found(request, journey)
        self.prefix = self.get_prefix(request, *args, **kwargs)
        self.storage = ResponseStorage(self.prefix, request, response=journey.response)
        self.storage.current_step = step  # in memory: where this request is
        self.steps = StepsHelper(self)
        # WizardView.dispatch would build the storage from a dotted path; we built it above.
        return no_store(TemplateView.dispatch(self, request, *args, **kwargs))

    def get_prefix(self, request, *args, **kwargs) -> str:
        # BaseStorage adds "wizard_", which makes it the response's storage key.
        return storage_key(self.journey.response.pk).removeprefix("wizard_")

    def get_form_list(self) -> OrderedDict:
        return OrderedDict((key, self.form_list[key]) for key in self.walk.step_keys)

    def get_step_url(self, step: str) -> str:
        return self.journey.step_url(step)

    def get_form_prefix(self, step=None, form=None) -> str:
        return step or self.steps.current

    def get_form(self, step=None, data=None, files=None) -> StepForm:
        return self.walk.form(step or self.steps.current, data=data)

    @property
    def returning_to_check(self) -> bool:
        return self.request.GET.get("return") == RETURN_TO_CHECK

    # --- GET -------------------------------------------------------------------------------

    def get(self, request: HttpRequest, *args, step: str, **kwargs) -> HttpResponseBase:
        if not self.walk.is_reachable(step):
            return redirect(resume_url(self.journey, self.walk))
        show_errors = "incomplete" in request.GET  # sent back here by a failed submit
        form = self.walk.form(step, quiet=not show_errors)
        if show_errors:
            form.is_valid()
        return self.render(form)

    # --- POST ------------------------------------------------------------------------------

    def post(self, request: HttpRequest, *args, step: str, **kwargs) -> HttpResponseBase:
        management = ManagementForm(request.POST, prefix=self.prefix)
        if not management.is_valid() or management.cleaned_data["current_step"] != step:
            return bad_request(request, self.journey)
        if not self.walk.is_reachable(step):
            return redirect(resume_url(self.journey, self.walk))  # nothing saved
        revision = _int(request.POST.get("revision"))
        if revision != self.journey.response.revision:
            return self.render_conflict(step)
        form = self.walk.form(step, data=request.POST)
        try:
            if GOTO in request.POST:
                return self.save_typed(form, step, revision, then=request.POST[GOTO])
            if SAVE_AND_EXIT in request.POST:
                return self.save_typed(form, step, revision, then=None)
            if SWITCH_LANGUAGE in request.POST:
                return self.switch_language(form, step, revision, request.POST[SWITCH_LANGUAGE])
            if ADD_ROW in request.POST or REMOVE_ROW in request.POST:
                return self.change_rows(form, step, revision)
            return self.save_and_continue(form, step, revision)
        except StaleRevision:
            return self.render_conflict(step)
        except ResponseClosed:
            return redirect(self.journey.url("done"))

    def save_and_continue(self, form: StepForm, step: str, revision: int) -> HttpResponseBase:
        if not form.is_valid():
            return self.render(form)
        response = self._accept(form, step, revision)
        walk = FormWalk.for_response(response, resolved=(form.merged_visibility, form.merged_kept))
        following = walk.next_step(step)
        if self.returning_to_check or following is None:
            return redirect(self.journey.url("check"))
        return redirect(self.journey.step_url(following))

    def save_typed(
        self, form: StepForm, step: str, revision: int, *, then: str | None
    ) -> HttpResponseBase:
        """ "Back" and "Save and come back later": keep what was typed, valid or not."""
        if form.is_valid():
            self._accept(form, step, revision)
        elif form.has_tampered_input():
            return self.render(form)  # never stored, not even as a draft
        else:
            try:
                self._save_draft(form.draft_data(), step, revision)
            except (StaleRevision, ResponseClosed):
                raise
            except ServiceRefused:
                return self.render(form)
        if then is None:
            return redirect(self.journey.url("landing") + "?saved=1")
        target = then if self.walk.index(then) is not None else self.walk.previous_step(step)
        if target is None:
            return redirect(self.journey.url("landing"))
        return redirect(self.journey.step_url(target, returning=self.returning_to_check))

    def switch_language(
        self, form: StepForm, step: str, revision: int, language: str
    ) -> HttpResponseBase:
        """The language buttons of a step submit the step's form: what was typed is kept as a
        draft, unvalidated (no error is shown for a half-filled page), and the same step is
        shown again in the new language."""
        form.is_valid()  # only to find tampering; nothing is accepted here
        if form.has_tampered_input():
            return self.render(form)
        try:
            self._save_draft(form.draft_data(), step, revision)
            response_set_language(response=self.journey.response, language=language)
        except (StaleRevision, ResponseClosed):
            raise
        except ServiceRefused:
            pass  # an unknown language code: the typed answers are kept, the language is not
        return redirect(self.journey.step_url(step, returning=self.returning_to_check))

    def change_rows(self, form: StepForm, step: str, revision: int) -> HttpResponseBase:
        """ "Add another" and "Remove": works without JavaScript, keeps what was typed."""
        form.is_valid()  # to find tampering; required answers may still be missing
        if form.has_tampered_input():
            return self.render(form)
        data = form.draft_data()
        if ADD_ROW in self.request.POST:
            group_key = self.request.POST[ADD_ROW]
            anchor = _add_row(form, data, group_key)
        else:
            group_key, _sep, index = self.request.POST[REMOVE_ROW].partition(":")
            anchor = _remove_row(form, data, group_key, _int(index))
        if anchor is None:
            return self.render(form)  # not a group of this step: change nothing
        try:
            self._save_draft(data, step, revision)
        except (StaleRevision, ResponseClosed):
            raise
        except ServiceRefused:
            return self.render(form)
        url = self.journey.step_url(step, returning=self.returning_to_check)
        return redirect(f"{url}#{anchor}")

    def _accept(self, form: StepForm, step: str, revision: int) -> Response:
        response = response_save_step(
            response=self.journey.response,
            step=step,
            expected_revision=revision,
            values=form.answer_values,
            resume_at=step,
            as_read=True,
        )
        self.journey.response = response
        return response

    def _save_draft(self, draft: dict[str, list[str]], step: str, revision: int) -> Response:
        response = response_save_step(
            response=self.journey.response,
            step=step,
            expected_revision=revision,
            draft=draft,
            resume_at=step,
            as_read=True,
        )
        self.journey.response = response
        return response

    # --- rendering -------------------------------------------------------------------------

    def render_conflict(self, step: str) -> HttpResponseBase:
        """Another tab or device saved first: show the current state, save nothing."""
        self.journey.response.refresh_from_db()
        self.walk = FormWalk.for_response(self.journey.response)
        if not self.walk.is_reachable(step):
            return redirect(resume_url(self.journey, self.walk))
        response = self.render(self.walk.form(step, quiet=True), conflict=True)
        response.status_code = 409
        return response

    def get_context_data(self, form: StepForm, **kwargs) -> dict[str, Any]:
        context = super().get_context_data(form=form, **kwargs)
        step = self.steps.current
        step_def = self.walk.step(step)
        index = self.walk.index(step) or 0
        previous = self.walk.previous_step(step)
        journey = self.journey
        returning = self.returning_to_check
        context.update(
            journey=journey,
            step_key=step,
            step_title=translate(step_def.title),
            step_intro=translate(step_def.intro),
            questionnaire_title=translate(self.walk.definition.title),
            step_number=index + 1,
            step_count=len(self.walk.step_keys),
            items=form.question_items(),
            error_summary=form.error_summary(),
            has_groups=bool(form.groups),
            revision=journey.response.revision,
            previous_step=previous,
            form_action=journey.step_url(step, returning=returning),
            returning=returning,
            check_url=journey.url("check"),
            language_url=journey.url("language"),
            language_form="step-form",  # the switch submits this page's typed answers
            landing_url=journey.url("landing"),
            next_url=self.request.get_full_path(),
            other_languages=other_languages(journey.language),
            conflict=kwargs.get("conflict", False),
        )
        return context


# --- repeat-group rows in raw data ----------------------------------------------------------


def _add_row(form: StepForm, data: dict[str, list[str]], group_key: str) -> str | None:
    state = form.groups.get(group_key)
    if state is None:
        return None
    prefix = form.add_prefix(group_key)
    total = _int((data.get(f"{prefix}-TOTAL_FORMS") or ["0"])[0]) or 0
    new_total = min(max(total, 0) + 1, max_rows(state.question))
    _set_management(data, prefix, total=new_total, limit=max_rows(state.question))
    return f"id_{prefix}-row-{new_total - 1}"


def _remove_row(
    form: StepForm, data: dict[str, list[str]], group_key: str, index: int | None
) -> str | None:
    state = form.groups.get(group_key)
    if state is None or index is None:
        return None
    prefix = form.add_prefix(group_key)
    total = _int((data.get(f"{prefix}-TOTAL_FORMS") or ["0"])[0]) or 0
    total = min(max(total, 0), max_rows(state.question))
    if not 0 <= index < total:
        return None
    rows = []
    for row in range(total):
        row_prefix = f"{prefix}-{row}-"
        rows.append(
            {
                name[len(row_prefix) :]: data.pop(name)
                for name in list(data)
                if name.startswith(row_prefix)
            }
        )
    del rows[index]
    for row, values in enumerate(rows):
        for name, items in values.items():
            data[f"{prefix}-{row}-{name}"] = items
    _set_management(data, prefix, total=max(len(rows), 1), limit=max_rows(state.question))
    return f"id_{prefix}"


def _set_management(data: dict[str, list[str]], prefix: str, *, total: int, limit: int) -> None:
    data[f"{prefix}-TOTAL_FORMS"] = [str(total)]
    data[f"{prefix}-INITIAL_FORMS"] = ["0"]
    data[f"{prefix}-MIN_NUM_FORMS"] = ["0"]
    data[f"{prefix}-MAX_NUM_FORMS"] = [str(limit)]


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
