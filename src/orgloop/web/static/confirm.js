// Optional: ask in a dialog before a kill switch form is sent, instead of the confirmation page.
// Without this file the server answers the unconfirmed form with a page that asks the same.
(function () {
  document.querySelectorAll("form.kill:not(.confirmed)").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.dataset.question)) {
        event.preventDefault();
        return;
      }
      var confirmed = document.createElement("input");
      confirmed.type = "hidden";
      confirmed.name = "confirm";
      confirmed.value = "yes";
      form.appendChild(confirmed);
    });
  });
})();
