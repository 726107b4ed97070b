// The vibegrade web editor: choose a photo or video, type a look, tweak the tools, download.
//
// Images: the editor grades and re-renders a small preview (long edge <= PREVIEW_EDGE px) so every slider
// move comes back quickly; "Download" renders the ORIGINAL file at full resolution with the same chain.
// Videos: sliders re-render one still frame; the whole clip is graded as a background job on the service
// (POST /v1/edit or /v1/render answer 202 with a job; GET /v1/jobs/{id} reports its progress).

import { ApiError, getJson, isAbort, postForm, postJson, readBlob, recordExport, request } from "./api.js";
import { buildControls } from "./controls.js";
import { extFor, grabFrame, isVideoFile, makePreview, once, saveBlob, stemOf } from "./media.js";

const DEBOUNCE_MS = 120; // wait this long after the last slider move before re-rendering
const POLL_MS = 500; // video job status polling interval
const POLL_NETWORK_RETRIES = 5; // consecutive failed polls tolerated before giving up
const LUT_SIZE = 33;

const $ = (id) => document.getElementById(id);
const ui = {
  form: $("grade-form"), fileInput: $("file"), fileName: $("file-name"), look: $("look"), grade: $("grade"),
  samples: $("sample-list"), alert: $("alert"), alertText: $("alert-text"), alertClose: $("alert-close"),
  status: $("status"), beforePane: $("before-pane"), beforeImg: $("before-img"), beforeVideo: $("before-video"),
  dropHint: $("drop-hint"), afterPane: $("after-pane"), afterImg: $("after-img"), afterVideo: $("after-video"),
  afterHint: $("after-hint"), afterNote: $("after-note"), busy: $("busy"), job: $("job"), jobLabel: $("job-label"),
  jobBar: $("job-bar"), jobFill: $("job-fill"), jobPercent: $("job-percent"), download: $("download"),
  renderVideo: $("render-video"), frame: $("frame"), cube: $("download-cube"), lutNote: $("lut-note"),
  reset: $("reset"), controlsHint: $("controls-hint"), toolControls: $("tool-controls"),
};

const state = {
  controls: null,
  file: null, // the original File, full resolution
  kind: null, // "image" | "video"
  preview: null, // {blob, name, width, height, decoded}: what grading and slider renders upload
  projectId: null,
  suggestion: null, // the predicted chain (wire form), for "Reset to suggestion"
  generation: 0, // bumped for every new file: answers about an older file are dropped
  renderSeq: 0, // number of the newest render requested
  shownSeq: 0, // number of the render on screen (never replaced by an older one)
  renderAbort: null,
  timer: 0,
  busy: 0,
  video: null, // {key, url}: the graded video and the chain (as JSON) it was made with
  job: null, // {key, promise}: the video job running now
  urls: {},
};

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const chainKey = (chain) => JSON.stringify(chain);

// ------------------------------------------------------------------------------------------ messages

function showError(err, { context = "", focus = null } = {}) {
  const message = err instanceof Error ? err.message : String(err);
  ui.alertText.textContent = context ? `${context}: ${message}` : message;
  ui.alert.dataset.empty = "false";
  ui.alertClose.hidden = false;
  if (focus) {
    focus.setAttribute("aria-invalid", "true");
    focus.focus();
  }
}

function clearError() {
  ui.alertText.textContent = "";
  ui.alert.dataset.empty = "true";
  ui.alertClose.hidden = true;
  ui.look.removeAttribute("aria-invalid");
  ui.fileInput.removeAttribute("aria-invalid");
}

function setStatus(text) {
  ui.status.textContent = text;
}

function setBusy(delta) {
  state.busy = Math.max(0, state.busy + delta);
  ui.busy.hidden = state.busy === 0;
  ui.afterPane.setAttribute("aria-busy", String(state.busy > 0));
}

function objectUrl(slot, blob) {
  if (state.urls[slot]) URL.revokeObjectURL(state.urls[slot]);
  state.urls[slot] = blob ? URL.createObjectURL(blob) : null;
  return state.urls[slot];
}

