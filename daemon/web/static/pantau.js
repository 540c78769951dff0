// Pantau dashboard: refresh the parts that change, without a library.
// A <main data-segarkan="N"> is fetched again every N seconds (only its content, header
// X-Pantau-Bagian: isi) and replaced; a 401 (session ended) reloads the page, which leads to /masuk.
(function () {
  "use strict";
  var main = document.getElementById("isi");
  if (!main || !main.dataset.segarkan || !window.fetch) { return; }
  var every = Math.max(10, parseInt(main.dataset.segarkan, 10) || 30) * 1000;
  function refresh() {
    if (document.hidden) { return; }
    fetch(window.location.href, {headers: {"X-Pantau-Bagian": "isi"}, credentials: "same-origin",
                                 cache: "no-store"})
      .then(function (r) {
        if (r.status === 401) { window.location.reload(); return null; }
        return r.ok ? r.text() : null;
      })
      .then(function (html) { if (html !== null && html !== undefined) { main.innerHTML = html; } })
      .catch(function () { /* offline for a moment: try again next time */ });
  }
  window.setInterval(refresh, every);
  document.addEventListener("visibilitychange", function () { if (!document.hidden) { refresh(); } });
})();
