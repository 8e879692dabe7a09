// Live in-app notifications: keeps the bell's unread count current and shows a toast for each new message.
(function () {
  "use strict";
  var script = document.currentScript;
  var count = document.getElementById("bell-count");
  var toasts = document.getElementById("toasts");
  if (!count || !toasts || !window.signalR) return;

  function setCount(n) {
    count.textContent = String(n);
    count.classList.toggle("zero", n === 0);
  }

  function toast(n) {
    var box = document.createElement("div");
    box.className = "toast";
    var head = document.createElement("strong");
    head.textContent = script.dataset.newText || "New notification";
    var body = document.createElement("div");
    body.className = "toast-body";
    var english = (document.documentElement.lang || "").toLowerCase().indexOf("en") === 0;
    body.textContent = (english && n.bodyEn) || n.body || n.title || "";
    box.appendChild(head);
    box.appendChild(body);
    if (n.caseId) {
      var link = document.createElement("a");
      link.href = "/Cases/" + n.caseId;
      link.textContent = script.dataset.openText || "Open the case";
      box.appendChild(link);
    }
    box.addEventListener("click", function (e) { if (e.target.tagName !== "A") box.remove(); });
    toasts.appendChild(box);
    setTimeout(function () { box.classList.add("fade"); }, 8000);
    setTimeout(function () { box.remove(); }, 9000);
  }

  var connection = new signalR.HubConnectionBuilder()
    .withUrl("/hubs/notifications")
    .withAutomaticReconnect()
    .configureLogging(signalR.LogLevel.Warning)
    .build();

  connection.on("notification", function (n) {
    // A message that brought an unread one up to date (same case and phase) leaves the count as it was.
    if (!n || !n.replaces) setCount((parseInt(count.textContent, 10) || 0) + 1);
    toast(n || {});
  });

  function start() {
    connection.start()
      .then(function () { document.body.dataset.live = "connected"; })
      .catch(function () { setTimeout(start, 5000); });
  }
  start();
})();
