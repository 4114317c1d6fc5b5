// The hall's devices (an external file: the Content Security Policy allows no inline scripts).
// Kiosk: an on-screen keypad types the account number, so no keyboard is needed; a tapped
// service button is disabled at once (the server also gives one ticket per form). Ticket: a
// «Печать» button and the way back. Display: live updates by server-sent events, with a
// page refresh as the fallback, and an optional sound when a ticket is called.
(function () {
  "use strict";

  function keypad() {
    var inputs = document.querySelectorAll("input[data-keypad]");
    var pad = document.querySelector(".keypad");
    if (!inputs.length || !pad) return;
    var input = inputs[0];
    inputs.forEach(function (i) { if (i === document.activeElement || i.hasAttribute("autofocus")) input = i; });
    pad.hidden = false;
    inputs.forEach(function (i) {
      i.setAttribute("inputmode", "none");
      i.addEventListener("focus", function () { input = i; });
    });
    pad.addEventListener("click", function (e) {
      var b = e.target.closest("button[data-key]");
      if (!b) return;
      var k = b.getAttribute("data-key");
      var max = Number(input.getAttribute("data-max")) || Number(input.getAttribute("maxlength")) || 14;
      if (k === "back") input.value = input.value.slice(0, -1);
      else if (k === "clear") input.value = "";
      else if (input.value.replace(/\D/g, "").length < max) input.value += k;
    });
    var form = document.getElementById("kiosk-form");
    if (form) {
      form.addEventListener("submit", function () {
        setTimeout(function () {
          form.querySelectorAll("button.kiosk-service").forEach(function (b) { b.disabled = true; });
        }, 0);
      });
    }
  }

  function beep() {
    try {
      var Ctx = window.AudioContext || window.webkitAudioContext;
      if (!Ctx) return;
      var ctx = beep.ctx || (beep.ctx = new Ctx());
      var o = ctx.createOscillator();
      var g = ctx.createGain();
      o.frequency.value = 880;
      g.gain.setValueAtTime(0.25, ctx.currentTime);
      g.gain.exponentialRampToValueAtTime(0.001, ctx.currentTime + 0.8);
      o.connect(g);
      g.connect(ctx.destination);
      o.start();
      o.stop(ctx.currentTime + 0.8);
    } catch (err) { /* no sound on this device */ }
  }

  function cell(tr, text) {
    var td = document.createElement("td");
    td.textContent = text;
    tr.appendChild(td);
  }

  function display() {
    var root = document.getElementById("board");
    if (!root || !window.EventSource) return;
    var url = root.getAttribute("data-events");
    var called = document.getElementById("called-body");
    var waiting = document.getElementById("waiting-body");
    var empty = document.getElementById("called-empty");
    var status = document.getElementById("board-status");
    var sound = document.getElementById("sound");
    var seen = {};
    document.querySelectorAll("#called-body tr[data-key]").forEach(function (tr) {
      seen[tr.getAttribute("data-key")] = true;
    });
    var refresh = document.getElementById("fallback-refresh");
    if (refresh) refresh.parentNode.removeChild(refresh);
    var es = new EventSource(url);
    es.addEventListener("board", function (e) {
      var b = JSON.parse(e.data);
      var fresh = false;
      var next = {};
      called.textContent = "";
      b.called.forEach(function (c) {
        var key = c.ticket_id + ":" + c.calls;
        next[key] = true;
        var tr = document.createElement("tr");
        tr.setAttribute("data-key", key);
        if (!seen[key]) { tr.className = "fresh"; fresh = true; }
        cell(tr, c.label);
        cell(tr, c.window_label);
        called.appendChild(tr);
      });
      seen = next;
      empty.hidden = b.called.length > 0;
      waiting.textContent = "";
      b.waiting.forEach(function (w) {
        var tr = document.createElement("tr");
        cell(tr, w.letter + " — " + w.name);
        cell(tr, String(w.waiting));
        waiting.appendChild(tr);
      });
      root.setAttribute("data-version", String(b.version));
      status.textContent = "Табло на связи";
      if (fresh && sound && sound.checked) beep();
    });
    es.onerror = function () {
      status.textContent = "Нет связи с сервером, переподключение…";
    };
    if (sound) sound.addEventListener("change", function () { if (sound.checked) beep(); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    keypad();
    display();
    document.querySelectorAll("button[data-print]").forEach(function (b) {
      b.hidden = false;
      b.addEventListener("click", function () { window.print(); });
    });
    // The ticket page goes back to the kiosk's start a minute after the last touch.
    var back = document.querySelector("[data-return]");
    if (back) {
      var wait = Number(back.getAttribute("data-seconds")) * 1000 || 60000;
      var t = setTimeout(function go() { window.location.href = back.getAttribute("data-return"); }, wait);
      ["pointerdown", "keydown"].forEach(function (ev) {
        document.addEventListener(ev, function () {
          clearTimeout(t);
          t = setTimeout(function () { window.location.href = back.getAttribute("data-return"); }, wait);
        });
      });
    }
    // The finish form shows the promised date and «к кому» only for the results that need them.
    var result = document.getElementById("f-result");
    if (result) {
      var sync = function () {
        document.querySelectorAll("[data-for-result]").forEach(function (el) {
          var needed = el.getAttribute("data-for-result") === result.value;
          el.hidden = !needed && !el.querySelector(".field-error");
        });
      };
      result.addEventListener("change", sync);
      sync();
    }
    var timer = document.querySelector("[data-since]");
    if (timer) {
      var since = Number(timer.getAttribute("data-since"));
      var norm = Number(timer.getAttribute("data-norm")) * 60;
      var tick = function () {
        var s = Math.max(0, Math.floor((Date.now() - since) / 1000));
        timer.textContent = Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
        timer.classList.toggle("over-norm", s > norm);
      };
      tick();
      setInterval(tick, 1000);
    }
  });
})();
