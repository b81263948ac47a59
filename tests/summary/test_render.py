"""The summary as HTML and PDF: order of sections, content, languages, pages, tags, limits."""

from __future__ import annotations

import io
import re
import shutil
import signal
import subprocess
import threading
import time
import zlib

import pypdf
import pytest
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext

from questionnaires.models import Response, Result
from questionnaires.pdf.rendering import MIN_PAGE_FILL, page_fills, pdf_layout
from questionnaires.pdf.time_limit import RenderTimeout, time_limit
from questionnaires.selectors.definitions import version_definition
from questionnaires.summary import render
from questionnaires.summary.context import summary_context_build
from questionnaires.summary.render import html_pdf, pdf_page_count, summary_html, summary_pdf
from tests.summary.builders import CHINESE_TEXT, CLINICIAN_PDF_MAX_PAGES, CONDITIONS

SECTION_HEADINGS_EN = (
    "Patient reference",
    "Red flags",
    "The patient's goals and own questions",
    "Priorities and risk limits",
    "Disease activity",
    "Treatment history",
    "Safety answers",
    "Options and how they fit the patient's priorities",
    "Decision readiness",
    "Appendix: every answer, by step",
    "About this summary",
    "Not a recommendation",
)
OUTPUT_DIR = settings.BASE_DIR / "test-output"


@pytest.fixture(scope="module")
def rendered():
    """PDFs rendered once per module: (response id, language, audience) → (context, bytes)."""
    cache: dict = {}

    def get(response_id: int, language: str = "en", audience: str = "clinician"):
        key = (response_id, language, audience)
        if key not in cache:
            context = summary_context_build(
                response=response_id, language=language, audience=audience
            )
            cache[key] = (context, summary_pdf(context=context).pdf)
        return cache[key]

    return get


def _text(pdf: bytes) -> str:
    pages = pypdf.PdfReader(io.BytesIO(pdf)).pages
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in pages))


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def _in_order(text: str, needles) -> list[int]:
    """Positions of ``needles`` in order, ignoring white space (table cells wrap lines)."""
    text = re.sub(r"\s+", "", text)
    positions = []
    start = 0
    for needle in needles:
        found = text.find(re.sub(r"\s+", "", needle), start)
        assert found >= 0, f"{needle!r} missing (or out of order)"
        positions.append(found)
        start = found + 1
    return positions


@pytest.mark.parametrize("condition", CONDITIONS)
def test_each_demo_summary_has_its_sections_in_order_within_the_page_limit(
    demo, rendered, condition
):
    context, pdf = rendered(demo.responses[condition])
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    # Page 1 is the consultation's view; the options and the appendix of every answer follow.
    assert 1 <= len(reader.pages) <= CLINICIAN_PDF_MAX_PAGES
    assert pdf_page_count(pdf) == len(reader.pages)
    text = _text(pdf)
    _in_order(text, SECTION_HEADINGS_EN)
    # The options, ranked as frozen, inside the options section.
    options_at = text.find("Options and how they fit")
    readiness_at = text.find("Decision readiness", options_at)
    names = [row.name for row in context.options.rows]
    positions = _in_order(text[options_at:readiness_at], names)
    assert positions == sorted(positions)
    # The footer: versions, instrument notice, "page x of y" on every page.
    result = Result.objects.get(response_id=demo.responses[condition])
    assert f"Engine {result.engine_version}" in text or result.engine_version in text
    assert "SURE test © O'Connor & Légaré, 2008" in text
    for number in range(1, len(reader.pages) + 1):
        assert f"Page {number} of {len(reader.pages)}" in text


def test_the_page_count_is_read_from_a_stream_whose_data_ends_in_a_carriage_return():
    """The demo atopic dermatitis summary's object stream once ended in byte 13: the line
    break before "endstream" took it, the stream no longer inflated, and the count was None."""
    page_tree = next(
        tree
        for serial in range(5000)
        for tree in [b"<</Type /Pages/Kids [3 0 R]/Count 4>> %d" % serial]
        if zlib.compress(tree).endswith(b"\r")
    )
    data = zlib.compress(page_tree)
    pdf = (
        b"%PDF-1.7\n1 0 obj\n<</Type /ObjStm/N 1/First 0/Filter /FlateDecode/Length "
        + str(len(data)).encode()
        + b">>\nstream\n"
        + data
        + b"\nendstream\nendobj\n%%EOF\n"
    )
    assert pdf_page_count(pdf) == 4


