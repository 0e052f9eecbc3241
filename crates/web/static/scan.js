// Scan-first fields: a scanner types the barcode and presses Enter. A field marked
// data-scan keeps the focus, submits on Enter, and is cleared or has its text selected after an
// answer arrives so that no scan carries over to the next one. A refusal flashes the field and
// plays a low tone, an accepted scan a high one, where the browser allows it.
(function () {
  function focusFirstScan(root) {
    var field = (root || document).querySelector("input[data-scan]");
    if (field) { field.focus(); field.select(); }
  }
  // A refusal sounds low and long, an accepted scan high and short, so that someone
  // scanning without looking at the screen hears which; localStorage "hemaflow-sound" set to
  // "off" silences both.
  function tone(frequency, seconds) {
    try {
      if (window.localStorage && localStorage.getItem("hemaflow-sound") === "off") { return; }
      var context = new (window.AudioContext || window.webkitAudioContext)();
      var oscillator = context.createOscillator();
      oscillator.frequency.value = frequency; oscillator.connect(context.destination);
      oscillator.start(); oscillator.stop(context.currentTime + seconds);
    } catch (e) { /* no audio: the message on screen is still there */ }
  }
  function beep() { tone(220, 0.35); }
  function chirp() { tone(880, 0.08); }
  // A refused scan field flashes red for a moment beside its message.
  function flash(form) {
    if (!form) { return; }
    form.querySelectorAll("input.scan, input[data-scan]").forEach(function (f) {
      f.classList.add("scan-refused");
      setTimeout(function () { f.classList.remove("scan-refused"); }, 900);
    });
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
    // A password is never left in a field once its answer came, right or wrong: typed again
    // after a refusal, it would be appended to the wrong one.
    if (form) { form.querySelectorAll("input[type=password]").forEach(function (f) { f.value = ""; }); }
    var id = form ? form.querySelector("input[name=command_id]") : null;
    if (!id || !window.crypto || !window.crypto.getRandomValues) { return; }
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    id.value = Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    var asked = event.detail.requestConfig && event.detail.requestConfig.elt;
    var form = asked && asked.closest ? asked.closest("form") : null;
    var scanned = form && form.querySelector("input.scan, input[data-scan]");
    if (event.detail.target.querySelector(".refusal")) { beep(); flash(form); }
    else if (scanned) { chirp(); }
    document.querySelectorAll("input[data-clear-after], form [data-clear-after]").forEach(function (f) { f.value = ""; });
    // A bench of several forms: the next scan goes to the form that was just answered.
    var section = event.detail.target.closest ? event.detail.target.closest("section.bench-form") : null;
    var first = section ? section.querySelector("input.scan") : null;
    // Its text selected, so that the next scan replaces it instead of adding to it.
    if (first) { first.focus(); first.select(); } else { focusFirstScan(); }
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
