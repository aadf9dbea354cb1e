// Warnings center: move through the list with the keyboard (↑/↓ or j/k); Enter or Space
// on a focused title opens it (a real button). Pure presentation: no server request.
(function () {
  function titles() { return Array.prototype.slice.call(document.querySelectorAll(".cb-wlist .cb-wlink")); }
  document.addEventListener("keydown", function (e) {
    var keys = { ArrowDown: 1, j: 1, ArrowUp: -1, k: -1 };
    if (!(e.key in keys) || e.altKey || e.ctrlKey || e.metaKey) { return; }
    var target = e.target;
    if (target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" || target.isContentEditable)) { return; }
    var list = titles();
    if (!list.length) { return; }
    var at = list.indexOf(document.activeElement);
    if (at < 0) { at = list.findIndex(function (b) { return b.closest(".cb-wrow-selected"); }); }
    var next = Math.min(Math.max(at + keys[e.key], 0), list.length - 1);
    if (at < 0) { next = 0; }
    list[next].focus();
    list[next].scrollIntoView({ block: "nearest" });
    e.preventDefault();
  });
})();