def test_red_flags_are_on_the_first_page(demo, rendered):
    response_id = demo.responses["psoriasis"]
    _, pdf = rendered(response_id)
    first_page = _flat(pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text())
    questions = version_definition(Response.objects.get(pk=response_id).version).question_map()
    assert _flat(questions["safety_tb"].text["en"]) in first_page
    assert "Possible decisional conflict (SURE)" in first_page
    # The consultation's view is on page 1 too: the activity answers beside the score (the
    # joint-pain answer is the psoriatic-arthritis signal) and the treatments tried.
    for heading in ("Disease activity", "Treatment history"):
        assert heading in first_page
    assert _flat(questions["pso_joint_pain"].text["en"]) in first_page
    assert "Methotrexate (tablets or injections)" in first_page


def test_a_chinese_answered_summary_read_in_english(demo, rendered):
    _, pdf = rendered(demo.chinese, "en")
    text = _text(pdf)
    assert CHINESE_TEXT["goal"] in text
    for line in CHINESE_TEXT["own_questions"].splitlines():
        assert line in text
    assert "Methotrexate (tablets or injections)" in text  # a coded answer, in English
    assert "Answered in Simplified Chinese" in text


def test_an_english_answered_summary_read_in_chinese(demo, rendered):
    response_id = demo.responses["psoriasis"]
    context, pdf = rendered(response_id, "zh-hans")
    text = _text(pdf)
    questions = version_definition(Response.objects.get(pk=response_id).version).question_map()
    methotrexate = next(c for c in questions["prior_therapy"].choices if c.value == "methotrexate")
    assert methotrexate.label["zh-hans"] in text
    assert _flat(questions["safety_tb"].text["zh-hans"]) in text.replace(" ", " ")
    assert "Clear skin before my sister" in text  # the patient's own words, untranslated
    assert 1 <= len(pypdf.PdfReader(io.BytesIO(pdf)).pages) <= CLINICIAN_PDF_MAX_PAGES


def test_the_pdf_is_tagged_with_language_and_title(demo, rendered):
    context, pdf = rendered(demo.chinese, "en")
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    root = reader.trailer["/Root"]
    assert "/StructTreeRoot" in root
    assert root["/Lang"] == "en"
    assert reader.metadata.title == context.title


def test_the_html_marks_languages_and_has_no_inline_styles(demo):
    context = summary_context_build(response=demo.chinese, language="en", audience="clinician")
    html = summary_html(context=context)
    assert '<html lang="en">' in html
    assert f"<title>{context.title}</title>" in html
    assert '<blockquote lang="zh-hans"' in html
    assert " style=" not in html  # the Content Security Policy forbids inline styles


@pytest.mark.parametrize("condition", CONDITIONS)
def test_the_patient_copy_is_its_own_plain_language_document(demo, rendered, condition):
    """Issue 10, acceptance 3: not the clinician's layout, none of its jargon, no ranking."""
    context, pdf = rendered(demo.responses[condition], "en", "patient")
    _, clinician_pdf = rendered(demo.responses[condition], "en", "clinician")
    text = _text(pdf)
    _in_order(
        text,
        (
            "Your treatment discussion summary",
            "What matters most to you",
            "Your goals and questions",
            "Options to talk about with your care team",
            "Questions you could ask at your visit",
            "This is not a recommendation",
        ),
    )
    clinician_text = _text(clinician_pdf)
    assert "Red flags" not in text and "Red flags" in clinician_text
    assert "Appendix" not in text
    for word in ("centroid", "status quo", "close call"):
        assert word not in text.lower(), word
    assert not re.search(r"\bfit(s|ted|ting)?\b", text, re.IGNORECASE)
    # Options in alphabetical order, never by score; no score is printed.
    options_at = text.find("Options to talk about")
    names = sorted(row.name for row in context.options.rows)
    positions = _in_order(text[options_at:], names)
    assert positions == sorted(positions)
    assert not any(f"{row.fit}" + " of 100" in text for row in context.options.rows)
    # No nearly empty page.
    document = pdf_layout(
        html=summary_html(context=context),
        stylesheets=[render.PRINT_STYLESHEET],
        balance_classes=render.BALANCE_CLASSES,
    )
    assert min(page_fills(document)) >= MIN_PAGE_FILL, page_fills(document)


