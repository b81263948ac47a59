/* SDM progressive enhancement. Every page works without this file.

   1. Error summary: focused on load (as well as via autofocus), and its links move
      focus to the field and bring its question into view (GOV.UK pattern).
   2. Questions that depend on answers on the same page (data-show-if) are hidden
      and shown as the patient answers. The server remains the judge: it ignores
      answers to questions that end up hidden.
   3. A form marked data-prevent-double-submit is sent once (the server is
      idempotent anyway; this only avoids a confusing second wait).
   4. Character count (GOV.UK): the limit stated under a text field becomes a live
      count of the characters left; screen readers hear it once typing pauses.
   5. An exclusive checkbox ("None of these") unticks the others when ticked, and is
      unticked when another is ticked (GOV.UK checkboxes); the server refuses both.
*/
(function () {
  "use strict";

  function focusOnLoad() {
    var target = document.querySelector("[data-error-summary], [data-autofocus]");
    if (target && document.activeElement !== target) {
      target.focus();
    }
  }

  function linkErrorSummary() {
    var summary = document.querySelector("[data-error-summary]");
    if (!summary) return;
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a");
      if (!link || link.getAttribute("href").charAt(0) !== "#") return;
      var input = document.getElementById(link.getAttribute("href").slice(1));
      if (!input) return;
      event.preventDefault();
      var anchor = input.closest("fieldset") || input;
      var legend = anchor.querySelector("legend") || document.querySelector("label[for='" + input.id + "']");
      (legend || input).scrollIntoView();
      input.focus({ preventScroll: true });
    });
  }

  // --- conditions on the same page ----------------------------------------------------

  var UNKNOWN = {};

  function isAnswered(value) {
    if (value === undefined || value === null || value === UNKNOWN) return false;
    if (typeof value === "string" || Array.isArray(value)) return value.length > 0;
    return true;
  }

  function valueOf(form, key) {
    var wrapper = form.querySelector("[data-question='" + key + "']");
    if (!wrapper) return UNKNOWN;
    if (wrapper.hidden) return undefined;
    var kind = wrapper.getAttribute("data-kind");
    var name = form.getAttribute("data-step") + "-" + key;
    var inputs = Array.prototype.slice.call(form.querySelectorAll("[name='" + name + "']"));
    if (kind === "single_choice" && inputs.length && inputs[0].tagName === "SELECT") {
      return inputs[0].value === "" ? undefined : inputs[0].value; // a long list: a select
    }
    if (kind === "single_choice" || kind === "yes_no" || kind === "rating") {
      var checked = inputs.filter(function (input) { return input.checked; })[0];
      if (!checked) return undefined;
      if (kind === "yes_no") return checked.value === "yes";
      if (kind === "rating") return Number(checked.value);
      return checked.value;
    }
    if (kind === "multiple_choice") {
      return inputs.filter(function (input) { return input.checked; }).map(function (input) { return input.value; });
    }
    if (kind === "integer" || kind === "decimal") {
      var text = inputs.length ? inputs[0].value.trim() : "";
      if (text === "") return undefined;
      var number = Number(text);
      return isNaN(number) ? UNKNOWN : number;
    }
    if (kind === "short_text" || kind === "long_text") {
      return inputs.length ? inputs[0].value.trim() : undefined;
    }
    return UNKNOWN; // dates, rankings, groups: leave to the server
  }

  function same(a, b) {
    if (typeof a === "number" || typeof b === "number") return Number(a) === Number(b);
    return a === b;
  }

  function test(op, answer, value) {
    if (op === "answered") return isAnswered(answer);
    if (op === "not_answered") return !isAnswered(answer);
    if (!isAnswered(answer)) return false;
    switch (op) {
      case "eq": return same(answer, value);
      case "ne": return !same(answer, value);
      case "in": return value.some(function (v) { return same(answer, v); });
      case "not_in": return !value.some(function (v) { return same(answer, v); });
      case "gt": return Number(answer) > Number(value);
      case "gte": return Number(answer) >= Number(value);
      case "lt": return Number(answer) < Number(value);
      case "lte": return Number(answer) <= Number(value);
      case "contains": return Array.isArray(answer) && answer.indexOf(value) !== -1;
      case "contains_any": return Array.isArray(answer) && value.some(function (v) { return answer.indexOf(v) !== -1; });
    }
    return true;
  }

  // true, false, or UNKNOWN when a value cannot be read here (then the question stays shown)
  function evaluate(condition, read) {
    if (!condition || Object.keys(condition).length === 0) return true;
    var parts, outcome, i, unknown = false;
    if (condition.all || condition.any) {
      var all = !!condition.all;
      parts = condition.all || condition.any;
      for (i = 0; i < parts.length; i++) {
        outcome = evaluate(parts[i], read);
        if (outcome === UNKNOWN) { unknown = true; continue; }
        if (outcome !== all) return outcome;
      }
      return unknown ? UNKNOWN : all;
    }
    if ("not" in condition) {
      outcome = evaluate(condition.not, read);
      return outcome === UNKNOWN ? UNKNOWN : !outcome;
    }
    var answer = read(condition.q);
    if (answer === UNKNOWN) return UNKNOWN;
    return test(condition.op, answer, condition.value);
  }

  function conditionalQuestions(form) {
    var dependent = Array.prototype.slice.call(form.querySelectorAll("[data-show-if]"));
    if (!dependent.length) return;
    function update() {
      dependent.forEach(function (element) {
        var condition;
        try { condition = JSON.parse(element.getAttribute("data-show-if")); } catch (e) { return; }
        var outcome = evaluate(condition, function (key) { return valueOf(form, key); });
        element.hidden = outcome === false;
      });
    }
    form.addEventListener("change", update);
    form.addEventListener("input", update);
    update();
  }

  function preventDoubleSubmit() {
    Array.prototype.forEach.call(document.querySelectorAll("form[data-prevent-double-submit]"), function (form) {
      form.addEventListener("submit", function (event) {
        if (form.getAttribute("data-submitted")) {
          event.preventDefault();
          return;
        }
        form.setAttribute("data-submitted", "1");
        window.setTimeout(function () { form.removeAttribute("data-submitted"); }, 5000);
      });
    });
  }

  // --- exclusive checkboxes -------------------------------------------------------------

  function exclusiveCheckboxes() {
    // Capturing, so the boxes are right before the same-page conditions read them.
    document.addEventListener("change", function (event) {
      var box = event.target;
      if (!box || box.type !== "checkbox" || !box.checked || !box.form) return;
      var group = box.form.querySelectorAll("input[type='checkbox'][name='" + box.name + "']");
      Array.prototype.forEach.call(group, function (other) {
        if (other !== box && (box.hasAttribute("data-exclusive") || other.hasAttribute("data-exclusive"))) {
          other.checked = false;
        }
      });
    }, true);
  }

  // --- character count ------------------------------------------------------------------

  // As the server counts: characters (not UTF-16 units), a line break sent as CR LF.
  function characterLength(text) {
    return Array.from(text.replace(/\r?\n/g, "\r\n")).length;
  }

  function characterCount(wrapper) {
    var field = wrapper.querySelector("input, textarea");
    var info = wrapper.querySelector("[data-count-info]");
    var limit = Number(wrapper.getAttribute("data-maxlength"));
    if (!field || !info || !limit) return;
    var shown = document.createElement("div");
    shown.className = "hint character-count-message";
    shown.setAttribute("aria-hidden", "true");
    var spoken = document.createElement("div");
    spoken.className = "visually-hidden";
    spoken.setAttribute("aria-live", "polite");
    info.classList.add("visually-hidden"); // stays the field's description
    info.parentNode.insertBefore(shown, info.nextSibling);
    info.parentNode.insertBefore(spoken, shown.nextSibling);
    var pause = null;
    function message() {
      var left = limit - characterLength(field.value);
      var count = Math.abs(left);
      var name = (left < 0 ? "data-count-over" : "data-count-left") + (count === 1 ? "-one" : "");
      return { text: wrapper.getAttribute(name).replace("%(count)s", String(count)), over: left < 0 };
    }
    function update() {
      var now = message();
      shown.textContent = now.text;
      shown.classList.toggle("character-count-over", now.over);
      window.clearTimeout(pause);
      pause = window.setTimeout(function () { spoken.textContent = message().text; }, 1000);
    }
    field.addEventListener("input", update);
    shown.textContent = message().text;
    shown.classList.toggle("character-count-over", message().over);
  }

  function start() {
    focusOnLoad();
    linkErrorSummary();
    exclusiveCheckboxes();
    Array.prototype.forEach.call(document.querySelectorAll("form[data-step]"), conditionalQuestions);
    preventDoubleSubmit();
    Array.prototype.forEach.call(document.querySelectorAll("[data-character-count]"), characterCount);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
