// Signature pad for consent forms: draw with a finger, stylus or mouse on the
// canvas; on submit the drawing goes into the form as a PNG data URL. Served by
// the app itself (CSP script-src 'self'); no inline handlers.
(function () {
  "use strict";

  function initPad(form) {
    var canvas = form.querySelector("[data-signature-pad]");
    var field = form.querySelector("[data-signature-value]");
    var hint = form.querySelector("[data-signature-hint]");
    if (!canvas || !field) return;
    var ctx = canvas.getContext("2d");
    var drawing = false;
    var inked = false;
    var last = null;

    ctx.lineWidth = 3.5;
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    ctx.strokeStyle = "#14205a";

    // Pointer position in canvas pixels (the canvas is scaled by CSS).
    function at(e) {
      var r = canvas.getBoundingClientRect();
      return {
        x: (e.clientX - r.left) * (canvas.width / r.width),
        y: (e.clientY - r.top) * (canvas.height / r.height),
      };
    }

    canvas.addEventListener("pointerdown", function (e) {
      e.preventDefault();
      canvas.setPointerCapture(e.pointerId);
      drawing = true;
      last = at(e);
      ctx.beginPath();
      ctx.arc(last.x, last.y, ctx.lineWidth / 2, 0, Math.PI * 2);
      ctx.fillStyle = ctx.strokeStyle;
      ctx.fill();
      inked = true;
    });
    canvas.addEventListener("pointermove", function (e) {
      if (!drawing) return;
      e.preventDefault();
      var p = at(e);
      ctx.beginPath();
      ctx.moveTo(last.x, last.y);
      ctx.lineTo(p.x, p.y);
      ctx.stroke();
      last = p;
    });
    function stop() {
      drawing = false;
      if (inked && hint) hint.textContent = "Signed. Clear to sign again.";
    }
    canvas.addEventListener("pointerup", stop);
    canvas.addEventListener("pointercancel", stop);

    var clear = form.querySelector("[data-signature-clear]");
    if (clear) {
      clear.addEventListener("click", function () {
        ctx.clearRect(0, 0, canvas.width, canvas.height);
        inked = false;
        field.value = "";
        if (hint) hint.textContent = "Sign inside the box.";
      });
    }

    form.addEventListener("submit", function (e) {
      if (!inked) {
        e.preventDefault();
        if (hint) hint.textContent = "Please sign inside the box before saving.";
        canvas.focus();
        return;
      }
      field.value = canvas.toDataURL("image/png");
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var forms = document.querySelectorAll("[data-signature-form]");
    for (var i = 0; i < forms.length; i++) initPad(forms[i]);
  });
})();
