from hypothesis import given, settings
from hypothesis import strategies as st

from questionnaires.engine import conditions, visibility
from questionnaires.engine.definition import ChoiceDef, Kind, QuestionDef, StepDef, VersionDef
from questionnaires.engine.visibility import (
    Visibility,
    compute_visibility,
    prune_hidden,
    resolve_visibility,
)


def question(key, kind=Kind.SHORT_TEXT, show_if=None, choices=(), children=()):
    return QuestionDef(
        key=key,
        kind=kind,
        text={"en": key},
        show_if=show_if,
        choices=tuple(ChoiceDef(value, {"en": value}) for value in choices),
        children=tuple(children),
    )


def step(key, *questions, show_if=None):
    return StepDef(key=key, title={"en": key}, show_if=show_if, questions=questions)


def version(*steps):
    return VersionDef(slug="test", title={"en": "Test"}, steps=steps)


def eq(key, value):
    return {"q": key, "op": "eq", "value": value}


MS = version(
    step(
        "about",
        question("disease", Kind.SINGLE_CHOICE, choices=("ms", "pso")),
        question("relapses", Kind.INTEGER, show_if=eq("disease", "ms")),
        question("info", Kind.DISPLAY),
    ),
    step(
        "relapse_detail",
        question("last_relapse", Kind.DATE),
        question("steroids", Kind.YES_NO, show_if={"q": "last_relapse", "op": "answered"}),
        show_if={"q": "relapses", "op": "gte", "value": 1},
    ),
    step(
        "skin",
        question("itch", Kind.RATING),
        show_if=eq("disease", "pso"),
    ),
    step(
        "history",
        question(
            "treatments",
            Kind.REPEAT_GROUP,
            children=(
                question("therapy", Kind.SINGLE_CHOICE, choices=("natalizumab", "other")),
                question("other_name", show_if=eq("therapy", "other")),
                question("relapses_on_it", Kind.INTEGER, show_if=eq("disease", "ms")),
            ),
        ),
        question("why_stopped", show_if={"q": "treatments", "op": "answered"}),
    ),
)


def test_visible_steps_and_questions_follow_the_answers():
    answers = {"disease": "ms", "relapses": 2}
    assert compute_visibility(MS, answers) == Visibility(
        steps=("about", "relapse_detail", "history"),
        questions=frozenset({"disease", "relapses", "info", "last_relapse", "treatments"}),
    )
    result = compute_visibility(MS, {"disease": "pso", "itch": 4})
    assert result.steps == ("about", "skin", "history")
    assert result.shows_step("skin")
    assert not result.shows_step("relapse_detail")
    assert result.shows_question("itch")
    assert not result.shows_question("relapses")


def test_nothing_answered_shows_only_unconditional_parts():
    result = compute_visibility(MS, {})
    assert result.steps == ("about", "history")
    assert result.questions == {"disease", "info", "treatments"}


def test_hiding_cascades_through_stale_answers():
    # The patient first said MS with relapses, then switched to psoriasis. The stale
    # relapse answers must not keep the relapse step (or its questions) alive.
    answers = {
        "disease": "pso",
        "relapses": 3,
        "last_relapse": "2024-05-01",
        "steroids": True,
        "itch": 7,
    }
    result, kept = resolve_visibility(MS, answers)
    assert result.steps == ("about", "skin", "history")
    assert kept == {"disease": "pso", "itch": 7}


def test_a_hidden_answer_counts_as_unanswered_for_every_operator():
    definition = version(
        step(
            "only",
            question("gate", Kind.YES_NO),
            question("amount", Kind.INTEGER, show_if=eq("gate", True)),
            question("when_not_one", show_if={"q": "amount", "op": "ne", "value": 1}),
            question("when_missing", show_if={"q": "amount", "op": "not_answered"}),
        )
    )
    answers = {"gate": False, "amount": 5, "when_not_one": "x", "when_missing": "y"}
    assert compute_visibility(definition, answers).questions == {"gate", "when_missing"}
    assert prune_hidden(definition, answers) == {"gate": False, "when_missing": "y"}


