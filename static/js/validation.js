// The validation page: while the run is queued or running, re-render its progress card every second;
// once it has finished, reload the page so the report (or the error) shows.
(function () {
  "use strict";
  var live = document.getElementById("validation-live");
  if (!live) return;

  function poll() {
    if (!live.querySelector("[data-live]")) return;
    setTimeout(function () {
      fetch(live.dataset.partialUrl, {credentials: "same-origin", headers: {"HX-Request": "true"}})
        .then(function (response) { return response.ok ? response.text() : Promise.reject(response.status); })
        .then(function (html) {
          live.innerHTML = html;
          if (live.querySelector("[data-finished]")) {
            window.location.reload();
          } else {
            poll();
          }
        })
        .catch(function () { poll(); });
    }, 1000);
  }
  poll();
})();