@pytest.mark.parametrize("condition", CONDITIONS)
def test_the_patient_pdf_carries_the_option_grid_and_the_clinicians_does_not(
    demo, rendered, condition
):
    """Issue 10: the patient's paper copy has the option grid of their result page, in the
    options section before the option list: its option names, the one denominator and every
    icon array with its figure sentence. The clinician's copy has the fit table instead."""
    context, pdf = rendered(demo.responses[condition], "en", "patient")
    grid = context.option_grid
    assert grid is not None and len(grid["columns"]) >= 2
    text = _text(pdf)
    grid_at = _in_order(
        text,
        ("Options to talk about with your care team", "Some options side by side"),
    )[1]
    flat = re.sub(r"\s+", "", text)
    list_at = flat.find("Inalphabeticalorder.", grid_at)
    assert list_at > grid_at  # the grid comes before the option list
    in_grid = flat[grid_at:list_at]
    _in_order(in_grid, [column["name"] for column in grid["columns"]])
    assert grid["denominator"] in (100, 1000)
    _in_order(in_grid, [f"All figures are per {grid['denominator_text']} people."])
    figures = [
        cell["lines"][0] for row in grid["rows"] for cell in row["cells"] if cell.get("icons")
    ]
    assert figures, "no icon array in the grid"
    for sentence in figures:
        assert re.sub(r"\s+", "", sentence) in in_grid, sentence
    html = summary_html(context=context)
    assert html.count('class="icon-array ') == len(figures)

    clinician, clinician_pdf = rendered(demo.responses[condition], "en", "clinician")
    assert clinician.option_grid is None
    clinician_text = _text(clinician_pdf)
    assert "Some options side by side" not in clinician_text
    assert "All figures are per" not in clinician_text
    assert 'class="option-grid"' not in summary_html(context=clinician)


def test_the_patient_pdf_grid_is_in_the_readers_language(demo, rendered):
    context, pdf = rendered(demo.responses["psoriasis"], "zh-hans", "patient")
    assert context.option_grid is not None
    flat = re.sub(r"\s+", "", _text(pdf))
    with translation.override("zh-hans"):
        heading = gettext("Some options side by side")
        labels = [gettext("How well does it work?"), gettext("Common side effects")]
    assert heading != "Some options side by side"
    _in_order(flat, [heading, *labels])


@pytest.mark.parametrize("language", ("en", "zh-hans"))
@pytest.mark.parametrize("condition", CONDITIONS)
def test_each_demo_summary_needs_no_second_layout_and_no_flex_box(demo, condition, language):
    """Issue 14: the closing section keeps the end of the appendix with it, so the first
    layout (no balance class) already has no nearly empty page and ``pdf_layout`` lays
    nothing out again; and the print stylesheet makes no flex box, which WeasyPrint lays
    out several times over (half of the styled layout's time went to flex)."""
    from weasyprint.formatting_structure.boxes import FlexBox

    context = summary_context_build(
        response=demo.responses[condition], language=language, audience="clinician"
    )
    first_layout = pdf_layout(
        html=summary_html(context=context), stylesheets=[render.PRINT_STYLESHEET]
    )
    fills = page_fills(first_layout)
    assert min(fills) >= MIN_PAGE_FILL, fills
    flex_boxes = [
        box
        for page in first_layout.pages
        for box in page._page_box.descendants()
        if isinstance(box, FlexBox)
    ]
    assert flex_boxes == []


