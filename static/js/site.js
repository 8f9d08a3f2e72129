// Behaviour of the base layout, kept out of the markup so the Content-Security-Policy can forbid
// inline scripts.
document.addEventListener("change", (event) => {
  const target = event.target;
  if (target instanceof HTMLSelectElement && target.dataset.autosubmit !== undefined) {
    target.form.submit();
  }
});

// Formsets: "添加一行" adds a copy of the formset's empty form (its <template>), numbered next.
// The button stays hidden without scripts; the page then offers its server-side blank rows.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("button.add-row[data-prefix]").forEach((button) => {
    const section = button.closest("section");
    const total = section.querySelector(`input[name="${button.dataset.prefix}-TOTAL_FORMS"]`);
    const template = section.querySelector(".blank-row-template");
    if (!total || !template) return;
    button.hidden = false;
    button.addEventListener("click", () => {
      const html = template.innerHTML.replace(/__prefix__/g, total.value);
      section.querySelector("tbody").insertAdjacentHTML("beforeend", html);
      total.value = parseInt(total.value, 10) + 1;
    });
  });
});
