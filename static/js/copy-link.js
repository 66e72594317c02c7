// "Copy link" buttons: <button data-copy-target="input-id" data-copied-text="Copied">.
document.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-copy-target]");
  if (!button) return;
  const input = document.getElementById(button.dataset.copyTarget);
  input.select();
  try {
    await navigator.clipboard.writeText(input.value);
  } catch {
    document.execCommand("copy"); // older browsers, and pages not served over HTTPS
  }
  const label = button.textContent;
  button.textContent = button.dataset.copiedText || "Copied";
  setTimeout(() => { button.textContent = label; }, 2000);
});
