// The «Печать» buttons of printable pages (an appeal's confirmation, a receipt, an invoice):
// a button marked `data-print` prints the page. An external file, since the Content Security
// Policy allows no inline scripts; without scripts the button stays hidden and Ctrl+P works.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("button[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      window.print();
    });
  });
});
