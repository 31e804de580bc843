// The console's only script: uploads with a real progress bar. The file is sent as the raw request
// body (streamed by the browser and by Graft), with the session's CSRF token in a header.
(function () {
  "use strict";
  function csrf() {
    var token = document.querySelector('meta[name="csrf-token"]');
    var header = document.querySelector('meta[name="csrf-header"]');
    return token && header ? { header: header.content, token: token.content } : null;
  }

  function describe(xhr) {
    try {
      var p = JSON.parse(xhr.responseText);
      return (p.title ? p.title + ": " : "") + (p.detail || "HTTP " + xhr.status);
    } catch (e) {
      return "HTTP " + xhr.status;
    }
  }

  function send(form, file) {
    var url = form.getAttribute("data-upload");
    var name = form.querySelector('input[name="name"]').value.trim();
    var isJson = /\.json$/i.test(file.name);
    var query = "?filename=" + encodeURIComponent(file.name) +
      (name ? "&name=" + encodeURIComponent(name) : "") + (isJson ? "&json=true" : "");
    var bar = form.querySelector(".upload-progress");
    var status = form.querySelector(".upload-status");
    var button = form.querySelector('button[type="submit"]');
    var xhr = new XMLHttpRequest();
    xhr.open("POST", url + query);
    xhr.setRequestHeader("Content-Type", isJson ? "application/json" : "application/octet-stream");
    var c = csrf();
    if (c) {
      xhr.setRequestHeader(c.header, c.token);
    }
    bar.hidden = false;
    bar.value = 0;
    button.disabled = true;
    status.textContent = "Uploading " + file.name + "…";
    xhr.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable) {
        bar.value = Math.round((100 * e.loaded) / e.total);
        status.textContent = "Uploading " + file.name + ": " + bar.value + "%";
      }
    });
    xhr.addEventListener("load", function () {
      button.disabled = false;
      if (xhr.status === 200 || xhr.status === 201) {
        var answer = JSON.parse(xhr.responseText);
        bar.value = 100;
        status.textContent = (answer.created ? "Stored. " : "These bytes were stored before. ") + "Opening it…";
        window.location.assign(answer.location);
      } else if (xhr.status === 401 || xhr.getResponseHeader("HX-Redirect")) {
        window.location.assign(xhr.getResponseHeader("HX-Redirect") || "/console/login");
      } else {
        status.textContent = "Refused — " + describe(xhr);
        status.classList.add("problem");
      }
    });
    xhr.addEventListener("error", function () {
      button.disabled = false;
      status.textContent = "The upload failed: the connection was lost.";
    });
    xhr.send(file);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-upload]").forEach(function (form) {
      var input = form.querySelector('input[type="file"]');
      form.addEventListener("submit", function (e) {
        e.preventDefault();
        if (input.files.length > 0) {
          send(form, input.files[0]);
        }
      });
      form.addEventListener("dragover", function (e) {
        e.preventDefault();
        form.classList.add("dragging");
      });
      form.addEventListener("dragleave", function () {
        form.classList.remove("dragging");
      });
      form.addEventListener("drop", function (e) {
        e.preventDefault();
        form.classList.remove("dragging");
        if (e.dataTransfer.files.length > 0) {
          input.files = e.dataTransfer.files;
          send(form, e.dataTransfer.files[0]);
        }
      });
    });
  });

  // A run's page follows the run's server-sent events: progress as it moves, and once the final
  // status event arrives the page reloads with the report. An EventSource resumes a dropped stream
  // itself (Last-Event-ID); when the server ends it for good, the page reloads.
  function follow(el) {
    var source = new EventSource(el.getAttribute("data-events"));
    var ended = false;
    function reload() {
      if (!ended) {
        ended = true;
        source.close();
        window.location.reload();
      }
    }
    source.addEventListener("progress", function (e) {
      var p = JSON.parse(e.data);
      var status = document.getElementById("run-status");
      var bar = document.getElementById("run-progress");
      var text = document.getElementById("run-progress-text");
      if (!bar || !text) {
        reload(); // the first progress of a run that had none: the page draws the bar
        return;
      }
      status.textContent = p.status;
      bar.max = p.bytesTotal > 0 ? p.bytesTotal : 1;
      bar.value = p.bytesDone;
      text.textContent = p.tensorsDone + " / " + p.tensorsTotal + " tensors, " +
        p.bytesDone.toLocaleString("en-US") + " / " + p.bytesTotal.toLocaleString("en-US") + " bytes";
    });
    source.addEventListener("status", reload);
    source.onerror = function () {
      if (source.readyState === EventSource.CLOSED) {
        reload();
      }
    };
  }

  document.addEventListener("DOMContentLoaded", function () {
    var el = document.querySelector("[data-events]");
    if (el && window.EventSource) {
      follow(el);
    }
  });
})();
