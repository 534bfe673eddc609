// The page works without this script (the form posts into the report frame); the script adds a busy state,
// the chosen file's name, and a check that something was given. It never builds HTML from strings.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("article-form");
  const text = document.getElementById("text");
  const file = document.getElementById("file");
  const fileName = document.getElementById("file-name");
  const fileClear = document.getElementById("file-clear");
  const button = document.getElementById("analyse");
  const status = document.getElementById("status");
  const result = document.getElementById("result");
  const frame = document.getElementById("report");
  const heading = document.getElementById("result-heading");
  let timer = null;
  let busy = false;
  let failed = false;

  document.body.classList.add("js");
  result.classList.add("empty");

  // Control characters (a right-to-left override in a file name or a message) are shown, not obeyed.
  function visible(value) {
    return String(value).replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g,
      (c) => "[U+" + c.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0") + "]");
  }

  function setStatus(message, kind) {
    status.textContent = visible(message);
    status.className = "status" + (kind ? " " + kind : "");
  }

  function done() {
    busy = false;
    clearInterval(timer);
    button.disabled = false;
    form.classList.remove("busy");
  }

  file.addEventListener("change", () => {
    const chosen = file.files && file.files[0];
    fileName.textContent = chosen ? visible(chosen.name) : "";
    fileClear.hidden = !chosen;
    if (chosen) setStatus("");
  });

  fileClear.addEventListener("click", () => {
    file.value = "";
    fileName.textContent = "";
    fileClear.hidden = true;
  });

  form.addEventListener("submit", (event) => {
    const hasFile = file.files && file.files.length > 0;
    const hasText = text.value.trim() !== "";
    if (busy) {
      event.preventDefault();
      return;
    }
    if (!hasFile && !hasText) {
      event.preventDefault();
      setStatus("Paste an article or choose a file first.", "warn");
      text.focus();
      return;
    }
    if (hasFile && hasText) {
      event.preventDefault();
      setStatus("Give either pasted text or a file, not both.", "warn");
      return;
    }
    busy = true;
    failed = false;
    const started = Date.now();
    setStatus("Analysing…");
    timer = setInterval(() => {
      setStatus("Analysing… " + Math.round((Date.now() - started) / 1000) + " s");
    }, 1000);
    // disabled after this event so the submission itself still goes ahead
    setTimeout(() => { button.disabled = true; }, 0);
    form.classList.add("busy");
  });

  // The server's error page (in the frame) posts its message here; it is shown as text next to the button.
  window.addEventListener("message", (event) => {
    if (event.source !== frame.contentWindow || !event.data || event.data.type !== "onrecord-error") return;
    failed = true;
    done();
    setStatus("Cannot analyse this: " + String(event.data.message), "warn");
    result.classList.add("empty");
    document.body.classList.remove("has-report");
    button.focus();  // the message sits next to the button
  });

  frame.addEventListener("load", () => {
    if (!busy && !failed) return;  // the empty frame's first load
    if (failed) return;  // the error was already shown
    done();
    setStatus("The report is ready, below.");
    result.classList.remove("empty");
    document.body.classList.add("has-report");
    // Keyboard and screen-reader users land on the result: its heading takes focus and is read out.
    heading.focus({ preventScroll: true });
    result.scrollIntoView({ behavior: "smooth", block: "start" });
  });

  text.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
});
