/* Acuface live camera view. Each new camera frame is copied to a canvas, encoded as
   JPEG and sent over a WebSocket (binary: u32 seq, f64 capture time in ms, JPEG) with
   at most `max_in_flight` frames unanswered. The server (one tracking Face Mesh per
   connection, the photo locator's geometry) answers every frame with the points, or
   "dropped" when a newer frame replaced it. The page shows each analysed frame with
   its own points (drawn on the same canvas), so points never trail a moving face;
   the live <video> shows only until the first answer.

   Sides: frames are sent as the camera delivers them (never mirrored), so the
   server's left/right are the client's own. Mirroring is display-only: the video is
   flipped by CSS and each point's x is flipped when drawn, while labels are written
   unflipped and keep their side letter (L = client's left).

   Labels: the page tells the server which rows it draws and labels ("draw"
   message); the server places each frame's labels with the placer of every other
   point map (acuface.locator.labels) and sends them with the points, with the
   marker and font sizes. The page only draws them: mirrored, a label's box is
   mirrored and its text written left to right inside it, so no label ever lies
   on another or on a marker.

   window.acufaceLive = {fps, points, frames, ...} is kept up to date for tests and
   benchmarks (points: drawn in the last frame; labels: its labels with their boxes
   and the text widths the canvas measured; frames: frames processed). */
