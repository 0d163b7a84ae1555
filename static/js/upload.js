// Upload page: ask Synthos for a signed URL, PUT the file straight to it (progress bar), then
// tell Synthos the upload is complete and go to the dataset page, which shows the inspection.
(function () {
  "use strict";

  var form = document.getElementById("upload-form");
  if (!form) return;
  var fileInput = document.getElementById("upload-file");
  var errorBox = document.getElementById("upload-error");
  var progressField = document.getElementById("upload-progress-field");
  var progress = document.getElementById("upload-progress");
  var percent = document.getElementById("upload-percent");
  var submit = document.getElementById("upload-submit");
  var FORMATS = {csv: "csv", tsv: "tsv", tab: "tsv", jsonl: "jsonl", ndjson: "jsonl", parquet: "parquet"};

  function csrfToken() {
    return form.querySelector("input[name=csrfmiddlewaretoken]").value;
  }

  function showError(message) {
    errorBox.textContent = message;
    errorBox.hidden = false;
    submit.disabled = false;
  }

  function errorMessage(xhrOrBody, fallback) {
    try {
      var body = typeof xhrOrBody === "string" ? JSON.parse(xhrOrBody) : xhrOrBody;
      return (body && body.error && body.error.message) || fallback;
    } catch (e) {
      return fallback;
    }
  }

  fileInput.addEventListener("change", function () {
    var file = fileInput.files[0];
    if (!file) return;
    var parts = file.name.toLowerCase().split(".");
    var compression = form.elements.compression;
    if (parts[parts.length - 1] === "gz" || parts[parts.length - 1] === "zst") {
      compression.value = parts.pop() === "gz" ? "gzip" : "zstd";
    }
    var format = FORMATS[parts[parts.length - 1]];
    if (format) form.elements.format.value = format;
    if (!form.elements.name.value) form.elements.name.value = file.name.replace(/\.[^.]*$/, "");
  });

  function putFile(upload, file) {
    return new Promise(function (resolve, reject) {
      var xhr = new XMLHttpRequest();
      xhr.open(upload.method, upload.url);
      // The browser sets Content-Length itself (a forbidden header for scripts).
      xhr.upload.addEventListener("progress", function (event) {
        if (!event.lengthComputable) return;
        var done = Math.floor((event.loaded / event.total) * 100);
        progress.value = done;
        percent.textContent = done + "%";
      });
      xhr.addEventListener("load", function () {
        if (xhr.status >= 200 && xhr.status < 300) {
          progress.value = 100;
          percent.textContent = "100%";
          resolve();
        } else {
          reject(new Error(errorMessage(xhr.responseText, "The upload was refused (HTTP " + xhr.status + ").")));
        }
      });
      xhr.addEventListener("error", function () {
        reject(new Error("The upload failed: the connection to storage was lost."));
      });
      xhr.send(file);
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    errorBox.hidden = true;
    var file = fileInput.files[0];
    if (!file) return showError("Choose a file to upload.");
    if (file.size === 0) return showError("The file is empty (0 bytes).");
    form.elements.filename.value = file.name;
    form.elements.size_bytes.value = file.size;
    submit.disabled = true;
    var started;
    fetch(form.action, {method: "POST", body: new FormData(form), credentials: "same-origin"})
      .then(function (response) {
        return response.json().then(function (body) {
          if (!response.ok) throw new Error(errorMessage(body, "The dataset could not be created."));
          return body;
        });
      })
      .then(function (body) {
        started = body;
        progressField.hidden = false;
        return putFile(body.upload, file);
      })
      .then(function () {
        return fetch(started.complete_url, {
          method: "POST",
          headers: {"X-CSRFToken": csrfToken()},
          credentials: "same-origin",
        });
      })
      .then(function (response) {
        if (!response.ok) {
          return response.json().then(function (body) {
            throw new Error(errorMessage(body, "The upload could not be completed."));
          });
        }
        percent.textContent = "100% — uploaded. Opening the dataset…";
        form.setAttribute("data-upload-state", "done");
        // A moment to see the finished bar before the dataset page takes over.
        setTimeout(function () { window.location.href = started.detail_url; }, 1000);
      })
      .catch(function (error) {
        showError(error.message);
      });
  });
})();
