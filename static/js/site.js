// Behaviour of the base layout, kept out of the markup so the Content-Security-Policy can forbid
// inline scripts.
document.addEventListener("change", (event) => {
  const target = event.target;
  if (target instanceof HTMLSelectElement && target.dataset.autosubmit !== undefined) {
    target.form.submit();
  }
});