def test_prune_drops_unknown_keys_display_answers_and_blanks():
    answers = {
        "disease": "ms",
        "relapses": 0,
        "info": "display text is never an answer",
        "last_relapse": "",
        "nobody": "asked",
        "therapy": "natalizumab",  # a row child given at top level
    }
    assert prune_hidden(MS, answers) == {"disease": "ms", "relapses": 0}


def test_repeat_group_rows_are_pruned_row_by_row():
    answers = {
        "disease": "pso",
        "treatments": [
            {"therapy": "other", "other_name": "fumarate", "relapses_on_it": 2},
            {"therapy": "natalizumab", "other_name": "stale", "junk": 1},
            {"junk": 1},
            {"therapy": None, "other_name": ""},
            "not a row",
        ],
        "why_stopped": "side effects",
    }
    assert prune_hidden(MS, answers) == {
        "disease": "pso",
        "treatments": [
            # relapses_on_it is shown only for MS: the outer answers reach into the row.
            {"therapy": "other", "other_name": "fumarate"},
            # other_name hides in this row because this row's therapy is not "other".
            {"therapy": "natalizumab"},
        ],
        "why_stopped": "side effects",
    }


def test_a_group_left_without_rows_is_unanswered():
    answers = {"disease": "ms", "treatments": [{"junk": 1}], "why_stopped": "x"}
    assert prune_hidden(MS, answers) == {"disease": "ms"}
    answers = {"disease": "ms", "treatments": "not rows", "why_stopped": "x"}
    assert prune_hidden(MS, answers) == {"disease": "ms"}


def test_each_condition_is_evaluated_once(monkeypatch):
    """Linear work: one evaluation per step and per question of a visible step, no re-walks."""
    chain = [question("q0", Kind.INTEGER)] + [
        question(f"q{index}", Kind.INTEGER, show_if={"q": f"q{index - 1}", "op": "answered"})
        for index in range(1, 300)
    ]
    definition = version(step("first", *chain[:150]), step("second", *chain[150:]))
    calls = []

    def counting_evaluate(condition, answers):
        calls.append(condition)
        return conditions.evaluate(condition, answers)

    monkeypatch.setattr(visibility, "evaluate", counting_evaluate)
    answers = {f"q{index}": index for index in range(300)}
    result, kept = resolve_visibility(definition, answers)
    assert len(result.questions) == 300
    assert kept == answers
    assert len(calls) == 2 + 300


# --- properties -----------------------------------------------------------------------------

CHOICES = ("a", "b", "c")
ANSWERABLE_KINDS = (Kind.SINGLE_CHOICE, Kind.MULTIPLE_CHOICE, Kind.YES_NO, Kind.INTEGER)
COMPARED = st.one_of(st.just(""), st.sampled_from(CHOICES), st.booleans(), st.integers(0, 3))
SCALARS = st.none() | COMPARED

# Condition templates name questions by a number; ``resolve`` turns each number into one
# of the keys a particular condition may use. One static strategy keeps generation fast.
slots = st.integers(0, 50)
template_leaves = (
    st.builds(
        lambda slot, op, value: {"q": slot, "op": op, "value": value},
        slots,
        st.sampled_from(["eq", "ne", "gt", "lte", "contains"]),
        COMPARED,
    )
    | st.builds(
        lambda slot, op, value: {"q": slot, "op": op, "value": value},
        slots,
        st.sampled_from(["in", "not_in", "contains_any"]),
        st.lists(st.sampled_from(CHOICES), min_size=1, max_size=2),
    )
    | st.builds(
        lambda slot, op: {"q": slot, "op": op}, slots, st.sampled_from(["answered", "not_answered"])
    )
)
condition_templates = st.none() | st.recursive(
    template_leaves,
    lambda inner: (
        st.lists(inner, min_size=1, max_size=3).map(lambda parts: {"all": parts})
        | st.lists(inner, min_size=1, max_size=3).map(lambda parts: {"any": parts})
        | inner.map(lambda part: {"not": part})
    ),
    max_leaves=4,
)


