/* Condition builder (admin): narrow each test's lists to what fits the chosen question.
   Progressive enhancement only: without this script every operator and value is offered
   and the linter, on save, says at the field what does not fit. No inline styles (CSP):
   options are hidden with the `hidden` property. */
(function () {
  "use strict";

  function rowOf(questionSelect) {
    var match = /^cond_(\d+)_q$/.exec(questionSelect.name);
    if (!match) { return null; }
    var form = questionSelect.form;
    return {
      question: questionSelect,
      operator: form.elements["cond_" + match[1] + "_op"],
      value: form.elements["cond_" + match[1] + "_choice"]
    };
  }

  function narrow(row, operatorsByQuestion) {
    var key = row.question.value;
    var allowed = key ? operatorsByQuestion[key] || [] : null;
    Array.prototype.forEach.call(row.operator.options, function (option) {
      option.hidden = option.value !== "" && allowed !== null && allowed.indexOf(option.value) < 0;
    });
    if (row.operator.selectedOptions.length && row.operator.selectedOptions[0].hidden) {
      row.operator.value = "";
    }
    Array.prototype.forEach.call(row.value.querySelectorAll("optgroup"), function (group) {
      group.hidden = key !== "" && group.label !== key;
    });
    var chosen = row.value.selectedOptions.length ? row.value.selectedOptions[0] : null;
    if (chosen && chosen.parentElement.tagName === "OPTGROUP" && chosen.parentElement.hidden) {
      row.value.value = "";
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var selects = document.querySelectorAll("select[data-condition-question]");
    Array.prototype.forEach.call(selects, function (select) {
      var operatorsByQuestion;
      try {
        operatorsByQuestion = JSON.parse(select.getAttribute("data-condition-question"));
      } catch (error) {
        return;
      }
      var row = rowOf(select);
      if (!row || !row.operator || !row.value) { return; }
      narrow(row, operatorsByQuestion);
      select.addEventListener("change", function () { narrow(row, operatorsByQuestion); });
    });
  });
})();
