// Scan-first fields: a scanner types the barcode and presses Enter. A field marked
// data-scan keeps the focus, submits on Enter, and is cleared after an answer arrives so that
// no scan carries over to the next one. A refusal plays a tone where the browser allows it.
(function () {
  function focusFirstScan(root) {
    var field = (root || document).querySelector("input[data-scan]");
    if (field) { field.focus(); field.select(); }
  }
  function beep() {
    try {
      var context = new (window.AudioContext || window.webkitAudioContext)();
      var tone = context.createOscillator();
      tone.frequency.value = 440; tone.connect(context.destination);
      tone.start(); tone.stop(context.currentTime + 0.25);
    } catch (e) { /* no audio: the red message is still there */ }
  }
  document.addEventListener("DOMContentLoaded", function () { focusFirstScan(); });
  // A form of several scans (a unit's DIN, then its product code): the scanner's Enter after
  // one moves to the next empty scan field; the Enter after the last submits the form.
  document.addEventListener("keydown", function (event) {
    var field = event.target;
    if (event.key !== "Enter" || !field.classList || !field.classList.contains("scan") || !field.form) { return; }
    var fields = Array.prototype.slice.call(field.form.querySelectorAll("input.scan"));
    var next = fields.slice(fields.indexOf(field) + 1).filter(function (f) { return !f.value; })[0];
    if (next) { event.preventDefault(); next.focus(); }
  });
  // A file chosen for upload is read into the text field it names, so that it is sent (and
  // shown) as text with the form's CSRF token like any other field.
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.dataset || !input.dataset.fills || !input.files || !input.files[0]) { return; }
    input.files[0].text().then(function (text) {
      var target = document.getElementById(input.dataset.fills);
      if (target) { target.value = text; }
    });
  });
  // A form's command ID makes a double submit get the first answer; once an answer arrived,
  // the next submission of the form is a new command (the next unit scanned), with a new ID.
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt && event.detail.elt.closest ? event.detail.elt.closest("form") : null;
    var id = form ? form.querySelector("input[name=command_id]") : null;
    if (!id || !window.crypto || !window.crypto.getRandomValues) { return; }
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    id.value = Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target.querySelector(".refusal")) { beep(); }
    document.querySelectorAll("input[data-clear-after], form [data-clear-after]").forEach(function (f) { f.value = ""; });
    // A bench of several forms: the next scan goes to the form that was just answered.
    var section = event.detail.target.closest ? event.detail.target.closest("section.bench-form") : null;
    var first = section ? section.querySelector("input.scan") : null;
    if (first) { first.focus(); } else { focusFirstScan(); }
  });
})();
// Two scans for one unit (DIN, then product code): Enter in a field marked
// data-scan-next="ID" moves to that field instead of sending the form half-filled.
document.addEventListener("keydown", function (event) {
  var field = event.target;
  if (event.key !== "Enter" || !field.dataset || !field.dataset.scanNext) { return; }
  var next = document.getElementById(field.dataset.scanNext);
  if (next) { event.preventDefault(); next.focus(); next.select(); }
});
