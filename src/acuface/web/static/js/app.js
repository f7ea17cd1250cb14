/* Acuface progressive enhancement. No inline scripts (CSP); pages work without it
   except the camera and the click-to-chart face map. */
(function () {
  "use strict";
  function csrf() {
    var m = document.querySelector('meta[name="csrf-token"]');
    return m ? m.getAttribute("content") : "";
  }
  // htmx requests carry the CSRF header too.
  document.addEventListener("htmx:configRequest", function (e) {
    e.detail.headers["X-CSRF-Token"] = csrf();
  });
  if (window.htmx) { window.htmx.config.allowEval = false; }

  function el(tag, cls, text) {
    var n = document.createElement(tag);
    if (cls) n.className = cls;
    if (text !== undefined) n.textContent = text;
    return n;
  }

  // ---- face map details on hover / focus / tap -------------------------
  function showInfo(panel, info, code, side) {
    panel.textContent = "";
    var d = info[code] || { code: code, name: "", cautions: [], reasons: [] };
    panel.appendChild(el("h3", "", d.code + (side && side !== "midline" ? " · " + side : "") ));
    if (d.name) panel.appendChild(el("p", "muted", d.name));
    var dl = el("dl", "kv");
    function row(k, v) { if (!v) return; dl.appendChild(el("dt", "", k)); dl.appendChild(el("dd", "", v)); }
    row("Location", d.location);
    row("Plan technique", d.technique);
    row(d.technique ? "Depth (atlas standard)" : "Depth", d.depth);
    row("Needling", d.needling_notes);
    panel.appendChild(dl);
    function list(title, items, cls) {
      if (!items || !items.length) return;
      panel.appendChild(el("h3", "", title));
      var ul = el("ul", cls || "");
      items.forEach(function (t) { ul.appendChild(el("li", "", t)); });
      panel.appendChild(ul);
    }
    list("Cautions", d.cautions, "cautions");
    list("Why this point", d.reasons);
  }

  // One script for every point map (face maps, the body chart). Each marker has a
  // tap target at least HIT_PX across whatever the display size; a tap that lands on
  // several targets (close points) opens a chooser listing them, so a fingertip
  // never picks the wrong point. Keyboard users tab from marker to marker.
  var HIT_PX = 32;
  function initFacemap(fig) {
    var wrap = fig.closest("[data-facemap-wrap]");
    var panel = wrap.querySelector("[data-point-info]");
    var chooser = wrap.querySelector("[data-pt-chooser]");
    var dataEl = document.getElementById(fig.getAttribute("data-facemap") + "-info");
    var info = dataEl ? JSON.parse(dataEl.textContent) : {};
    var chart = fig.getAttribute("data-mode") === "chart";
    var svg = fig.querySelector("svg");
    var markers = Array.prototype.slice.call(fig.querySelectorAll(".pt"));
    var hits = Array.prototype.slice.call(fig.querySelectorAll(".pt-hit"));
    var labels = {};
    fig.querySelectorAll(".pt-label").forEach(function (t) { labels[t.getAttribute("data-i")] = t; });
    var centres = markers.map(function (g) {
      var c = g.querySelector("circle");
      return { x: Number(c.getAttribute("cx")), y: Number(c.getAttribute("cy")), r: Number(c.getAttribute("r")) };
    });

    // Map units per CSS px at the size the map is shown now.
    function unitsPerPx() {
      var vb = svg.viewBox.baseVal, rect = svg.getBoundingClientRect();
      return rect.width > 0 ? vb.width / rect.width : 1;
    }
    function sizeHits() {
      // Half a pixel over, so rounding never leaves a target a hair under HIT_PX.
      var r = (HIT_PX / 2 + 0.5) * unitsPerPx();
      hits.forEach(function (h, i) { h.setAttribute("r", String(Math.max(r, centres[i].r))); });
    }
    sizeHits();
    if (window.ResizeObserver) { new ResizeObserver(sizeHits).observe(svg); }
    else { window.addEventListener("resize", sizeHits); }

    function activate(i) {
      fig.querySelectorAll(".pt-active").forEach(function (x) { x.classList.remove("pt-active"); });
      markers[i].classList.add("pt-active");
      if (labels[i]) labels[i].classList.add("pt-active");
      showInfo(panel, info, markers[i].getAttribute("data-code"), markers[i].getAttribute("data-side"));
    }
    function choose(i) {
      closeChooser();
      activate(i);
      var g = markers[i];
      if (chart) { addNeedle(g.getAttribute("data-code"), g.getAttribute("data-side")); g.classList.add("pt-needled"); }
    }
    function closeChooser() {
      if (!chooser || chooser.classList.contains("hidden")) return;
      chooser.classList.add("hidden");
      chooser.textContent = "";
    }
    function openChooser(list, clientX, clientY) {
      chooser.textContent = "";
      chooser.appendChild(el("p", "small muted", "Which point?"));
      list.forEach(function (i) {
        var b = el("button", "btn", markers[i].getAttribute("aria-label"));
        b.type = "button";
        b.setAttribute("role", "menuitem");
        b.setAttribute("data-code", markers[i].getAttribute("data-code"));
        b.setAttribute("data-side", markers[i].getAttribute("data-side"));
        b.addEventListener("click", function (e) { e.stopPropagation(); choose(i); });
        chooser.appendChild(b);
      });
      var cancel = el("button", "btn btn-quiet", "Cancel");
      cancel.type = "button";
      cancel.addEventListener("click", function (e) { e.stopPropagation(); closeChooser(); });
      chooser.appendChild(cancel);
      var box = wrap.getBoundingClientRect();
      chooser.classList.remove("hidden");
      // CSSOM positioning (allowed by the CSP, unlike style attributes).
      var left = Math.min(clientX - box.left + 8, box.width - chooser.offsetWidth - 4);
      chooser.style.left = Math.max(0, left) + "px";
      chooser.style.top = (clientY - box.top + 8) + "px";
      chooser.querySelector("button").focus();
    }
    // Every marker whose tap target holds the point, nearest first.
    function near(clientX, clientY) {
      var rect = svg.getBoundingClientRect(), vb = svg.viewBox.baseVal, k = unitsPerPx();
      var x = vb.x + (clientX - rect.left) * k, y = vb.y + (clientY - rect.top) * k;
      var hitR = HIT_PX / 2 * k, out = [];
      centres.forEach(function (c, i) {
        var d = Math.hypot(c.x - x, c.y - y);
        if (d <= Math.max(hitR, c.r)) out.push({ i: i, d: d, onDot: d <= c.r });
      });
      out.sort(function (a, b) { return a.d - b.d; });
      return out;
    }
    svg.addEventListener("click", function (e) {
      var g = e.target.closest ? e.target.closest(".pt") : null;
      if (e.detail === 0 && g) { choose(Number(g.getAttribute("data-i"))); return; }  // keyboard
      var found = near(e.clientX, e.clientY);
      if (!found.length) { closeChooser(); return; }
      var dots = found.filter(function (f) { return f.onDot; });
      // A mouse on one marker's dot means that marker; a fingertip is never that exact.
      if (found.length === 1 || (lastPointer !== "touch" && dots.length === 1)) { choose(dots.length === 1 ? dots[0].i : found[0].i); return; }
      openChooser(found.map(function (f) { return f.i; }), e.clientX, e.clientY);
    });
    var lastPointer = "mouse";
    svg.addEventListener("pointerdown", function (e) { lastPointer = e.pointerType || "mouse"; });
    markers.forEach(function (g, i) {
      g.addEventListener("mouseenter", function () { activate(i); });
      g.addEventListener("focus", function () { activate(i); });
      g.addEventListener("keydown", function (e) {
        if (e.key === "Enter" || e.key === " ") { e.preventDefault(); choose(i); }
      });
    });
    hits.forEach(function (h, i) { h.addEventListener("mouseenter", function () { activate(i); }); });
    document.addEventListener("keydown", function (e) { if (e.key === "Escape") closeChooser(); });
    document.addEventListener("click", function (e) { if (chooser && !wrap.contains(e.target)) closeChooser(); });
  }

  // ---- session charting: needles table ---------------------------------
  function guidance() {
    var g = document.getElementById("chart-guidance");
    return g ? JSON.parse(g.textContent) : { excluded: {}, techniques: {} };
  }
  function updateTotal() {
    var total = 0;
    document.querySelectorAll("[data-needles] [name=needle_count]").forEach(function (c) {
      total += parseInt(c.value || "0", 10) || 0;
    });
    var t = document.querySelector("[data-needle-total]");
    if (t) t.textContent = String(total);
  }
  document.addEventListener("input", function (e) {
    if (e.target && e.target.matches && e.target.matches("[name=needle_count]")) updateTotal();
  });
  function addNeedle(code, side) {
    var tbody = document.querySelector("[data-needles] tbody");
    if (!tbody) return;
    var rows = tbody.querySelectorAll("tr[data-needle]");
    for (var i = 0; i < rows.length; i++) {
      var r = rows[i];
      if (r.querySelector("[name=needle_code]").value === code && r.querySelector("[name=needle_side]").value === side) {
        var c = r.querySelector("[name=needle_count]");
        c.value = String(Math.min(20, parseInt(c.value || "0", 10) + 1));
        updateTotal();
        return;
      }
    }
    var g = guidance();
    var tpl = document.getElementById("needle-row-template");
    var row = tpl.content.firstElementChild.cloneNode(true);
    row.querySelector("[name=needle_code]").value = code;
    row.querySelector("[data-code-label]").textContent = code;
    row.querySelector("[name=needle_side]").value = side;
    row.querySelector("[data-technique]").textContent = g.techniques[code] || "";
    if (g.excluded[code]) {
      // The plan left this point out: needling it is an override with a reason.
      var box = row.querySelector("[data-override]");
      box.classList.remove("hidden");
      row.querySelector("[data-override-why]").textContent = g.excluded[code];
      var reason = row.querySelector("[name=needle_reason]");
      reason.required = true;
      tbody.appendChild(row);
      reason.focus();
    } else {
      tbody.appendChild(row);
    }
    var empty = document.querySelector("[data-needles-empty]");
    if (empty) empty.classList.add("hidden");
    updateTotal();
  }
  document.addEventListener("click", function (e) {
    var t = e.target;
    if (t && t.matches && t.matches("[data-remove-row]")) {
      e.preventDefault();
      var row = t.closest("tr");
      if (row) row.remove();
      updateTotal();
    }
    if (t && t.matches && t.matches("[data-add-needle]")) {
      e.preventDefault();
      var sel = document.querySelector("[data-add-needle-code]");
      var side = document.querySelector("[data-add-needle-side]");
      if (sel && sel.value) addNeedle(sel.value, side ? side.value : "midline");
    }
  });

  // ---- confirm before destructive actions ------------------------------
  document.addEventListener("submit", function (e) {
    var f = e.target;
    var msg = f.getAttribute && f.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) e.preventDefault();
  });

  // ---- photo upload: drag and drop, camera, pose check before saving ----
  function initUpload(form) {
    var input = form.querySelector("input[type=file]");
    var zone = form.querySelector("[data-dropzone]");
    var result = form.querySelector("[data-check-result]");
    var save = form.querySelector("[data-save]");
    var preview = form.querySelector("[data-preview]");
    var checkUrl = form.getAttribute("data-check-url");
    var ack = form.querySelector("[data-ack]");

    function setFile(file) {
      var dt = new DataTransfer();
      dt.items.add(file);
      input.files = dt.files;
      check(file);
    }
    function check(file) {
      save.disabled = true;
      if (ack) { ack.classList.add("hidden"); ack.querySelector("input").checked = false; }
      result.className = "flash flash-info";
      result.textContent = "Checking the photo…";
      if (preview) { preview.src = URL.createObjectURL(file); preview.classList.remove("hidden"); }
      var fd = new FormData();
      fd.append("file", file);
      fetch(checkUrl, { method: "POST", body: fd, headers: { "X-CSRF-Token": csrf() }, credentials: "same-origin" })
        .then(function (r) { return r.json().then(function (j) { return { ok: r.ok, body: j }; }); })
        .then(function (res) {
          result.textContent = "";
          if (!res.ok) {
            result.className = "flash flash-error";
            result.textContent = res.body.message || "This photo cannot be used.";
            return;
          }
          var b = res.body;
          var pose = b.face_found ? " Pose: yaw " + fmt(b.yaw_deg) + "°, pitch " + fmt(b.pitch_deg) + "°, roll " + fmt(b.roll_deg) + "°." : "";
          if (b.ok) {
            result.className = "flash flash-success";
            result.textContent = "Face found, pose and quality look fine." + pose;
            save.disabled = false;
          } else {
            result.className = "flash flash-warning";
            result.appendChild(el("strong", "", "Check before saving." + pose));
            var ul = el("ul");
            (b.warnings || []).forEach(function (w) { ul.appendChild(el("li", "", w)); });
            result.appendChild(ul);
            if (ack) {
              ack.classList.remove("hidden");
            } else { save.disabled = false; }
          }
        })
        .catch(function () { result.className = "flash flash-error"; result.textContent = "Could not check the photo (network error)."; });
    }
    function fmt(v) { return (v === null || v === undefined) ? "?" : Number(v).toFixed(0); }
    if (ack) ack.querySelector("input").addEventListener("change", function (e) { save.disabled = !e.target.checked; });
    input.addEventListener("change", function () { if (input.files.length) check(input.files[0]); });
    if (zone) {
      zone.addEventListener("click", function () { input.click(); });
      zone.addEventListener("keydown", function (e) { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); input.click(); } });
      ["dragenter", "dragover"].forEach(function (n) { zone.addEventListener(n, function (e) { e.preventDefault(); zone.classList.add("dragover"); }); });
      ["dragleave", "drop"].forEach(function (n) { zone.addEventListener(n, function (e) { e.preventDefault(); zone.classList.remove("dragover"); }); });
      zone.addEventListener("drop", function (e) { if (e.dataTransfer.files.length) setFile(e.dataTransfer.files[0]); });
    }
    // camera
    var camBtn = form.querySelector("[data-camera-start]");
    var shotBtn = form.querySelector("[data-camera-shot]");
    var video = form.querySelector("video");
    var stream = null;
    if (camBtn && navigator.mediaDevices && navigator.mediaDevices.getUserMedia) {
      camBtn.addEventListener("click", function (e) {
        e.preventDefault();
        navigator.mediaDevices.getUserMedia({ video: { width: { ideal: 1280 }, facingMode: "user" }, audio: false })
          .then(function (s) { stream = s; video.srcObject = s; video.classList.remove("hidden"); shotBtn.classList.remove("hidden"); video.play(); })
          .catch(function (err) { result.className = "flash flash-error"; result.textContent = "Camera not available: " + err.message; });
      });
      shotBtn.addEventListener("click", function (e) {
        e.preventDefault();
        var c = document.createElement("canvas");
        c.width = video.videoWidth; c.height = video.videoHeight;
        c.getContext("2d").drawImage(video, 0, 0);
        c.toBlob(function (blob) {
          setFile(new File([blob], "camera.jpg", { type: "image/jpeg" }));
          if (stream) stream.getTracks().forEach(function (t) { t.stop(); });
          video.classList.add("hidden"); shotBtn.classList.add("hidden");
        }, "image/jpeg", 0.92);
      });
    } else if (camBtn) {
      camBtn.disabled = true;
      camBtn.title = "This browser gives no camera access (it needs HTTPS or localhost).";
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-facemap]").forEach(initFacemap);
    document.querySelectorAll("form[data-upload]").forEach(initUpload);
  });
})();
