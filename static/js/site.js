// Progressive enhancement only: every page works without this file.
// A timestamp link (quote or transcript line) plays the episode from that moment.
(function () {
  "use strict";

  function seek(seconds) {
    var player = document.getElementById("player");
    if (!player || isNaN(seconds)) return false;
    player.currentTime = seconds;
    var playing = player.play();
    if (playing && playing.catch) playing.catch(function () {});
    return true;
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("[data-seek]");
    if (!link) return;
    if (seek(parseFloat(link.getAttribute("data-seek")))) {
      event.preventDefault();
      history.replaceState(null, "", link.getAttribute("href"));
    }
  });

  // A shared link like /shows/x/y/#t=754 starts the player there once it can.
  document.addEventListener("DOMContentLoaded", function () {
    var match = /^#t=(\d+(?:\.\d+)?)$/.exec(window.location.hash);
    var player = document.getElementById("player");
    if (match && player) {
      player.preload = "metadata";
      player.addEventListener("loadedmetadata", function () {
        player.currentTime = parseFloat(match[1]);
      }, { once: true });
    }
  });
})();
