// The review screen: a quote scrolls the transcript to where it was said and marks it.
// Progressive enhancement only: without this file the quote links still jump to the segment.
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-mark]");
    if (!link) return;
    var pane = document.getElementById("transcript-pane");
    var target = document.getElementById(link.getAttribute("data-mark")) ||
      document.querySelector(link.getAttribute("href"));
    if (!pane || !target) return;
    event.preventDefault();
    if (pane.scrollHeight > pane.clientHeight) {
      var offset = target.getBoundingClientRect().top - pane.getBoundingClientRect().top;
      pane.scrollTo({ top: Math.max(0, pane.scrollTop + offset - pane.clientHeight / 3) });
    }
    var box = pane.getBoundingClientRect();
    if (box.top < 0 || box.bottom > window.innerHeight) {
      target.scrollIntoView({ block: "center" });
    }
    var previous = document.querySelectorAll(".flash");
    for (var i = 0; i < previous.length; i++) previous[i].classList.remove("flash");
    target.classList.add("flash");
    history.replaceState(null, "", link.getAttribute("href"));
  });
})();
