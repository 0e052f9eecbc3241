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
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target.querySelector(".refusal")) { beep(); }
    document.querySelectorAll("input[data-clear-after]").forEach(function (f) { f.value = ""; });
    focusFirstScan();
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
