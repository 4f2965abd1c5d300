// korsel's only script of its own (the pages work without it, except address suggestions).
// Loaded from a file: the Content-Security-Policy allows no inline scripts.
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="csrf-token"]');

  // htmx requests carry the session's CSRF token in a header, as forms carry it in a field.
  document.addEventListener("htmx:configRequest", function (event) {
    if (meta) {
      event.detail.headers["X-CSRF-Token"] = meta.getAttribute("content");
    }
  });

  // An address suggestion was chosen: fill the stop's visible and hidden fields.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-address-id]");
    if (!button) {
      return;
    }
    event.preventDefault();
    var stop = button.closest("[data-stop]");
    stop.querySelector("input[data-role=label]").value = button.getAttribute("data-label");
    stop.querySelector("input[data-role=id]").value = button.getAttribute("data-address-id");
    stop.querySelector("input[data-role=lat]").value = button.getAttribute("data-lat");
    stop.querySelector("input[data-role=lon]").value = button.getAttribute("data-lon");
    var list = stop.querySelector("[data-role=suggestions]");
    list.innerHTML = "";
    var status = stop.querySelector("[data-role=chosen]");
    if (status) {
      status.textContent = status.getAttribute("data-text") + " " + button.getAttribute("data-label");
    }
    stop.querySelector("input[data-role=label]").focus();
  });

  // Typing in an address field forgets the earlier choice until a suggestion is picked again.
  document.addEventListener("input", function (event) {
    var input = event.target;
    if (input.getAttribute("data-role") !== "label") {
      return;
    }
    var stop = input.closest("[data-stop]");
    stop.querySelector("input[data-role=id]").value = "";
    var status = stop.querySelector("[data-role=chosen]");
    if (status) {
      status.textContent = "";
    }
  });

  // "Vælg alle" in the approval queue.
  document.addEventListener("change", function (event) {
    var all = event.target;
    if (all.id !== "select-all") {
      return;
    }
    document.querySelectorAll("input[name=valgt]").forEach(function (box) {
      box.checked = all.checked;
    });
  });

  // Administration uploads (forms with data-upload): the file goes as the request body with
  // the CSRF token in a header, and a <progress> shows how much is sent. The answer is 201
  // with the page to go to next (the preview, or the address import's status).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute("data-upload")) {
      return;
    }
    event.preventDefault();
    var input = form.querySelector("input[type=file]");
    var file = input.files[0];
    var status = form.querySelector("[data-role=upload-status]");
    var bar = form.querySelector("progress");
    if (!file) {
      status.textContent = form.getAttribute("data-no-file");
      return;
    }
    var url = form.getAttribute("action") + "?fil=" + encodeURIComponent(file.name);
    var format = form.querySelector("select[name=format]");
    if (format) {
      url += "&format=" + encodeURIComponent(format.value);
    }
    var xhr = new XMLHttpRequest();
    xhr.open("POST", url);
    xhr.setRequestHeader("Content-Type", "application/octet-stream");
    if (meta) {
      xhr.setRequestHeader("X-CSRF-Token", meta.getAttribute("content"));
    }
    bar.hidden = false;
    bar.value = 0;
    form.querySelector("button[type=submit]").disabled = true;
    status.textContent = form.getAttribute("data-sending");
    xhr.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable) {
        bar.max = e.total;
        bar.value = e.loaded;
      }
    });
    xhr.addEventListener("load", function () {
      var next = xhr.getResponseHeader("Location");
      if (xhr.status === 201 && next) {
        window.location.assign(next);
        return;
      }
      form.querySelector("button[type=submit]").disabled = false;
      status.textContent = form.getAttribute("data-failed") + " (" + xhr.status + ")";
    });
    xhr.addEventListener("error", function () {
      form.querySelector("button[type=submit]").disabled = false;
      status.textContent = form.getAttribute("data-failed");
    });
    xhr.send(file);
  });
})();
