// The annotators' reality-check page: fetch a task, show the request and the three images, post the two
// answers, go on to the next task. No dependencies, no build step. API: docs/annotate.md.
"use strict";

(() => {
  const TOKEN_KEY = "vibegrade.annotator_token";
  const TOKEN_RE = /^[A-Za-z0-9_-]{16,128}$/;
  const ANSWERS = ["yes", "no", "unsure"];

  const el = (id) => document.getElementById(id);
  const who = el("who");
  const tokenInput = el("token");
  const whoName = el("who-name");
  const progressEl = el("progress");
  const errorEl = el("error");
  const statusEl = el("status");
  const taskEl = el("task");
  const doneEl = el("done");
  const doneHeading = el("done-heading");
  const doneText = el("done-text");
  const intentEl = el("intent");
  const form = el("answers");
  const submitBtn = el("submit");
  const fieldsets = Array.from(form.querySelectorAll("fieldset[data-question]"));
  const images = {
    source: { img: el("img-source"), label: "original" },
    teacher: { img: el("img-teacher"), label: "Teacher" },
    student: { img: el("img-student"), label: "Student" },
  };

  let token = "";
  let task = null;
  let busy = false;
  let requestSeq = 0;

  // ------------------------------------------------------------------ helpers

  function storedToken() {
    try { return localStorage.getItem(TOKEN_KEY) || ""; } catch { return ""; }
  }

  function storeToken(value) {
    try { localStorage.setItem(TOKEN_KEY, value); } catch { /* storage blocked: the token is just not remembered */ }
  }

  // A token in the link (?token=...) is taken, then removed from the address bar so it is not shared by
  // copying the address.
  function tokenFromLink() {
    const params = new URLSearchParams(window.location.search);
    const value = params.get("token");
    if (value === null) return "";
    params.delete("token");
    const query = params.toString();
    history.replaceState(null, "", window.location.pathname + (query ? `?${query}` : "") + window.location.hash);
    return value.trim();
  }

  function showError(message) {
    errorEl.textContent = message;
    errorEl.hidden = false;
  }

  function clearError() {
    errorEl.textContent = "";
    errorEl.hidden = true;
  }

  function setStatus(message) {
    statusEl.textContent = message;
  }

  function setProgress(p) {
    progressEl.textContent = p ? `${p.answered_by_you} of ${p.total} answered` : "";
  }

  async function api(path, options = {}) {
    let response;
    const headers = { ...(options.headers || {}), Authorization: `Bearer ${token}` };
    try {
      response = await fetch(path, { ...options, headers });
    } catch {
      throw new Error("the server cannot be reached; check the connection and try again");
    }
    let body = null;
    try { body = await response.json(); } catch { body = null; }
    if (!response.ok) {
      const message = body && body.error && body.error.message;
      throw new Error(message || `the server answered ${response.status}`);
    }
    return body;
  }

  function answerOf(fieldset) {
    const checked = fieldset.querySelector("input:checked");
    return checked ? checked.value : null;
  }

  // The question the 1/2/3 keys answer: the one holding the focus, else the first unanswered one.
  function activeFieldset() {
    const focused = fieldsets.find((fs) => fs.contains(document.activeElement));
    if (focused) return focused;
    return fieldsets.find((fs) => !answerOf(fs)) || fieldsets[fieldsets.length - 1];
  }

  function markActive() {
    const active = task ? activeFieldset() : null;
    for (const fs of fieldsets) fs.classList.toggle("active", fs === active);
  }

  function focusQuestion(fieldset) {
    (fieldset.querySelector("input:checked") || fieldset.querySelector("input")).focus();
  }

  // ------------------------------------------------------------------ flow

  function start() {
    const value = tokenInput.value.trim();
    if (!TOKEN_RE.test(value)) {
      showError(value ? "That is not a token: paste it exactly as given (letters, digits, - and _)."
        : "Paste your token first (it is in the link you were given), then press Start.");
      tokenInput.focus();
      return;
    }
    tokenInput.value = value;
    token = value;
    storeToken(value);
    loadNext(true);
  }

  async function loadNext(focusTask) {
    clearError();
    const seq = ++requestSeq;
    setStatus("Loading the next sample…");
    let data;
    try {
      data = await api("v1/annotate/next");
    } catch (e) {
      if (seq === requestSeq) {
        setStatus("");
        showError(`Could not load the next sample: ${e.message}`);
      }
      return false;
    }
    if (seq !== requestSeq) return false; // a newer request (e.g. another token) won
    whoName.textContent = `signed in as ${data.annotator}`;
    setProgress(data.progress);
    setStatus("");
    if (data.task) showTask(data.task, focusTask);
    else showDone(data.progress);
    return true;
  }

  function showTask(t, focusTask) {
    task = t;
    doneEl.hidden = true;
    form.reset();
    intentEl.textContent = t.intent;
    const urls = { source: t.source_url, teacher: t.teacher_url, student: t.student_url };
    for (const [kind, { img }] of Object.entries(images)) {
      img.removeAttribute("src"); // do not leave the previous task's image up while the new one loads
      img.src = urls[kind];
    }
    images.source.img.alt = `Original photo (${t.image})`;
    images.teacher.img.alt = `Teacher grade of the photo for the request “${t.intent}”`;
    images.student.img.alt = `Student grade of the photo for the request “${t.intent}”`;
    taskEl.hidden = false;
    markActive();
    if (focusTask !== false) {
      window.scrollTo(0, 0);
      fieldsets[0].querySelector("input").focus({ preventScroll: true });
      markActive();
    }
  }

  function showDone(progress) {
    task = null;
    taskEl.hidden = true;
    markActive();
    doneText.textContent = progress.total === 0
      ? "There are no samples to check yet: ask whoever runs the study to run `vibegrade annotate prepare`."
      : `You have answered all ${progress.total} samples. Thank you!`;
    doneEl.hidden = false;
    doneHeading.focus();
  }

  async function submitAnswers() {
    if (!task || busy) return;
    clearError();
    const missing = fieldsets.find((fs) => !answerOf(fs));
    if (missing) {
      showError(`Please answer question ${fieldsets.indexOf(missing) + 1} before submitting.`);
      focusQuestion(missing);
      markActive();
      return;
    }
    const body = {};
    for (const fs of fieldsets) body[fs.dataset.question] = answerOf(fs);
    busy = true;
    submitBtn.disabled = true;
    try {
      const res = await api(`v1/annotate/tasks/${encodeURIComponent(task.task_id)}/answers`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
      });
      setProgress(res.progress);
      if (await loadNext(true)) setStatus(res.replaced ? "Answer updated. Next sample." : "Saved. Next sample.");
    } catch (e) {
      showError(`Could not save your answers: ${e.message}`);
    } finally {
      busy = false;
      submitBtn.disabled = false;
    }
  }

  function answerWithKey(value) {
    const fs = activeFieldset();
    const input = fs.querySelector(`input[value="${value}"]`);
    input.checked = true;
    const after = fieldsets.slice(fieldsets.indexOf(fs) + 1).find((f) => !answerOf(f));
    if (after) focusQuestion(after);
    else input.focus();
    markActive();
  }

  // ------------------------------------------------------------------ events

  who.addEventListener("submit", (e) => {
    e.preventDefault();
    start();
  });

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    submitAnswers();
  });

  form.addEventListener("change", markActive);
  form.addEventListener("focusin", markActive);

  for (const { img, label } of Object.values(images)) {
    img.addEventListener("error", () => {
      if (task && img.getAttribute("src")) {
        showError(`The ${label} image could not be loaded. Reload the page to try again.`);
      }
    });
  }

  document.addEventListener("keydown", (e) => {
    if (e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey || !task || taskEl.hidden) return;
    const target = e.target;
    if (target instanceof HTMLTextAreaElement) return;
    if (target instanceof HTMLInputElement && target.type !== "radio") return; // typing a token
    const index = ["1", "2", "3"].indexOf(e.key);
    if (index >= 0) {
      e.preventDefault();
      answerWithKey(ANSWERS[index]);
    } else if (e.key === "Enter" && !(target instanceof HTMLButtonElement)) {
      e.preventDefault(); // buttons submit by themselves
      submitAnswers();
    }
  });

  const saved = tokenFromLink() || storedToken();
  if (saved) {
    tokenInput.value = saved;
    start();
  } else {
    tokenInput.focus();
  }
})();
