// Guided breathing timer: starts the CSS breathing animation and counts down. No inline script (CSP).
(function () {
  "use strict";
  function setup(box) {
    var start = box.querySelector("[data-start]");
    var stop = box.querySelector("[data-stop]");
    var minutes = box.querySelector("[data-minutes]");
    var left = box.querySelector("[data-left]");
    var cue = box.querySelector(".breath-cue");
    var timer = null;
    var phaseTimer = null;
    // The words come from the page (data-say-*), so they are in the patient's language.
    function say(name, fallback) { return box.getAttribute("data-say-" + name) || fallback; }
    var phases = [[say("in", "Breathe in"), 4], [say("hold", "Hold"), 4], [say("out", "Breathe out slowly"), 6]];

    function showPhase(i) {
      cue.textContent = phases[i][0];
      phaseTimer = setTimeout(function () { showPhase((i + 1) % phases.length); }, phases[i][1] * 1000);
    }
    function finish(message) {
      clearInterval(timer); clearTimeout(phaseTimer);
      box.classList.remove("running");
      start.hidden = false; stop.hidden = true;
      left.textContent = message;
      cue.textContent = say("idle", "Breathe in for 4 · hold for 4 · breathe out for 6");
    }
    start.addEventListener("click", function () {
      var end = Date.now() + parseInt(minutes.value, 10) * 60000;
      box.classList.add("running");
      start.hidden = true; stop.hidden = false; stop.focus();
      showPhase(0);
      function tick() {
        var ms = end - Date.now();
        if (ms <= 0) { finish(say("done", "Well done. Notice how you feel.")); return; }
        var s = Math.ceil(ms / 1000);
        left.textContent = Math.floor(s / 60) + ":" + ("0" + (s % 60)).slice(-2) + " " + say("left", "left");
      }
      tick();
      timer = setInterval(tick, 1000);
    });
    stop.addEventListener("click", function () { finish(say("stopped", "Stopped.")); start.focus(); });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-breathing]").forEach(setup);
  });
})();