def resolve(template, keys):
    """The template with each question number replaced by one of ``keys`` (None if none)."""
    if template is None or not keys:
        return None
    if "q" in template:
        return {**template, "q": keys[template["q"] % len(keys)]}
    if "not" in template:
        return {"not": resolve(template["not"], keys)}
    [(combinator, parts)] = template.items()
    return {combinator: [resolve(part, keys) for part in parts]}


@st.composite
def definitions(draw, *, forward_references):
    """Random versions. Conditions use earlier keys, or any key when forward_references."""
    shape = draw(st.lists(st.integers(0, 4), min_size=1, max_size=4))
    keys = [f"q{index}" for index in range(sum(shape))]
    everything = [*keys, "q0_r0", "q1_r1", "ghost"]
    steps, position = [], 0
    for step_index, size in enumerate(shape):
        step_condition = resolve(
            draw(condition_templates), everything if forward_references else keys[:position]
        )
        questions = []
        for key in keys[position : position + size]:
            usable = everything if forward_references else keys[:position]
            kind = draw(st.sampled_from((*ANSWERABLE_KINDS, Kind.REPEAT_GROUP, Kind.DISPLAY)))
            children = ()
            if kind == Kind.REPEAT_GROUP:
                first, second = f"{key}_r0", f"{key}_r1"
                children = (
                    question(
                        first,
                        Kind.SINGLE_CHOICE,
                        resolve(draw(condition_templates), usable),
                        CHOICES,
                    ),
                    question(
                        second, Kind.INTEGER, resolve(draw(condition_templates), [*usable, first])
                    ),
                )
            choices = CHOICES if kind in (Kind.SINGLE_CHOICE, Kind.MULTIPLE_CHOICE) else ()
            show_if = resolve(draw(condition_templates), usable)
            questions.append(question(key, kind, show_if, choices, children))
            position += 1
        steps.append(step(f"s{step_index}", *questions, show_if=step_condition))
    return version(*steps)


def answers_for(definition):
    """Answers of every shape, mostly but not always of the question's own shape."""
    values = SCALARS | st.lists(st.sampled_from(CHOICES), max_size=3)
    row_keys = [child.key for child in definition.question_map().values()] + ["junk"]
    rows = st.lists(st.dictionaries(st.sampled_from(row_keys), values, max_size=3), max_size=3)
    optional = {
        q.key: (rows | values) if q.kind == Kind.REPEAT_GROUP else values
        for _, _, q in definition.iter_questions()
    }
    optional |= {"ghost": values, "junk": rows}
    return st.fixed_dictionaries({}, optional=optional)


@st.composite
def definitions_with_answers(draw, forward_references=False):
    definition = draw(definitions(forward_references=forward_references))
    return definition, draw(answers_for(definition))


@settings(max_examples=300)
@given(case=definitions_with_answers(forward_references=True))
def test_pruning_is_consistent(case):
    definition, answers = case
    shown = compute_visibility(definition, answers)
    pruned = prune_hidden(definition, answers)

    assert prune_hidden(definition, pruned) == pruned
    assert compute_visibility(definition, pruned) == shown

    questions = {q.key: q for _, _, q in definition.iter_questions()}
    for key, value in pruned.items():
        assert key in shown.questions
        assert conditions.is_answered(value)
        if questions[key].kind == Kind.REPEAT_GROUP:
            child_keys = {child.key for child in questions[key].children}
            assert all(row and set(row) <= child_keys for row in value)
        else:
            assert value == answers[key]


@settings(max_examples=300)
@given(case=definitions_with_answers())
def test_every_condition_agrees_with_the_pruned_answers(case):
    """With backward references only, the pruned answers justify every decision made."""
    definition, answers = case
    shown = compute_visibility(definition, answers)
    pruned = prune_hidden(definition, answers)
    for each_step in definition.steps:
        step_holds = conditions.evaluate(each_step.show_if, pruned)
        assert step_holds == shown.shows_step(each_step.key)
        for each_question in each_step.questions:
            visible = step_holds and conditions.evaluate(each_question.show_if, pruned)
            assert visible == shown.shows_question(each_question.key)
