// Code pickers (_Picker.cshtml): a search box over GET /api/v1/pickers/{kind}; the chosen codes are posted in hidden
// inputs named after the field, so nobody types a code. Keyboard: ↓/↑ move, Enter chooses, Esc closes, Backspace on an
// empty box removes the last choice.
(function () {
  "use strict";
  var seq = 0;

  function init(root) {
    if (root.dataset.ready) return;
    root.dataset.ready = "1";
    var name = root.dataset.name;
    var multiple = root.dataset.multiple === "true";
    var required = root.dataset.required === "true";
    var input = root.querySelector(".picker-search");
    var list = root.querySelector(".picker-list");
    var chosen = root.querySelector(".picker-chosen");
    var form = root.closest("form");
    var items = [];
    var active = -1;
    var timer = null;
    var request = 0;

    function codes() {
      return Array.prototype.map.call(chosen.querySelectorAll("input[type=hidden]"), function (h) { return h.value; });
    }

    function validity() {
      input.setCustomValidity(required && codes().length === 0 ? root.dataset.choose : "");
    }

    function dependency() {
      var dep = root.dataset.depends;
      if (!dep || !form) return "";
      var h = form.querySelector("input[type=hidden][name='" + dep + "']");
      return h && h.value ? "&category=" + encodeURIComponent(h.value) : "";
    }

    function chip(o) {
      var span = document.createElement("span");
      span.className = "chip" + (o.warning ? " warn" : "");
      span.dataset.code = o.code;
      var n = document.createElement("span");
      n.className = "chip-name";
      n.textContent = o.name;
      var c = document.createElement("span");
      c.className = "muted num";
      c.textContent = o.code;
      var x = document.createElement("button");
      x.type = "button";
      x.className = "chip-x";
      x.setAttribute("aria-label", root.dataset.remove + " " + o.name);
      x.textContent = "×";
      var h = document.createElement("input");
      h.type = "hidden";
      h.name = name;
      h.value = o.code;
      span.appendChild(n);
      span.appendChild(document.createTextNode(" "));
      span.appendChild(c);
      span.appendChild(x);
      span.appendChild(h);
      if (o.warning) {
        var w = document.createElement("span");
        w.className = "chip-warn";
        w.textContent = "⚠ " + o.warning;
        span.appendChild(w);
      }
      return span;
    }

    function choose(o) {
      // A search still on its way must not reopen the list over the form.
      clearTimeout(timer);
      request++;
      if (!multiple) chosen.innerHTML = "";
      if (codes().indexOf(o.code) < 0) chosen.appendChild(chip(o));
      input.value = "";
      validity();
      close();
      root.dispatchEvent(new CustomEvent("picker:change", { bubbles: true, detail: { name: name } }));
      if (multiple) input.focus();
    }

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(i) {
      var options = list.querySelectorAll("[role=option]");
      if (options.length === 0) return;
      active = (i + options.length) % options.length;
      Array.prototype.forEach.call(options, function (li, k) { li.setAttribute("aria-selected", k === active ? "true" : "false"); });
      input.setAttribute("aria-activedescendant", options[active].id);
      options[active].scrollIntoView({ block: "nearest" });
    }

    function note(text) {
      var li = document.createElement("li");
      li.className = "picker-note";
      li.textContent = text;
      list.appendChild(li);
    }

    function render(page) {
      list.innerHTML = "";
      var taken = codes();
      items = page.items.filter(function (o) { return !multiple || taken.indexOf(o.code) < 0; });
      items.forEach(function (o, i) {
        var li = document.createElement("li");
        li.id = input.id + "-opt-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        li.dataset.code = o.code;
        if (o.suggested) li.classList.add("suggested");
        if (o.warning) li.classList.add("warn");
        var head = document.createElement("div");
        var n = document.createElement("span");
        n.className = "opt-name";
        n.textContent = o.name;
        var c = document.createElement("span");
        c.className = "muted num";
        c.textContent = " " + o.code;
        head.appendChild(n);
        head.appendChild(c);
        li.appendChild(head);
        if (o.hint) {
          var h = document.createElement("div");
          h.className = "opt-hint";
          h.textContent = o.hint;
          li.appendChild(h);
        }
        if (o.warning) {
          var w = document.createElement("div");
          w.className = "opt-warn";
          w.textContent = "⚠ " + o.warning;
          li.appendChild(w);
        }
        li.addEventListener("mousedown", function (e) { e.preventDefault(); choose(o); });
        list.appendChild(li);
      });
      if (items.length === 0) note(root.dataset.empty);
      if (page.total > page.items.length) note(root.dataset.more.replace("{0}", String(page.total - page.items.length)));
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      active = -1;
      if (items.length > 0) highlight(0);
    }

    function load() {
      var mine = ++request;
      var url = root.dataset.url + dependency() + "&q=" + encodeURIComponent(input.value.trim());
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.json(); })
        .then(function (page) { if (mine === request && document.activeElement === input) render(page); })
        .catch(function () { if (mine === request) { list.innerHTML = ""; note(root.dataset.failed); list.hidden = false; } });
    }

    input.addEventListener("focus", load);
    input.addEventListener("input", function () {
      clearTimeout(timer);
      // Options of the previous text must not be taken for answers to this one.
      items = [];
      list.innerHTML = "";
      active = -1;
      timer = setTimeout(load, 150);
    });
    input.addEventListener("blur", function () { clearTimeout(timer); request++; setTimeout(close, 100); });
    input.addEventListener("keydown", function (e) {
      if (e.key === "ArrowDown") { e.preventDefault(); if (list.hidden) load(); else highlight(active + 1); }
      else if (e.key === "ArrowUp") { e.preventDefault(); highlight(active - 1); }
      else if (e.key === "Enter") {
        if (!list.hidden && active >= 0 && items[active]) { e.preventDefault(); choose(items[active]); }
        else if (input.value.trim() !== "") e.preventDefault();
      }
      else if (e.key === "Escape") { if (!list.hidden) { e.preventDefault(); close(); } }
      else if (e.key === "Backspace" && input.value === "") {
        var last = chosen.querySelector(".chip:last-child");
        if (last) { last.remove(); validity(); root.dispatchEvent(new CustomEvent("picker:change", { bubbles: true, detail: { name: name } })); }
      }
    });
    chosen.addEventListener("click", function (e) {
      var x = e.target.closest(".chip-x");
      if (!x) return;
      x.closest(".chip").remove();
      validity();
      root.dispatchEvent(new CustomEvent("picker:change", { bubbles: true, detail: { name: name } }));
      input.focus();
    });
    // A standard item chosen for one category is meaningless for another: clear it when the category changes.
    if (form && root.dataset.depends) {
      form.addEventListener("picker:change", function (e) {
        if (e.detail && e.detail.name === root.dataset.depends) { chosen.innerHTML = ""; validity(); }
      });
    }
    // Chips rendered by the server from a posted code only: fetch their names.
    Array.prototype.forEach.call(chosen.querySelectorAll(".chip[data-resolve=true]"), function (c) {
      fetch(root.dataset.url + dependency() + "&code=" + encodeURIComponent(c.dataset.code), { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (page) { if (page && page.items.length > 0) c.querySelector(".chip-name").textContent = page.items[0].name; })
        .catch(function () { });
    });
    input.id = input.id || "picker-" + (++seq);
    validity();
  }

  function all() { Array.prototype.forEach.call(document.querySelectorAll("[data-picker]"), init); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", all); else all();
})();
