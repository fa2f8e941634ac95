// The console works without JavaScript; this only adds "select all" to bulk forms.
document.addEventListener("DOMContentLoaded", () => {
  for (const box of document.querySelectorAll("input.select-all")) {
    box.addEventListener("change", () => {
      const form = box.closest("form");
      for (const item of form.querySelectorAll(`input[name="${box.dataset.target}"]`)) {
        item.checked = box.checked;
      }
    });
  }
});