const formatSize = (n) => (n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MB` : `${Math.max(1, Math.round(n / 1024))} KB`);

// ---------------------------------------------------------------------------------------------- panes

function resetAfter() {
  objectUrl("after", null);
  ui.afterImg.hidden = true;
  ui.afterImg.removeAttribute("src");
  delete ui.afterImg.dataset.tools;
  ui.afterVideo.hidden = true;
  ui.afterVideo.removeAttribute("src");
  ui.afterHint.hidden = false;
  ui.afterNote.textContent = "";
}

function showAfterImage(blob, tools) {
  ui.afterImg.src = objectUrl("after", blob);
  ui.afterImg.dataset.tools = tools || "";
  ui.afterImg.dataset.seq = String(state.shownSeq);
  ui.afterHint.hidden = true;
  updateAfterMode();
}

/** Videos: show the graded clip when it matches the current settings, else the re-rendered still. */
function updateAfterMode() {
  if (state.kind !== "video") {
    ui.afterImg.hidden = !ui.afterImg.getAttribute("src");
    ui.afterVideo.hidden = true;
    ui.afterNote.textContent = "";
    return;
  }
  const current = state.controls && state.video && state.video.key === chainKey(state.controls.getChain());
  ui.afterVideo.hidden = !current;
  ui.afterImg.hidden = current || !ui.afterImg.getAttribute("src");
  ui.afterNote.textContent = current ? "(video)" : ui.afterImg.getAttribute("src") ? "(one frame; render the video to apply)" : "";
  if (current && ui.afterVideo.getAttribute("src") !== state.video.url) ui.afterVideo.src = state.video.url;
}

function setEditing(on) {
  ui.toolControls.disabled = !on;
  ui.reset.disabled = !on;
  ui.download.disabled = !on;
  ui.cube.disabled = !on;
  ui.renderVideo.disabled = !on;
  ui.controlsHint.textContent = on ? "Every change re-renders the preview. Switch a tool off to leave it out."
    : "Grade a photo to get a suggestion, then fine-tune every tool.";
}

function updateLutNote() {
  const spatial = state.controls ? state.controls.spatialInUse() : [];
  const text = spatial.length
    ? `The .cube holds the colour work only; ${spatial.join(", ")} ${spatial.length > 1 ? "are" : "is"} spatial and left out.`
    : "";
  if (ui.lutNote.textContent !== text) ui.lutNote.textContent = text; // a live region: announce changes only
}

// -------------------------------------------------------------------------------------------- sources

function cancelRenders() {
  clearTimeout(state.timer);
  if (state.renderAbort) state.renderAbort.abort();
  state.renderAbort = null;
  state.renderSeq += 1;
  state.shownSeq = state.renderSeq;
}

async function chooseFile(file) {
  if (!file) return;
  clearError();
  state.generation += 1;
  const gen = state.generation;
  cancelRenders();
  Object.assign(state, { file, preview: null, projectId: null, suggestion: null, video: null, job: null });
  state.kind = isVideoFile(file) ? "video" : "image";
  ui.fileName.textContent = `${file.name} (${formatSize(file.size)})`;
  resetAfter();
  setEditing(false);
  ui.job.hidden = true;
  ui.renderVideo.hidden = ui.frame.hidden = state.kind !== "video";
  ui.frame.disabled = true;
  ui.dropHint.hidden = true;

  if (state.kind === "image") {
    ui.beforeVideo.hidden = true;
    ui.beforeVideo.removeAttribute("src");
    objectUrl("video", null);
    const preview = await makePreview(file);
    if (gen !== state.generation) return;
    state.preview = preview;
    if (preview.decoded) {
      ui.beforeImg.src = objectUrl("before", preview.blob);
      ui.beforeImg.hidden = false;
    } else {
      ui.beforeImg.hidden = true;
      ui.dropHint.hidden = false;
      ui.dropHint.textContent = "This browser cannot show this file; the service will still try to grade it.";
    }
    setStatus(`${file.name} is ready. Type a look and press Enter.`);
    return;
  }

  ui.beforeImg.hidden = true;
  objectUrl("before", null);
  ui.beforeVideo.src = objectUrl("video", file);
  ui.beforeVideo.hidden = false;
  try {
    await once(ui.beforeVideo, "loadeddata");
    const t = Math.min(1, (ui.beforeVideo.duration || 0) * 0.1);
    if (t > 0) {
      const seeked = once(ui.beforeVideo, "seeked");
      ui.beforeVideo.currentTime = t;
      await seeked;
    }
    if (gen !== state.generation) return;
    state.preview = await grabFrame(ui.beforeVideo, stemOf(file.name));
    ui.frame.disabled = false;
    setStatus(`${file.name} is ready. Type a look and press Enter.`);
  } catch {
    if (gen !== state.generation) return;
    setStatus(`${file.name} is ready, but this browser cannot show its frames: slider previews are off; ` +
      "use Render video to see changes.");
  }
}

async function chooseSample(sample, button) {
  clearError();
  button.setAttribute("aria-busy", "true");
  try {
    const res = await request(sample.url);
    const blob = await readBlob(res);
    const ext = extFor(sample.media_type, sample.url);
    await chooseFile(new File([blob], `${sample.name}.${ext}`, { type: sample.media_type }));
  } catch (err) {
    if (!isAbort(err)) showError(err, { context: `Could not load the sample “${sample.name}”` });
  } finally {
    button.removeAttribute("aria-busy");
  }
}

function buildSamples(samples) {
  ui.samples.replaceChildren();
  for (const s of samples) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "sample";
    button.dataset.sample = s.name;
    button.setAttribute("aria-label", `Sample: ${s.name}`);
    const img = document.createElement("img");
    img.src = s.url;
    img.alt = "";
    img.loading = "lazy";
    img.decoding = "async";
    const label = document.createElement("span");
    label.textContent = s.name;
    button.append(img, label);
    button.addEventListener("click", () => chooseSample(s, button));
    ui.samples.append(button);
  }
}

// ----------------------------------------------------------------------------------------- grade/edit

function applySuggestion(tools, projectId) {
  cancelRenders(); // renders of the previous settings must not land over the new suggestion
  state.suggestion = tools;
  state.projectId = projectId;
  state.controls.setChain(tools);
  setEditing(true);
  updateLutNote();
}

async function grade() {
  clearError();
  if (!state.controls) return showError("The editor could not load its tools; reload the page.");
  const look = ui.look.value.trim();
  if (!state.file) return showError("Choose a photo or video first, or pick a sample.", { focus: ui.fileInput });
  if (!look) {
    return showError("Type the look you want first, for example “golden hour, warm and soft”.", { focus: ui.look });
  }
  if (!state.preview && state.kind === "image") return showError("The file is still being read; try again in a moment.");
  const gen = state.generation;
  cancelRenders();
  const video = state.kind === "video";
  const upload = video ? [state.file, state.file.name] : [state.preview.blob, state.preview.name];
  setBusy(+1);
  ui.grade.disabled = true;
  setStatus(video ? "Uploading the video…" : "Grading…");
  const t0 = performance.now();
  try {
    const res = await postForm("/v1/edit", { file: upload, intent: look });
    if (res.status === 202) {
      const job = await res.json();
      if (gen !== state.generation) return;
      applySuggestion(job.tools, job.project_id);
      setStatus("Grading the video in the background; the preview shows one frame.");
      if (state.preview) renderNow();
      followJob(job, chainKey(state.controls.getChain()), gen).catch((err) => {
        if (!isAbort(err) && gen === state.generation) showError(err, { context: "The video could not be graded" });
      });
      return;
    }
    const blob = await readBlob(res);
    if (gen !== state.generation) return;
    const tools = res.headers.get("X-Tools");
    applySuggestion(JSON.parse(tools), res.headers.get("X-Project-Id"));
    showAfterImage(blob, tools);
    setStatus(`Graded in ${((performance.now() - t0) / 1000).toFixed(1)} s. Fine-tune the tools, then download.`);
  } catch (err) {
    if (!isAbort(err) && gen === state.generation) {
      showError(err, { context: "Could not grade" });
      setStatus("");
    }
  } finally {
    setBusy(-1);
    ui.grade.disabled = false;
  }
}

// ---------------------------------------------------------------------------------- preview re-render

function onControlsChanged() {
  updateLutNote();
  if (state.kind === "video") updateAfterMode();
  if (!state.projectId || !state.preview) return;
  clearTimeout(state.timer);
  state.timer = setTimeout(renderNow, DEBOUNCE_MS);
}

async function renderNow() {
  clearTimeout(state.timer);
  if (!state.preview) return;
  if (state.renderAbort) state.renderAbort.abort(); // a newer request replaces an older one
  const ctrl = new AbortController();
  state.renderAbort = ctrl;
  const seq = ++state.renderSeq;
  const gen = state.generation;
  const tools = JSON.stringify(state.controls.getChain());
  setBusy(+1);
  try {
    const res = await postForm("/v1/render", { file: [state.preview.blob, state.preview.name], tools }, ctrl.signal);
    const blob = await readBlob(res);
    if (gen !== state.generation || seq < state.shownSeq) return; // never show an older render over a newer one
    state.shownSeq = seq;
    showAfterImage(blob, res.headers.get("X-Tools"));
  } catch (err) {
    if (!isAbort(err) && seq === state.renderSeq && gen === state.generation) {
      showError(err, { context: "Could not update the preview" });
    }
  } finally {
    setBusy(-1);
    if (state.renderAbort === ctrl) state.renderAbort = null;
  }
}

function resetToSuggestion() {
  if (!state.suggestion) return;
  state.controls.setChain(state.suggestion);
  onControlsChanged();
  setStatus("Back to the suggested settings.");
}

// ------------------------------------------------------------------------------------------ video jobs

function showProgress(label, fraction) {
  const pct = Math.round(Math.min(1, Math.max(0, Number(fraction) || 0)) * 100);
  ui.job.hidden = false;
  ui.jobLabel.textContent = label;
  ui.jobBar.setAttribute("aria-valuenow", String(pct));
  ui.jobBar.setAttribute("aria-valuetext", `${pct}%`);
  ui.jobFill.style.width = `${pct}%`;
  ui.jobPercent.textContent = `${pct}%`;
}

/** Poll a job until it is done; returns its download URL (or null when the file was replaced). */
async function followJob(job, key, gen) {
  let misses = 0;
  showProgress("Rendering video…", 0);
  const run = (async () => {
    for (;;) {
      let st;
      try {
        st = await getJson(job.status_url);
        misses = 0;
      } catch (err) {
        if (!(err instanceof ApiError && err.network) || ++misses > POLL_NETWORK_RETRIES) throw err;
        await sleep(POLL_MS * misses);
        continue;
      }
      if (gen !== state.generation) return null;
      if (st.state === "done") {
        showProgress("Video ready", 1);
        state.video = { key, url: st.download_url };
        updateAfterMode();
        setStatus("The video is graded.");
        return st.download_url;
      }
      if (st.state === "failed") {
        ui.job.hidden = true;
        throw new ApiError((st.error && st.error.message) || "The video could not be rendered.",
          { code: (st.error && st.error.code) || "job_failed" });
      }
      showProgress(st.state === "queued" ? "Waiting for a free worker…" : "Rendering video…", st.progress);
      await sleep(POLL_MS);
    }
  })();
  state.job = { key, promise: run };
  try {
    return await run;
  } finally {
    if (state.job && state.job.promise === run) state.job = null;
  }
}

/** The download URL of the whole video graded with `chain`: reused if made already, else a new job. */
async function ensureVideo(chain) {
  const key = chainKey(chain);
  if (state.video && state.video.key === key) return state.video.url;
  if (state.job && state.job.key === key) return state.job.promise;
  const gen = state.generation;
  setStatus("Uploading the video…");
  const res = await postForm("/v1/render", { file: [state.file, state.file.name], tools: key });
  if (res.status !== 202) throw new ApiError("The service did not start a video job; is it up to date?");
  return followJob(await res.json(), key, gen);
}

async function renderVideo() {
  clearError();
  ui.renderVideo.disabled = true;
  try {
    await ensureVideo(state.controls.getChain());
  } catch (err) {
    if (!isAbort(err)) showError(err, { context: "The video could not be rendered" });
  } finally {
    ui.renderVideo.disabled = !state.projectId;
  }
}

async function previewCurrentFrame() {
  clearError();
  try {
    state.preview = await grabFrame(ui.beforeVideo, stemOf(state.file.name));
    if (state.projectId) await renderNow();
  } catch (err) {
    showError(err, { context: "Could not take this frame" });
  }
}

// ------------------------------------------------------------------------------------------- download

async function download() {
  clearError();
  if (!state.projectId) return showError("Grade first: there is nothing to download yet.");
  const chain = state.controls.getChain();
  const kept = state.controls.getEnabled();
  const { projectId, file } = state;
  ui.download.disabled = true;
  setStatus(state.kind === "video" ? "Preparing the video…" : "Rendering at full resolution…");
  let filename = null;
  try {
    let res;
    if (state.kind === "video") {
      const url = await ensureVideo(chain);
      if (!url) return;
      res = await request(url);
    } else {
      res = await postForm("/v1/render", { file: [file, file.name], tools: JSON.stringify(chain) });
    }
    const blob = await readBlob(res);
    filename = `${stemOf(file.name)}-vibegrade.${extFor(res.headers.get("Content-Type"), file.name)}`;
    saveBlob(blob, filename);
    setStatus(`Saved ${filename}. Recording the download…`);
    await recordExport(projectId, kept);
    setStatus(`Saved ${filename}.`);
    ui.download.dataset.exported = String(Number(ui.download.dataset.exported || 0) + 1);
  } catch (err) {
    if (isAbort(err)) return;
    if (filename) showError(err, { context: `Saved ${filename}, but the download could not be recorded` });
    else showError(err, { context: "Download failed" });
    setStatus("");
  } finally {
    ui.download.disabled = !state.projectId;
  }
}

async function downloadCube() {
  clearError();
  ui.cube.disabled = true;
  try {
    const res = await postJson("/v1/lut", { tools: state.controls.getChain(), size: LUT_SIZE });
    const blob = await readBlob(res);
    const name = `${stemOf(state.file ? state.file.name : "vibegrade")}-look.cube`;
    saveBlob(blob, name);
    const omitted = res.headers.get("X-Lut-Omitted");
    setStatus(omitted ? `Saved ${name} (without ${omitted.split(",").join(", ")}: a LUT holds colour only).`
      : `Saved ${name}.`);
  } catch (err) {
    if (!isAbort(err)) showError(err, { context: "Could not make the .cube" });
  } finally {
    ui.cube.disabled = !state.projectId;
  }
}

// ------------------------------------------------------------------------------------------ wiring

function wireDropZone() {
  const zone = ui.beforePane;
  const hasFiles = (e) => e.dataTransfer && [...e.dataTransfer.types].includes("Files");
  // Dropping a file anywhere else must not make the browser navigate away from the editor.
  window.addEventListener("dragover", (e) => { if (hasFiles(e)) e.preventDefault(); });
  window.addEventListener("drop", (e) => { if (hasFiles(e)) e.preventDefault(); });
  zone.addEventListener("dragenter", (e) => { if (hasFiles(e)) zone.classList.add("dragging"); });
  zone.addEventListener("dragover", (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = "copy";
    zone.classList.add("dragging");
  });
  zone.addEventListener("dragleave", (e) => { if (!zone.contains(e.relatedTarget)) zone.classList.remove("dragging"); });
  zone.addEventListener("drop", (e) => {
    e.preventDefault();
    zone.classList.remove("dragging");
    const file = e.dataTransfer.files && e.dataTransfer.files[0];
    if (file) chooseFile(file);
  });
}

function wire() {
  ui.form.addEventListener("submit", (e) => {
    e.preventDefault();
    grade();
  });
  ui.fileInput.addEventListener("change", () => chooseFile(ui.fileInput.files[0]));
  ui.look.addEventListener("input", () => ui.look.removeAttribute("aria-invalid"));
  ui.alertClose.addEventListener("click", () => {
    clearError();
    ui.look.focus();
  });
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && ui.alert.dataset.empty === "false") clearError();
  });
  ui.reset.addEventListener("click", resetToSuggestion);
  ui.download.addEventListener("click", download);
  ui.cube.addEventListener("click", downloadCube);
  ui.renderVideo.addEventListener("click", renderVideo);
  ui.frame.addEventListener("click", previewCurrentFrame);
  wireDropZone();
  window.addEventListener("unhandledrejection", (e) => {
    if (!isAbort(e.reason)) showError(e.reason instanceof Error ? e.reason : String(e.reason));
  });
}

async function init() {
  wire();
  try {
    const [catalogue, samples] = await Promise.all([getJson("/v1/tools"), getJson("/v1/samples")]);
    state.controls = buildControls(ui.toolControls, catalogue, onControlsChanged);
    buildSamples(samples);
    document.body.dataset.ready = "true";
  } catch (err) {
    showError(err, { context: "Could not load the editor" });
  }
}

init();