(function () {
  "use strict";
  var root = document.querySelector("[data-live]");
  if (!root) return;
  var cfg = JSON.parse(document.getElementById("live-config").textContent);
  function $(sel) { return root.querySelector(sel); }
  var video = $("[data-video]"), view = $("[data-view]");
  var message = $("[data-message]"), cameraInfo = $("[data-camera-info]");
  var mirrorBox = $("[data-mirror]"), showAllBox = $("[data-show-all]"), cameraSelect = $("[data-camera-select]");
  var freezeBtn = $("[data-freeze]"), resumeBtn = $("[data-resume]"), saveBtn = $("[data-save]");
  var ack = $("[data-ack]"), freezeResult = $("[data-freeze-result]"), poseBox = $("[data-pose-warning]");
  var vctx = view.getContext("2d");
  // Frames in flight keep their canvas until answered; the frame on show keeps its
  // own (a freeze saves exactly the frame whose points are on the screen).
  var pool = [];

  var HEADER = 36, STATUS_OK = 0, STATUS_NO_FACE = 1, STATUS_TOO_SMALL = 2, STATUS_DROPPED = 3, STATUS_ERROR = 4;
  var FLAG_STEADY = 1, FLAG_RAW = 2, FLAG_DRAWING = 4, LABEL_FLOATS = 11;
  // The page's own font stack, as on every other point map (the server's label boxes
  // are sized for its widest face).
  var FONT = window.getComputedStyle(document.body).fontFamily || "sans-serif";
  var planByCode = {};
  (cfg.plan_points || []).forEach(function (p) { planByCode[p.code] = p; });

  var state = {
    ws: null, ready: false, fatal: false, codes: [], sides: [], texts: [], planRow: [], channel: [],
    inFlight: 0, seq: 0, sent: {}, recent: [], noFace: 0, mirrored: true, frozen: false,
    frozenBlob: null, stream: null, cameraOk: false, showAll: !!cfg.show_all, lastAnswer: null,
    drawVersion: 0, drawShowAll: {},
    lastStats: 0, poseText: "", frames: {}, current: null
  };
  var live = window.acufaceLive = {
    fps: 0, points: 0, frames: 0, dropped: 0, errors: 0, rtt_ms: null, server_ms: null,
    status: "starting", camera: null, mirrored: true, drawn: [], labels: []
  };

  function csrf() {
    var m = document.querySelector('meta[name="csrf-token"]');
    return m ? m.getAttribute("content") : "";
  }
  function channelOf(code) { return code.split("-")[0].replace(/[0-9]+$/, ""); }
  function colourOf(code) { return cfg.colours[channelOf(code)] || cfg.colours[""]; }

  root.querySelectorAll("[data-channel]").forEach(function (sw) {
    sw.style.backgroundColor = cfg.colours[sw.getAttribute("data-channel")] || cfg.colours[""];
  });

  // ---- messages over the picture ------------------------------------------
  function say(text) {
    if (text) { message.textContent = text; message.classList.remove("hidden"); }
    else { message.textContent = ""; message.classList.add("hidden"); }
  }
  function fail(text, status) {
    state.fatal = true;
    live.status = status || "error";
    freezeBtn.disabled = true;
    say(text);
  }
  function refreshReady() {
    var ok = state.ready && state.cameraOk && !state.fatal;
    freezeBtn.disabled = !ok || state.frozen;
    if (ok && live.status !== "running") { live.status = "running"; say(null); }
  }

  // ---- mirroring: display only ---------------------------------------------
  function setMirror(on) {
    state.mirrored = !!on;
    live.mirrored = state.mirrored;
    mirrorBox.checked = state.mirrored;
    video.classList.toggle("mirrored", state.mirrored);
    // Which of the client's sides is on which edge of the screen.
    $("[data-side-left]").textContent = state.mirrored ? "Client's left" : "Client's right";
    $("[data-side-right]").textContent = state.mirrored ? "Client's right" : "Client's left";
    render();
  }
  mirrorBox.addEventListener("change", function () { setMirror(mirrorBox.checked); });
  if (showAllBox) {
    showAllBox.addEventListener("change", function () {
      state.showAll = showAllBox.checked;
      sendDraw();
      render();
    });
  }

  // ---- drawing ---------------------------------------------------------------
  function takeCanvas() {
    return pool.pop() || document.createElement("canvas");
  }
  function release(c) { if (c && c !== state.current) pool.push(c); }

  // The analysed frame (mirrored for display if asked), then its points.
  function render() {
    var frame = state.current;
    if (!frame) return;
    var W = frame.width, H = frame.height;
    if (view.width !== W || view.height !== H) { view.width = W; view.height = H; }
    vctx.save();
    if (state.mirrored) { vctx.translate(W, 0); vctx.scale(-1, 1); }
    vctx.drawImage(frame, 0, 0);
    vctx.restore();
    view.classList.remove("hidden");
    draw(state.lastAnswer, W, H);
  }

  function draw(a, W, H) {
    var octx = vctx;
    var drawn = [], labels = [];
    if (a && a.status === STATUS_OK && a.n === state.codes.length && a.dotR) {
      var r = a.dotR;
      // The markers the server placed this frame's labels around: the choice (plan
      // or all points) of the draw message it had, so a frame analysed before a
      // change of that choice is drawn as it was labelled.
      var showAll = state.drawShowAll[a.drawVersion];
      if (showAll === undefined) showAll = state.showAll;
      for (var i = 0; i < a.n; i++) {
        var plan = state.planRow[i];
        if (!plan && !showAll) continue;
        var x = a.xy[2 * i], y = a.xy[2 * i + 1];
        if (!(x >= 0 && y >= 0 && x <= W && y <= H)) continue;
        var dx = state.mirrored ? W - x : x;
        var code = state.codes[i], side = state.sides[i], vis = a.vis[i] === 1;
        var colour = colourOf(code);
        var rad = plan || cfg.show_all ? r : r * 0.6;
        octx.beginPath();
        octx.arc(dx, y, rad, 0, 2 * Math.PI);
        if (vis) {
          octx.globalAlpha = plan || cfg.show_all ? 0.95 : 0.6;
          octx.fillStyle = colour;
          octx.fill();
          octx.globalAlpha = 1;
          octx.lineWidth = 1.2;
          octx.strokeStyle = "rgba(0,0,0,.7)";
          octx.stroke();
        } else {
          octx.lineWidth = 1.5;
          octx.strokeStyle = colour;
          octx.stroke();
        }
        if (plan && plan.cautions && plan.cautions.length) {
          octx.beginPath();
          octx.arc(dx, y, rad + 3, 0, 2 * Math.PI);
          octx.lineWidth = 2;
          octx.strokeStyle = "#f59e0b";
          octx.stroke();
        }
        drawn.push({ code: code, side: side, x: x, y: y, display_x: dx, visible: vis, plan: !!plan });
      }
      // The server's labels (the plan's visible points that found room).
      octx.font = "bold " + a.fontPx + "px " + FONT;
      octx.textAlign = "left";
      octx.textBaseline = "alphabetic";
      octx.lineJoin = "round";
      for (var k = 0; k < a.nLabels; k++) {
        var L = a.labels.subarray(k * LABEL_FLOATS, (k + 1) * LABEL_FLOATS);
        var row = L[0];
        var x0 = L[1], x1 = L[3], tx = L[5];
        if (state.mirrored) { x0 = W - L[3]; x1 = W - L[1]; tx = x0 + (L[5] - L[1]); }
        if (!isNaN(L[7])) {
          // A white leader with a dark edge, like the text: visible on any skin.
          octx.beginPath();
          octx.moveTo(state.mirrored ? W - L[7] : L[7], L[8]);
          octx.lineTo(state.mirrored ? W - L[9] : L[9], L[10]);
          octx.lineWidth = 3;
          octx.strokeStyle = "rgba(0,0,0,.6)";
          octx.stroke();
          octx.lineWidth = 1.2;
          octx.strokeStyle = "rgba(255,255,255,.95)";
          octx.stroke();
        }
        var text = state.texts[row];
        octx.lineWidth = 3;
        octx.strokeStyle = "rgba(0,0,0,.75)";
        octx.strokeText(text, tx, L[6]);
        octx.fillStyle = "#fff";
        octx.fillText(text, tx, L[6]);
        var m = octx.measureText(text);
        labels.push({
          row: row, text: text, box: [x0, L[2], x1, L[4]], text_x: tx, text_y: L[6],
          width: m.width, ascent: m.actualBoundingBoxAscent, descent: m.actualBoundingBoxDescent,
          leader: !isNaN(L[7])
        });
      }
    }
    live.points = drawn.length;
    live.drawn = drawn;
    live.labels = labels;
  }

  function planRows() {
    state.planRow = state.codes.map(function (code, i) {
      var p = planByCode[code];
      if (!p) return null;
      var side = state.sides[i];
      return (!p.sides || !p.sides.length || p.sides.indexOf(side) >= 0) ? p : null;
    });
  }

  // What this page draws, for the server's label placement: shown rows (obstacles)
  // and labelled rows (the plan's).
  function sendDraw() {
    var ws = state.ws;
    if (!ws || ws.readyState !== 1 || !state.codes.length) return;
    var shown = [], labelled = [];
    for (var i = 0; i < state.codes.length; i++) {
      if (state.planRow[i]) labelled.push(i);
      if (state.planRow[i] || state.showAll) shown.push(i);
    }
    var version = state.drawVersion = (state.drawVersion + 1) % 16777216;
    state.drawShowAll[version] = state.showAll;
    ws.send(JSON.stringify({ type: "draw", version: version, shown: shown, labelled: labelled }));
  }

  // ---- the WebSocket ----------------------------------------------------------
  function connect() {
    if (!cfg.enabled) { fail("The live view is switched off on this server.", "disabled"); return; }
    var url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + cfg.ws_path;
    var ws = new WebSocket(url);
    var opened = false;
    ws.binaryType = "arraybuffer";
    state.ws = ws;
    ws.onopen = function () { opened = true; if (!state.fatal) say("Starting the face tracker…"); };
    ws.onmessage = function (e) {
      if (typeof e.data === "string") onControl(JSON.parse(e.data));
      else onAnswer(e.data);
    };
    ws.onclose = function (e) {
      state.ready = false;
      refreshReady();
      if (state.fatal) return;
      if (!opened) fail("The live connection was refused. Your session may have ended: sign in again and reload.", "refused");
      else fail("The live connection closed" + (e.reason ? " (" + e.reason + ")" : "") + ". Reload the page to reconnect.", "closed");
    };
  }

  function onControl(m) {
    if (m.type === "starting") { if (!state.fatal) say("Starting the face tracker…"); }
    else if (m.type === "ready") {
      state.codes = m.codes; state.sides = m.sides; state.texts = m.labels;
      planRows();
      sendDraw();
      state.ready = true;
      if (!state.cameraOk && !state.fatal) say("Waiting for the camera…");
      refreshReady();
    } else if (m.type === "error") {
      fail(m.message, m.code || "error");
    }
  }

  function onAnswer(buf) {
    var dv = new DataView(buf);
    var seq = dv.getUint32(0, true), status = dv.getUint8(4), flags = dv.getUint8(5), n = dv.getUint16(6, true);
    var textLen = dv.getUint16(32, true);
    var off = HEADER;
    var a = {
      seq: seq, status: status, flags: flags, n: n, workerMs: dv.getFloat32(8, true),
      yaw: dv.getFloat32(12, true), pitch: dv.getFloat32(16, true), roll: dv.getFloat32(20, true),
      speed: dv.getFloat32(24, true), xy: new Float32Array(buf, off, 2 * n), vis: null, texts: []
    };
    off += 8 * n;
    a.vis = new Uint8Array(buf, off, n);
    off += n + ((4 - (n % 4)) % 4);
    if (flags & FLAG_RAW) off += 8 * n;
    a.dotR = 0; a.fontPx = 0; a.drawVersion = 0; a.nLabels = 0; a.labels = null;
    if (flags & FLAG_DRAWING) {
      a.nLabels = dv.getUint16(34, true);
      var block = new Float32Array(buf, off, 3 + LABEL_FLOATS * a.nLabels);
      a.dotR = block[0]; a.fontPx = block[1]; a.drawVersion = block[2]; a.labels = block.subarray(3);
      off += 4 * block.length;
    }
    if (textLen) a.texts = JSON.parse(new TextDecoder().decode(new Uint8Array(buf, off, textLen)));
    state.inFlight = Math.max(0, state.inFlight - 1);
    var sentAt = state.sent[seq];
    delete state.sent[seq];
    var frame = state.frames[seq];
    delete state.frames[seq];
    if (status === STATUS_DROPPED || status === STATUS_ERROR || state.frozen || !frame) {
      release(frame);
      if (status === STATUS_DROPPED) { live.dropped++; return; }
      if (status === STATUS_ERROR) {
        live.errors++;
        if (a.texts.length) say(a.texts[0]);
        return;
      }
    } else {
      var previous = state.current;
      state.current = frame;
      release(previous);
    }
    var now = performance.now();
    live.frames++;
    if (sentAt !== undefined) live.rtt_ms = now - sentAt;
    live.server_ms = a.workerMs;
    state.recent.push(now);
    while (state.recent.length > 2 && now - state.recent[0] > 2000) state.recent.shift();
    if (state.recent.length > 1) {
      live.fps = (state.recent.length - 1) * 1000 / (now - state.recent[0]);
    }
    if (state.frozen) return;
    if (status === STATUS_OK) {
      state.noFace = 0;
      if (!state.fatal) say(null);
      state.lastAnswer = a;
      render();
      showSteadiness(a);
      showPose(a.texts);
    } else {
      state.lastAnswer = null;
      render();
      showPose([]);
      state.noFace++;
      if (status === STATUS_TOO_SMALL && a.texts.length) say(a.texts[0]);
      else if (state.noFace >= 8 && !state.fatal) say("No face in view. Ask the client to face the camera, with the whole face in the picture and even light.");
    }
    showStats(now);
  }

  function showSteadiness(a) {
    var limit = cfg.steady_mm_s;
    var meter = $("[data-steady-meter]");
    meter.value = Math.max(0, Math.min(1, 1 - a.speed / (4 * limit)));
    $("[data-steady]").textContent = (a.flags & FLAG_STEADY) ? "steady" : "moving";
  }
  function showPose(texts) {
    var text = texts.join(" ");
    if (text === state.poseText) return;
    state.poseText = text;
    poseBox.textContent = text;
    poseBox.classList.toggle("hidden", !text);
  }
  function showStats(now) {
    if (now - state.lastStats < 250) return;
    state.lastStats = now;
    $("[data-fps]").textContent = live.fps.toFixed(1);
    $("[data-rtt]").textContent = live.rtt_ms === null ? "–" : live.rtt_ms.toFixed(0);
    $("[data-server-ms]").textContent = live.server_ms === null ? "–" : live.server_ms.toFixed(1);
    $("[data-frames]").textContent = String(live.frames);
    $("[data-dropped]").textContent = String(live.dropped);
  }

  // ---- sending frames ---------------------------------------------------------
  function nextFrame() {
    if (video.requestVideoFrameCallback) video.requestVideoFrameCallback(onVideoFrame);
    else window.requestAnimationFrame(onVideoFrame);
  }
  function onVideoFrame() {
    nextFrame();
    sendFrame();
  }
  function sendFrame() {
    var ws = state.ws;
    if (!state.ready || state.frozen || state.fatal || !ws || ws.readyState !== 1) return;
    if (state.inFlight >= cfg.max_in_flight || !video.videoWidth) return;
    var W = video.videoWidth, H = video.videoHeight;
    var grab = takeCanvas();
    if (grab.width !== W || grab.height !== H) { grab.width = W; grab.height = H; }
    grab.getContext("2d").drawImage(video, 0, 0, W, H);
    var seq = state.seq = (state.seq + 1) >>> 0;
    var t = performance.now();
    state.inFlight++;
    state.frames[seq] = grab;
    function abandon() {
      state.inFlight = Math.max(0, state.inFlight - 1);
      delete state.frames[seq];
      release(grab);
    }
    grab.toBlob(function (blob) {
      if (!blob) { abandon(); return; }
      blob.arrayBuffer().then(function (jpeg) {
        if (ws.readyState !== 1) { abandon(); return; }
        // One ArrayBuffer message (12-byte header + JPEG): a Blob message would
        // be read asynchronously again by the browser and hides from DevTools.
        var out = new Uint8Array(12 + jpeg.byteLength);
        var head = new DataView(out.buffer);
        head.setUint32(0, seq, true);
        head.setFloat64(4, t, true);
        out.set(new Uint8Array(jpeg), 12);
        state.sent[seq] = t;
        ws.send(out.buffer);
      });
    }, "image/jpeg", cfg.jpeg_quality);
  }

  // ---- the camera -------------------------------------------------------------
  function cameraError(err) {
    var name = err && err.name;
    // Without a camera the tracker has nothing to do: free its server slot.
    if (state.ws) state.ws.close();
    if (name === "NotAllowedError" || name === "SecurityError") {
      fail("Camera permission was refused. Allow the camera for this site in the browser's settings, then reload the page.", "permission_refused");
    } else if (name === "NotFoundError" || name === "OverconstrainedError" || name === "DevicesNotFoundError") {
      fail("No camera was found. Connect a camera (or choose another one) and reload the page.", "no_camera");
    } else if (name === "NotReadableError" || name === "TrackStartError") {
      fail("The camera is in use by another program or could not start. Close it there and reload the page.", "no_camera");
    } else {
      fail("The camera could not start" + (err && err.message ? ": " + err.message : "") + ".", "no_camera");
    }
    cameraInfo.textContent = "No camera";
  }

  function startCamera(deviceId) {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      if (state.ws) state.ws.close();
      fail("This browser gives this page no camera access. The live view needs HTTPS (or localhost) and a camera.", "no_camera");
      cameraInfo.textContent = "No camera access";
      return;
    }
    if (state.stream) state.stream.getTracks().forEach(function (t) { t.stop(); });
    var v = { width: { ideal: 640 }, height: { ideal: 480 }, frameRate: { ideal: 30 } };
    if (deviceId) v.deviceId = { exact: deviceId };
    navigator.mediaDevices.getUserMedia({ video: v, audio: false }).then(function (stream) {
      state.stream = stream;
      video.srcObject = stream;
      var track = stream.getVideoTracks()[0];
      var s = track.getSettings ? track.getSettings() : {};
      var facing = s.facingMode || "";
      var kind = facing === "user" ? "front camera" : facing === "environment" ? "rear camera" : "camera facing unknown";
      live.camera = { label: track.label, facing: facing || null, width: s.width, height: s.height };
      cameraInfo.textContent = "In use: " + (track.label || "camera") + " (" + kind + ", " + (s.width || "?") + "×" + (s.height || "?") + "). Sides stay the client's own whether mirrored or not.";
      // A camera facing the client is shown like a mirror; a rear camera as it is.
      setMirror(facing !== "environment");
      var p = video.play();
      if (p && p.catch) p.catch(function () { /* autoplay of a muted stream is allowed */ });
      video.addEventListener("loadedmetadata", function () {
        state.cameraOk = true;
        refreshReady();
        if (!state.ready && !state.fatal) say("Starting the face tracker…");
      }, { once: true });
      listCameras(track);
      if (!state.ws) connect();
      nextFrame();
    }).catch(cameraError);
  }

  function listCameras(track) {
    if (!navigator.mediaDevices.enumerateDevices) return;
    navigator.mediaDevices.enumerateDevices().then(function (devices) {
      var current = track.getSettings ? track.getSettings().deviceId : "";
      cameraSelect.textContent = "";
      devices.filter(function (d) { return d.kind === "videoinput"; }).forEach(function (d, i) {
        var o = document.createElement("option");
        o.value = d.deviceId;
        o.textContent = d.label || "Camera " + (i + 1);
        if (d.deviceId === current) o.selected = true;
        cameraSelect.appendChild(o);
      });
    });
  }
  cameraSelect.addEventListener("change", function () {
    state.cameraOk = false;
    refreshReady();
    startCamera(cameraSelect.value);
  });

  // ---- freeze: keep this frame, save it through the normal photo upload ----------
  function showCheck(body, ok) {
    freezeResult.textContent = "";
    var box = document.createElement("div");
    box.className = "flash " + (ok ? "flash-success" : "flash-warning");
    box.textContent = body;
    freezeResult.appendChild(box);
  }
  freezeBtn.addEventListener("click", function () {
    var frame = state.current;
    if (!frame) return;
    // The screen keeps this frame and its points; the stored photo is the same
    // frame as the camera gave it (never mirrored), at a higher JPEG quality.
    state.frozen = true;
    freezeBtn.disabled = true;
    resumeBtn.classList.remove("hidden");
    live.status = "frozen";
    frame.toBlob(function (blob) {
      state.frozenBlob = blob;
      if (!cfg.upload_url || !saveBtn) return;
      saveBtn.classList.remove("hidden");
      saveBtn.disabled = true;
      showCheck("Checking the frame…", true);
      var fd = new FormData();
      fd.append("file", blob, "live-freeze.jpg");
      fetch(cfg.check_url, { method: "POST", body: fd, headers: { "X-CSRF-Token": csrf() }, credentials: "same-origin" })
        .then(function (r) { return r.json().then(function (j) { return { ok: r.ok, body: j }; }); })
        .then(function (res) {
          if (!state.frozen) return;
          if (!res.ok) { showCheck(res.body.message || "This frame cannot be used.", false); return; }
          if (res.body.ok) { showCheck("Face found, pose and quality look fine.", true); saveBtn.disabled = false; }
          else {
            showCheck("Check before saving: " + (res.body.warnings || []).join(" "), false);
            if (ack) { ack.classList.remove("hidden"); ack.querySelector("input").checked = false; }
          }
        })
        .catch(function () { showCheck("Could not check the frame (network error).", false); });
    }, "image/jpeg", 0.92);
  });
  if (ack) ack.querySelector("input").addEventListener("change", function (e) { saveBtn.disabled = !e.target.checked; });
  resumeBtn.addEventListener("click", function () {
    state.frozen = false;
    state.frozenBlob = null;
    resumeBtn.classList.add("hidden");
    if (saveBtn) saveBtn.classList.add("hidden");
    if (ack) ack.classList.add("hidden");
    freezeResult.textContent = "";
    live.status = "running";
    refreshReady();
  });
  if (saveBtn) saveBtn.addEventListener("click", function () {
    if (!state.frozenBlob) return;
    saveBtn.disabled = true;
    var fd = new FormData();
    fd.append("file", state.frozenBlob, "live-freeze.jpg");
    fd.append("view", "front");
    fd.append("note", "Frozen from the live view");
    fetch(cfg.upload_url, { method: "POST", body: fd, headers: { "X-CSRF-Token": csrf() }, credentials: "same-origin" })
      .then(function (r) { return r.json().then(function (j) { return { ok: r.ok, body: j }; }); })
      .then(function (res) {
        freezeResult.textContent = "";
        var box = document.createElement("div");
        if (!res.ok) {
          box.className = "flash flash-error";
          box.textContent = res.body.message || "The frame could not be saved.";
          saveBtn.disabled = false;
        } else {
          box.className = "flash flash-success";
          box.setAttribute("data-saved-photo", String(res.body.id));
          box.appendChild(document.createTextNode("Saved to the client's photos. "));
          var a = document.createElement("a");
          a.href = "/photos/" + res.body.id;
          a.textContent = "Open the photo";
          box.appendChild(a);
          live.saved_photo = res.body.id;
        }
        freezeResult.appendChild(box);
      })
      .catch(function () { saveBtn.disabled = false; showCheck("Could not save the frame (network error).", false); });
  });

  window.addEventListener("pagehide", function () {
    if (state.ws) state.ws.close();
    if (state.stream) state.stream.getTracks().forEach(function (t) { t.stop(); });
  });

  setMirror(true);
  // The tracker (a server process) is asked for only once there is a camera.
  startCamera(null);
})();