def test_a_page_of_the_demo_pdf_as_png(demo, rendered):
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    _, pdf = rendered(demo.responses["psoriasis"])
    OUTPUT_DIR.mkdir(exist_ok=True)
    pdf_path = OUTPUT_DIR / "summary-psoriasis.pdf"
    pdf_path.write_bytes(pdf)
    prefix = OUTPUT_DIR / "summary-psoriasis-page"
    subprocess.run(
        ["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", pdf_path, prefix],
        check=True,
        timeout=60,
    )
    png = prefix.with_suffix(".png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(png) > 20_000  # a page with text and charts, not a blank one


# --- time limit --------------------------------------------------------------------------------

LONG_HTML = (
    '<!doctype html><html lang="en"><head><title>Long</title></head><body>'
    + "<table>"
    + "".join(f"<tr><td>row {n}</td><td>{'word ' * 40}</td></tr>" for n in range(4000))
    + "</table></body></html>"
)
SHORT_HTML = (
    '<!doctype html><html lang="en"><head><title>S</title></head><body><p>Hi</p></body></html>'
)


def test_a_render_over_the_limit_is_stopped_in_the_main_thread():
    with pytest.raises(RenderTimeout):
        html_pdf(html=LONG_HTML, stylesheets=(), seconds=0.2)


def test_the_alarm_is_cleared_and_the_previous_handler_restored():
    before = signal.getsignal(signal.SIGALRM)
    with time_limit(5):
        pass
    assert signal.getsignal(signal.SIGALRM) is before
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def _in_thread(function):
    outcome = {}

    def run():
        try:
            outcome["value"] = function()
        except Exception as error:  # handed back to the test
            outcome["error"] = error

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(120)
    return outcome


def test_outside_the_main_thread_the_render_runs_in_a_child_process(monkeypatch):
    calls = []
    real = render.render_in_child
    monkeypatch.setattr(
        render, "render_in_child", lambda **kwargs: calls.append(kwargs) or real(**kwargs)
    )
    outcome = _in_thread(lambda: html_pdf(html=SHORT_HTML, stylesheets=(), seconds=60))
    assert "error" not in outcome, outcome.get("error")
    assert len(calls) == 1
    assert outcome["value"].pages == 1
    assert "Hi" in _text(outcome["value"].pdf)


def test_a_child_render_over_the_limit_is_killed():
    outcome = _in_thread(lambda: html_pdf(html=LONG_HTML, stylesheets=(), seconds=0.5))
    assert isinstance(outcome.get("error"), RenderTimeout)


def test_a_questionnaire_without_options_or_readiness_still_renders(db):
    """Any published questionnaire gets a summary: absent sections say so, nothing breaks."""
    from questionnaires.models.response import InvitationStatus
    from questionnaires.services.results import result_freeze
    from tests.clinic_factories import invitation, published_questionnaire, team

    sample = published_questionnaire("sample-summary")
    invited = invitation(
        team=team("Sample team"), questionnaire=sample, state=InvitationStatus.SUBMITTED
    )
    result_freeze(response=invited.response)
    context = summary_context_build(
        response=invited.response.pk, language="en", audience="clinician"
    )
    assert context.options is None and context.readiness is None and context.history is None
    text = _text(summary_pdf(context=context).pdf)
    _in_order(text, ("Red flags", "No options were weighed", "About this summary"))


def test_an_alarm_that_lands_where_it_is_swallowed_fires_again():
    # Python swallows exceptions raised inside a garbage-collector callback; a render
    # whose first alarm lands there must still be stopped.
    swallowed = []
    with pytest.raises(RenderTimeout), time_limit(0.1):
        give_up = time.monotonic() + 10  # bounds the loop; nothing is timed
        while time.monotonic() < give_up:
            if not swallowed:
                try:
                    time.sleep(1)
                except BaseException:  # noqa: BLE001 - stands for the swallowing place
                    swallowed.append(True)
            else:
                sum(range(1000))
    assert swallowed == [True]
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
