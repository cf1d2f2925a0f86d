// Optional: re-run the explainer when the environment or the attributes change.
// The form works without this file; it only saves a click.
(function () {
  var form = document.querySelector("form.explain");
  if (!form) return;
  var timer = null;
  function later() {
    clearTimeout(timer);
    timer = setTimeout(function () {
      try { JSON.parse(form.attributes.value); } catch (e) { return; }
      form.submit();
    }, 900);
  }
  form.environment.addEventListener("change", later);
  form.attributes.addEventListener("change", later);
})();
