/* Copy buttons (progressive enhancement; the page works without this file).

   A <button data-copy-target="ID" hidden> is shown only when the browser can copy; a click
   copies the text of the element with that id and says so in the next [role=status]. */
(function () {
  "use strict";
  if (!navigator.clipboard || !navigator.clipboard.writeText) return;
  var buttons = document.querySelectorAll("button[data-copy-target]");
  Array.prototype.forEach.call(buttons, function (button) {
    var target = document.getElementById(button.getAttribute("data-copy-target"));
    if (!target) return;
    var status = button.parentNode.querySelector("[role=status]");
    button.hidden = false;
    button.addEventListener("click", function () {
      var text = "value" in target && target.value ? target.value : target.innerText.trim();
      navigator.clipboard.writeText(text).then(
        function () { if (status) status.textContent = button.getAttribute("data-copied") || "Copied"; },
        function () { if (status) status.textContent = button.getAttribute("data-copy-failed") || ""; }
      );
    });
  });
})();
