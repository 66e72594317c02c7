// A "Print" button ([data-print]) opens the browser's print dialog; the print stylesheet lays the page out.
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-print]")) {
    window.print();
  }
});
