// The console works without JavaScript; this only adds "select all" to bulk forms and a
// confirmation before destructive buttons (data-confirm="question").
document.addEventListener("DOMContentLoaded", () => {
  for (const box of document.querySelectorAll("input.select-all")) {
    box.addEventListener("change", () => {
      const form = box.closest("form");
      for (const item of form.querySelectorAll(`input[name="${box.dataset.target}"]`)) {
        item.checked = box.checked;
      }
    });
  }
  for (const button of document.querySelectorAll("[data-confirm]")) {
    button.addEventListener("click", (event) => {
      if (!window.confirm(button.dataset.confirm)) { event.preventDefault(); }
    });
  }
});
