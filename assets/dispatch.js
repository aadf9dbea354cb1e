// 指挥调度 (issue 21): the order cards' clocks run in the browser. Each .cb-od-clock carries its
// deadline (data-due, UTC ISO) and the words for "left" / "late" in the reader's language; the
// server draws the first value, this keeps it running. Pure presentation: no server request.
(function () {
  function pad(n) { return n < 10 ? "0" + n : String(n); }
  function tick() {
    var now = Date.now();
    var clocks = document.querySelectorAll(".cb-od-clock[data-due]");
    for (var i = 0; i < clocks.length; i++) {
      var el = clocks[i];
      var due = Date.parse(el.getAttribute("data-due"));
      if (isNaN(due)) { continue; }
      var secs = Math.round((due - now) / 1000);
      var late = secs < 0;
      var a = Math.abs(secs);
      var text = (late ? el.getAttribute("data-late") : el.getAttribute("data-left")) + " " +
        Math.floor(a / 3600) + ":" + pad(Math.floor(a % 3600 / 60)) + ":" + pad(a % 60);
      if (el.textContent !== text) { el.textContent = text; }
      el.classList.toggle("cb-od-clock-late", late);
      el.classList.toggle("cb-od-clock-soon", !late && secs < 900);
    }
  }
  setInterval(tick, 1000);
})();
