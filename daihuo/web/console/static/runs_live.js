// Live view of a running crawl: polls the run's JSON every 2 s and fills in the numbers and
// the log tail (textContent only: nothing from the server is parsed as HTML).
(function () {
  "use strict";
  var box = document.getElementById("run");
  if (!box || box.dataset.status !== "running") { return; }
  var id = box.dataset.run;
  var names = {running: "运行中", finished: "完成", failed: "失败", cancelled: "已取消"};
  var statNames = {};
  try { statNames = JSON.parse(box.dataset.names || "{}"); } catch (e) { statNames = {}; }
  function pairs(obj) {  // breakdown keys in Chinese, as the server renders them
    return Object.keys(obj || {}).map(function (k) { return (statNames[k] || k) + ":" + obj[k]; }).join(", ");
  }
  function set(key, value) {
    var el = box.querySelector('[data-k="' + key + '"]');
    if (el) { el.textContent = value; }
  }
  function poll() {
    fetch("/api/runs/" + id, {credentials: "same-origin"}).then(function (r) { return r.json(); })
      .then(function (run) {
        var s = run.summary || {};
        ["requests", "responses", "stored", "updated", "dropped", "failed", "errors"].forEach(function (k) {
          set(k, String(s[k] === undefined ? "" : s[k]));
        });
        ["responses_by_status", "dropped_by_reason", "failed_by_stage", "incremental"].forEach(function (k) {
          set(k, pairs(s[k]));
        });
        set("finish_reason", s.finish_reason || "");
        set("duration_seconds", run.duration_seconds + " 秒");
        set("status", names[run.status] || run.status);
        box.dataset.live = String(Number(box.dataset.live || 0) + 1);
        if (run.status !== "running") { window.location.reload(); return; }
        return fetch("/api/runs/" + id + "/log?tail=16384", {credentials: "same-origin"})
          .then(function (r) { return r.text(); })
          .then(function (text) { document.getElementById("log").textContent = text; });
      })
      .catch(function () { /* the next poll tries again */ })
      .then(function () { if (box.dataset.status === "running") { setTimeout(poll, 2000); } });
  }
  setTimeout(poll, 1000);
}());
