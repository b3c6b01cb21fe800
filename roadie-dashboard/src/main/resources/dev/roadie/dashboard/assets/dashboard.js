// roadie dashboard: draws the charts (uPlot), copies restore commands and refreshes the running jobs
// from the page's own server. No framework, nothing from elsewhere.
(function () {
  "use strict";
  var UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
  function bytes(v) {
    if (v == null) return "";
    var u = 0;
    while (Math.abs(v) >= 1024 && u < UNITS.length - 1) { v /= 1024; u++; }
    return (u === 0 ? v.toFixed(0) : v.toFixed(v >= 100 ? 0 : v >= 10 ? 1 : 2)) + " " + UNITS[u];
  }
  function seconds(v) {
    if (v == null) return "";
    if (v < 120) return v.toFixed(v < 10 ? 1 : 0) + " s";
    if (v < 7200) return (v / 60).toFixed(0) + " min";
    return (v / 3600).toFixed(1) + " h";
  }
  function draw(fig) {
    var data = JSON.parse(fig.querySelector("script[type='application/json']").textContent);
    var plot = fig.querySelector(".plot");
    var fmt = data.unit === "bytes" ? bytes : seconds;
    var width = Math.max(240, plot.clientWidth || fig.clientWidth - 16);
    var opts = {
      width: width,
      height: 200,
      legend: { show: true },
      cursor: { points: { size: 6 } },
      scales: {
        // One snapshot: an hour either side of it, not uPlot's default of years.
        x: data.x.length > 0 && data.x[0] === data.x[data.x.length - 1]
          ? { time: true, auto: false, range: [data.x[0] - 3600, data.x[0] + 3600] } : { time: true },
        y: { range: function (u, min, max) { return [0, max > 0 ? max * 1.1 : 1]; } }
      },
      series: [
        { value: function (u, v) { return v == null ? "" : new Date(v * 1000).toISOString().replace("T", " ").slice(0, 19) + " UTC"; } },
        { label: data.title, stroke: "#0969da", fill: "rgba(9,105,218,0.08)", width: 2,
          points: { show: data.x.length <= 200, size: 5 }, value: function (u, v) { return fmt(v); } }
      ],
      axes: [
        {},
        { size: 70, values: function (u, vals) { return vals.map(fmt); } }
      ]
    };
    var chart = new uPlot(opts, [data.x, data.y], plot);
    fig.setAttribute("data-drawn", "true");
    return chart;
  }
  var charts = [];
  document.querySelectorAll("figure.chart").forEach(function (fig) {
    try { charts.push({ fig: fig, chart: draw(fig) }); } catch (e) { fig.setAttribute("data-error", String(e)); }
  });
  window.addEventListener("resize", function () {
    charts.forEach(function (c) {
      var w = Math.max(240, c.fig.querySelector(".plot").clientWidth || c.fig.clientWidth - 16);
      c.chart.setSize({ width: w, height: 200 });
    });
  });
  document.querySelectorAll("button.copy").forEach(function (btn) {
    btn.addEventListener("click", function () {
      var text = btn.parentNode.querySelector("code").textContent;
      function done() { btn.textContent = "Copied"; setTimeout(function () { btn.textContent = "Copy"; }, 1500); }
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(done, function () {});
      } else {
        var range = document.createRange();
        range.selectNodeContents(btn.parentNode.querySelector("code"));
        var sel = window.getSelection();
        sel.removeAllRanges();
        sel.addRange(range);
        try { document.execCommand("copy"); done(); } catch (e) { /* the text stays selected */ }
      }
    });
  });
  // The overview's running jobs, fetched again every 2 s while the page is open (served pages only:
  // the static report has no data-refresh). One small request; the rest of the page stays.
  var running = document.getElementById("running");
  if (running && running.getAttribute("data-refresh") && window.fetch) {
    var url = running.getAttribute("data-refresh");
    var refreshes = 0;
    setInterval(function () {
      if (document.hidden) return;
      fetch(url, { cache: "no-store", credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) {
          if (html == null) return;
          running.innerHTML = html;
          running.setAttribute("data-refreshes", String(++refreshes));
        }, function () { /* the agent is restarting: the next round tries again */ });
    }, 2000);
  }
  if (window.performance && performance.mark) performance.mark("roadie-dashboard-ready");
})();
