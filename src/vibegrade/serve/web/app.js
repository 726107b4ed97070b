// The vibegrade web editor: choose a photo or video, type a look, tweak the tools, download.
//
// Images: the editor grades and re-renders a small preview (long edge <= PREVIEW_EDGE px) so every slider
// move comes back quickly; "Download" renders the ORIGINAL file at full resolution with the same chain.
// Videos: sliders re-render one still frame; the whole clip is graded as a background job on the service
// (POST /v1/edit or /v1/render answer 202 with a job; GET /v1/jobs/{id} reports its progress).
// Refining: a follow-up ("warmer", "less", "undo") goes to POST /v1/projects/{id}/refine; the history
// lives on the service, the page shows it and keeps the project id in its address (#project=...), so a
// reload brings the conversation back.
// Reference: instead of words, a reference photo; POST /v1/match fits the chain that gives the photo the
// reference's colour and tone and starts a project with it ("match: <name>"), refined like any other look.
// Agent: with the Agent switch on, the request goes to POST /v1/agent (a job: GET /v1/agent/{id} reports its
// progress, then its plan and steps); the panel (agent.js) ticks the plan's items the picture meets, lets
// each step be switched off (POST /v1/agent/{id}/render re-renders and re-judges) and overlays its region.

import { MaskOverlay, renderPlan, renderSteps, summary as agentSummary } from "./agent.js";
import {
  ApiError, getHistory, getJson, isAbort, matchReference, postForm, postJson, readBlob, recordExport,
  refineProject, renderAgent, request, startAgent, stepProject,
} from "./api.js";
import { buildControls } from "./controls.js";
import { describeEntry, isTextField, matchedReference, renderHistory } from "./history.js";
import { extFor, grabFrame, isVideoFile, makePreview, once, saveBlob, stemOf } from "./media.js";

const DEBOUNCE_MS = 120; // wait this long after the last slider move before re-rendering
const POLL_MS = 500; // video job status polling interval
const POLL_NETWORK_RETRIES = 5; // consecutive failed polls tolerated before giving up
const LUT_SIZE = 33;
const REFERENCE_EDGE = 512; // long edge (px) the reference is sent at: the fit measures copies ~100 px wide

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
  refineForm: $("refine-form"), refineInput: $("refine-input"), refineSend: $("refine-send"), undo: $("undo"),
  redo: $("redo"), history: $("history"), referenceZone: $("reference"), referenceFile: $("reference-file"),
  referenceThumb: $("reference-thumb"), referenceNote: $("reference-note"),
  agentMode: $("agent-mode"), agent: $("agent"), agentSummary: $("agent-summary"), agentPlan: $("agent-plan"),
  agentSteps: $("agent-steps"), maskOverlay: $("mask-overlay"),
};
const LOOK_PLACEHOLDER = ui.look.placeholder;
const AGENT_PLACEHOLDER = "Say how it should feel, e.g. a cold winter morning but keep the faces warm";
const overlay = new MaskOverlay(ui.maskOverlay, ui.afterImg);
const REFERENCE_HINT = ui.referenceNote.textContent.replace(/\s+/g, " ").trim();

const state = {
  controls: null,
  file: null, // the original File, full resolution
  kind: null, // "image" | "video"
  preview: null, // {blob, name, width, height, decoded}: what grading and slider renders upload
  projectId: null,
  suggestion: null, // the predicted chain (wire form), for "Reset to suggestion"
  history: null, // the project's conversation as the service answered it: {cursor, entries}
  turnBusy: false, // a refine or history step is on its way
  grading: false, // a look is being graded (POST /v1/edit)
  matching: false, // a reference is being matched (POST /v1/match)
  sample: null, // name of the bundled sample being edited (kept in the address with the project)
  restored: false, // the conversation came back from the address and waits for its photo
  generation: 0, // bumped for every new file: answers about an older file are dropped
  renderSeq: 0, // number of the newest render requested
  shownSeq: 0, // number of the render on screen (never replaced by an older one)
  renderAbort: null,
  timer: 0,
  busy: 0,
  video: null, // {key, url}: the graded video and the chain (as JSON) it was made with
  job: null, // {key, promise}: the video job running now
  agent: null, // the agent run on screen: {view, off: Set of step indices, met: Set of item ids, satisfied, tools}
  agentRunning: false, // an agent run is on its way
  agentRender: null, // AbortController of the newest re-render with steps switched off
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
  ui.refineInput.removeAttribute("aria-invalid");
  ui.fileInput.removeAttribute("aria-invalid");
  ui.referenceFile.removeAttribute("aria-invalid");
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
  ui.refineInput.disabled = ui.refineSend.disabled = !on;
  updateUndoRedo();
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

async function chooseFile(file, { sample = null } = {}) {
  if (!file) return;
  clearError();
  state.generation += 1;
  const gen = state.generation;
  cancelRenders();
  // the first photo chosen after a reload continues the conversation in the address; any other starts anew
  const keep = state.restored && state.projectId !== null;
  state.restored = false;
  Object.assign(state, { file, preview: null, video: null, job: null, sample });
  clearAgent();
  if (!keep) {
    Object.assign(state, { projectId: null, suggestion: null, history: null });
    showReference(null);
    showHistory();
    saveLocation();
  }
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
    if (keep) continueConversation();
    else setStatus(`${file.name} is ready. Type a look and press Enter.`);
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
    if (keep) continueConversation();
    else setStatus(`${file.name} is ready. Type a look and press Enter.`);
  } catch {
    if (gen !== state.generation) return;
    if (keep) setEditing(true);
    setStatus(`${file.name} is ready, but this browser cannot show its frames: slider previews are off; ` +
      "use Render video to see changes.");
  }
}

/** A restored conversation got its photo back: edit it with the current chain. */
function continueConversation() {
  setEditing(true);
  saveLocation();
  renderNow();
  setStatus("Your look is back; refine it or download.");
}

async function chooseSample(sample, button) {
  clearError();
  button.setAttribute("aria-busy", "true");
  try {
    const res = await request(sample.url);
    const blob = await readBlob(res);
    const ext = extFor(sample.media_type, sample.url);
    const file = new File([blob], `${sample.name}.${ext}`, { type: sample.media_type });
    await chooseFile(file, { sample: sample.name });
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

/** A new conversation starts with `tools`, asked for by `look`; `reference`: see showReference. */
function applySuggestion(tools, projectId, look, reference = null) {
  cancelRenders(); // renders of the previous settings must not land over the new suggestion
  clearAgent();
  state.suggestion = tools;
  state.projectId = projectId;
  state.history = { cursor: 0, entries: [{ request: look, op: "start", tools }] }; // a new conversation
  state.restored = false;
  state.controls.setChain(tools);
  setEditing(true);
  showReference(reference);
  showHistory();
  saveLocation();
  updateLutNote();
}

async function grade() {
  clearError();
  if (ui.agentMode.checked) return runAgent();
  if (!state.controls) return showError("The editor could not load its tools; reload the page.");
  const look = ui.look.value.trim();
  if (!state.file) return showError("Choose a photo or video first, or pick a sample.", { focus: ui.fileInput });
  if (!look) {
    return showError("Type the look you want first, for example “golden hour, warm and soft”.", { focus: ui.look });
  }
  if (!state.preview && state.kind === "image") return showError("The file is still being read; try again in a moment.");
  if (state.matching || state.grading || state.agentRunning) {
    return showError("Wait for the look on its way, then try again.");
  }
  const gen = state.generation;
  cancelRenders();
  const video = state.kind === "video";
  const upload = video ? [state.file, state.file.name] : [state.preview.blob, state.preview.name];
  setBusy(+1);
  state.grading = true;
  ui.grade.disabled = true;
  setStatus(video ? "Uploading the video…" : "Grading…");
  const t0 = performance.now();
  try {
    const res = await postForm("/v1/edit", { file: upload, intent: look });
    if (res.status === 202) {
      const job = await res.json();
      if (gen !== state.generation) return;
      applySuggestion(job.tools, job.project_id, look);
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
    applySuggestion(JSON.parse(tools), res.headers.get("X-Project-Id"), look);
    showAfterImage(blob, tools);
    setStatus(`Graded in ${((performance.now() - t0) / 1000).toFixed(1)} s. Fine-tune the tools, then download.`);
  } catch (err) {
    if (!isAbort(err) && gen === state.generation) {
      showError(err, { context: "Could not grade" });
      setStatus("");
    }
  } finally {
    setBusy(-1);
    state.grading = false;
    ui.grade.disabled = state.matching;
  }
}

// ------------------------------------------------------------------------------------ reference photo

/**
 * Show the reference photo of the current conversation next to its picker: `{name, blob}` (blob null when
 * the browser cannot show it, or after a reload), or null for a look asked for in words.
 */
function showReference(reference) {
  const url = objectUrl("reference", reference && reference.blob ? reference.blob : null);
  ui.referenceThumb.hidden = !url;
  if (url) {
    ui.referenceThumb.src = url;
    ui.referenceThumb.alt = `Reference: ${reference.name}`;
  } else {
    ui.referenceThumb.removeAttribute("src");
    ui.referenceThumb.alt = "";
  }
  ui.referenceNote.textContent = reference
    ? `The look of ${reference.name}. Refine it below, or choose another reference.` : REFERENCE_HINT;
}

function setMatching(on) {
  state.matching = on;
  setBusy(on ? +1 : -1);
  ui.referenceZone.setAttribute("aria-busy", String(on));
  ui.referenceFile.disabled = on;
  ui.grade.disabled = on || state.grading;
  ui.refineSend.disabled = on || ui.refineInput.disabled || state.turnBusy;
}

/**
 * Give the photo the look of the reference `file`: POST /v1/match with the photo's preview and a small copy
 * of the reference, then the new project's history; only when both answered is anything on screen changed
 * (the sliders, the history, the address, the thumbnail), and the preview is re-rendered with the chain.
 */
async function matchFile(file) {
  if (!file) return;
  clearError();
  if (!state.controls) return showError("The editor could not load its tools; reload the page.");
  if (!state.file) {
    return showError("Choose the photo to grade first (or pick a sample), then the reference photo.",
      { focus: ui.fileInput });
  }
  if (state.matching || state.grading || state.turnBusy || state.agentRunning) {
    return showError("Wait for the request on its way, then choose the reference again.");
  }
  if (!state.preview) {
    return showError(state.kind === "video"
      ? "This browser cannot show the video's frames, so there is no picture to match; describe the look instead."
      : "The photo is still being read; try again in a moment.");
  }
  const gen = state.generation;
  const photo = state.preview; // a video is matched on the frame the preview shows
  setMatching(true);
  setStatus(`Matching the look of ${file.name}… this takes a few seconds.`);
  let failure = null;
  try {
    const ref = await makePreview(file, REFERENCE_EDGE); // sent as it is when undecodable: the service says why
    const res = await matchReference([photo.blob, photo.name], [ref.blob, file.name]);
    const conv = await getHistory(res.project_id); // the first request as the service recorded it
    if (gen !== state.generation) return; // another photo was chosen meanwhile
    const first = conv.history.entries[0].request;
    const thumb = ref.decoded ? ref.blob : null;
    applySuggestion(res.tools, res.project_id, first, { name: file.name, blob: thumb });
    renderNow();
    setStatus(`Matched the look of ${file.name} in ${Number(res.fit.seconds).toFixed(1)} s. ` +
      "Refine it below, tweak the tools, or download.");
  } catch (err) {
    failure = err;
  } finally {
    setMatching(false); // before the message, so that the picker it focuses is enabled again
  }
  if (failure && !isAbort(failure) && gen === state.generation) {
    showError(failure, { context: "Could not match the reference",
      focus: failure instanceof ApiError && failure.field === "reference" ? ui.referenceFile : null });
    setStatus("");
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

// -------------------------------------------------------------------------------------- conversation

function showHistory() {
  renderHistory(ui.history, state.history, stepTo);
  updateUndoRedo();
}

function updateUndoRedo() {
  const h = state.history;
  const on = Boolean(h && state.projectId && !ui.toolControls.disabled);
  ui.undo.disabled = !(on && h.cursor > 0);
  ui.redo.disabled = !(on && h.cursor < h.entries.length - 1);
}

/** Keep the project (and the sample) in the address, so a reload can bring the conversation back. */
function saveLocation() {
  const params = new URLSearchParams();
  if (state.projectId) params.set("project", state.projectId);
  if (state.projectId && state.sample) params.set("sample", state.sample);
  const hash = params.toString() ? `#${params}` : "";
  if (location.hash !== hash) window.history.replaceState(null, "", location.pathname + location.search + hash);
}

const TURN_MESSAGES = {
  undo: "Undone.", redo: "Redone.", reset: "Back to the original photo; undo brings the look back.",
};

function turnMessage(res) {
  if (!res.changed) {
    if (res.op === "undo") return "Nothing to undo: this is the first look.";
    if (res.op === "redo") return "Nothing to redo.";
    return "";
  }
  if (res.op === "go") {
    const { cursor, entries } = res.history;
    return `Now at “${describeEntry(entries[cursor], cursor).text}” (${cursor + 1} of ${entries.length}).`;
  }
  if (TURN_MESSAGES[res.op]) return TURN_MESSAGES[res.op];
  const entry = res.history.entries[res.history.cursor];
  return `Refined: “${entry.request}” (${res.op}).`;
}

/** The service answered a turn: its chain goes on the sliders and is rendered, the history is redrawn. */
function applyTurn(res) {
  cancelRenders(); // renders of the settings before the turn must not land over it
  state.history = res.history;
  state.controls.setChain(res.tools);
  showHistory();
  onControlsChanged();
  setStatus(turnMessage(res));
}

/** Run one turn (`call` talks to the service); turns go one at a time. */
async function runTurn(call, { context, clearInput = false } = {}) {
  if (state.turnBusy || state.matching || !state.projectId) return;
  const projectId = state.projectId;
  state.turnBusy = true;
  ui.refineSend.disabled = true;
  setBusy(+1);
  try {
    const res = await call(projectId);
    if (projectId !== state.projectId) return; // another look was started meanwhile
    applyTurn(res);
    if (clearInput) ui.refineInput.value = "";
  } catch (err) {
    if (!isAbort(err) && projectId === state.projectId) showError(err, { context });
  } finally {
    state.turnBusy = false;
    ui.refineSend.disabled = ui.refineInput.disabled || state.matching;
    setBusy(-1);
  }
}

function refine() {
  clearError();
  const text = ui.refineInput.value.trim();
  if (!state.projectId) return showError("Grade a photo first, then refine its look.", { focus: ui.look });
  if (!text) {
    return showError("Say how to change the look first, for example “warmer” or “undo”.",
      { focus: ui.refineInput });
  }
  const shown = state.controls.getChain(); // slider changes since the last turn are kept
  return runTurn((id) => refineProject(id, text, shown),
    { context: "Could not refine the look", clearInput: true });
}

function stepTo(index) {
  clearError();
  return runTurn((id) => stepProject(id, index), { context: "Could not go to that step" });
}

function undo() {
  if (state.history && state.history.cursor > 0 && !ui.undo.disabled) stepTo(state.history.cursor - 1);
}

function redo() {
  const h = state.history;
  if (h && h.cursor < h.entries.length - 1 && !ui.redo.disabled) stepTo(h.cursor + 1);
}

/** After a reload: the conversation in the address comes back (and its sample photo, if it was one). */
async function restoreFromLocation(samples) {
  const params = new URLSearchParams(location.hash.slice(1));
  const projectId = params.get("project");
  if (!projectId) return;
  let res;
  try {
    res = await getHistory(projectId);
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) {
      window.history.replaceState(null, "", location.pathname + location.search);
      setStatus("The earlier look is not available any more; start a new one.");
    } else {
      showError(err, { context: "Could not bring the earlier look back" });
    }
    return;
  }
  if (state.projectId || state.file) return; // the user started something else meanwhile
  Object.assign(state, { projectId, suggestion: res.history.entries[0].tools, history: res.history,
    restored: true });
  const first = res.history.entries[0].request;
  const reference = matchedReference(first);
  if (reference === null) ui.look.value = first; // a matched look was not asked for in words
  state.controls.setChain(res.tools);
  setEditing(true);
  showReference(reference === null ? null : { name: reference, blob: null });
  ui.download.disabled = true; // until the photo is back
  showHistory();
  updateLutNote();
  const sample = samples.find((s) => s.name === params.get("sample"));
  const button = sample && ui.samples.querySelector(`[data-sample="${CSS.escape(sample.name)}"]`);
  if (sample && button) {
    await chooseSample(sample, button);
  } else {
    setStatus("Your look is back. Choose the same photo again to keep refining it.");
  }
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

/**
 * Poll a job's status URL until it is done (returns its status) or failed (throws with the job's message,
 * or `failMessage`); returns null when the file was replaced meanwhile. `onProgress(status)` shows each
 * status on the way; network slips are retried, each wait a little longer.
 */
async function pollJob(statusUrl, gen, { onProgress, intervalMs, failMessage }) {
  let misses = 0;
  for (;;) {
    let st;
    try {
      st = await getJson(statusUrl);
      misses = 0;
    } catch (err) {
      if (!(err instanceof ApiError && err.network) || ++misses > POLL_NETWORK_RETRIES) throw err;
      await sleep(POLL_MS * misses);
      continue;
    }
    if (gen !== state.generation) return null;
    if (st.state === "done") return st;
    if (st.state === "failed") {
      throw new ApiError((st.error && st.error.message) || failMessage,
        { code: (st.error && st.error.code) || "job_failed" });
    }
    onProgress(st);
    await sleep(intervalMs);
  }
}

/** Poll a job until it is done; returns its download URL (or null when the file was replaced). */
async function followJob(job, key, gen) {
  showProgress("Rendering video…", 0);
  const run = (async () => {
    let st;
    try {
      st = await pollJob(job.status_url, gen, {
        intervalMs: POLL_MS,
        failMessage: "The video could not be rendered.",
        onProgress: (s) => showProgress(s.state === "queued" ? "Waiting for a free worker…" : "Rendering video…",
          s.progress),
      });
    } catch (err) {
      ui.job.hidden = true;
      throw err;
    }
    if (st === null) return null;
    showProgress("Video ready", 1);
    state.video = { key, url: st.download_url };
    updateAfterMode();
    setStatus("The video is graded.");
    return st.download_url;
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
  if (state.agent) return downloadAgent();
  if (!state.projectId) return showError("Grade first: there is nothing to download yet.");
  if (!state.file) {
    return showError("Choose the photo again first: the page does not keep it.", { focus: ui.fileInput });
  }
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

// ---------------------------------------------------------------------------------------------- agent

function setAgentMode(on) {
  ui.look.placeholder = on ? AGENT_PLACEHOLDER : LOOK_PLACEHOLDER;
  ui.grade.textContent = on ? "Run agent" : "Grade";
  ui.agent.hidden = !(on && state.agent);
  if (!on) overlay.hide();
}

function clearAgent() {
  if (state.agentRender) state.agentRender.abort();
  state.agentRender = null;
  state.agent = null;
  ui.agent.hidden = true;
  ui.agentPlan.replaceChildren();
  ui.agentSteps.replaceChildren();
  ui.agentPlan.dataset.count = ui.agentSteps.dataset.count = "0";
  ui.agentSummary.textContent = "";
  overlay.clear();
}

const AGENT_STAGES = { planning: "Planning", "finding regions": "Finding the regions", orchestrating: "Choosing the steps",
  rendering: "Rendering", done: "Finishing" };

function agentStage(st) {
  if (st.state === "queued") return "Waiting for a free worker…";
  const stage = st.stage || "";
  const pass = /^pass (\d+): (.+)$/.exec(stage);
  if (pass) return `Agent: trying steps for “${pass[2].replaceAll("_", " ")}” (pass ${pass[1]})…`;
  return `Agent: ${AGENT_STAGES[stage] || "working"}…`;
}

/** Poll an agent run until it is done (its view) or failed (throws). */
async function followAgent(job, gen) {
  showProgress("Agent: starting…", 0);
  const st = await pollJob(job.status_url, gen, {
    intervalMs: POLL_MS / 2,
    failMessage: "The agent could not grade this photo.",
    onProgress: (s) => showProgress(agentStage(s), s.progress),
  });
  if (st === null) return null;
  showProgress("Agent: done", 1);
  return st.result;
}

/** Run the agent on the photo's preview with the request in the look field. */
async function runAgent() {
  const text = ui.look.value.trim();
  if (!state.file) return showError("Choose a photo first, or pick a sample.", { focus: ui.fileInput });
  if (state.kind === "video") {
    return showError("The agent grades photos; switch Agent off to grade a video.", { focus: ui.agentMode });
  }
  if (!text) {
    return showError("Say how the photo should feel first, for example “a cold winter morning but keep the faces warm”.",
      { focus: ui.look });
  }
  if (!state.preview) return showError("The file is still being read; try again in a moment.");
  if (state.matching || state.grading || state.agentRunning) {
    return showError("Wait for the request on its way, then try again.");
  }
  const gen = state.generation;
  cancelRenders();
  clearAgent();
  Object.assign(state, { projectId: null, suggestion: null, history: null }); // the agent's look is no project
  showReference(null);
  showHistory();
  saveLocation();
  setEditing(false);
  state.agentRunning = true;
  ui.grade.disabled = true;
  setBusy(+1);
  setStatus("Starting the agent…");
  const t0 = performance.now();
  try {
    const job = await startAgent([state.preview.blob, state.preview.name], text);
    const view = await followAgent(job, gen);
    if (!view || gen !== state.generation) return;
    const res = await request(view.result_url);
    const blob = await readBlob(res);
    if (gen !== state.generation) return;
    const met = new Set(view.items.filter((i) => i.satisfied).map((i) => i.id));
    state.agent = { view, off: new Set(), met, satisfied: view.checklist_satisfied, tools: res.headers.get("X-Tools") };
    state.shownSeq = ++state.renderSeq;
    showAfterImage(blob, state.agent.tools);
    showAgent();
    ui.download.disabled = false;
    ui.job.hidden = true;
    const steps = view.steps.length;
    setStatus(`The agent took ${steps} step${steps === 1 ? "" : "s"} in ${((performance.now() - t0) / 1000).toFixed(1)} s. ` +
      "Untick a step to see the picture without it; hover a step to see where it acts.");
  } catch (err) {
    if (!isAbort(err) && gen === state.generation) {
      ui.job.hidden = true;
      showError(err, { context: "The agent could not grade this photo" });
      setStatus("");
    }
  } finally {
    state.agentRunning = false;
    setBusy(-1);
    ui.grade.disabled = state.matching || state.grading;
  }
}

function showAgent() {
  const a = state.agent;
  if (!a) return;
  renderPlan(ui.agentPlan, a.view.items, a.met);
  if (!ui.agentSteps.childElementCount || Number(ui.agentSteps.dataset.count) !== a.view.steps.length) {
    renderSteps(ui.agentSteps, a.view.steps, a.off, {
      toggle: toggleStep,
      show: (step) => overlay.show(step.mask_url, step.mask),
      hide: () => overlay.hide(),
    });
  }
  ui.agentSummary.textContent = agentSummary(a.view.items, a.met, a.satisfied, a.view.baseline_checklist_satisfied);
  ui.agent.hidden = !ui.agentMode.checked;
}

function toggleStep(index, on) {
  const a = state.agent;
  if (!a) return;
  if (on) a.off.delete(index);
  else a.off.add(index);
  rerenderAgent();
}

/** Re-render the agent's picture with the steps switched off; the plan's ticks follow the new picture. */
async function rerenderAgent() {
  const a = state.agent;
  if (state.agentRender) state.agentRender.abort();
  const ctrl = new AbortController();
  state.agentRender = ctrl;
  const seq = ++state.renderSeq;
  const off = [...a.off].sort((x, y) => x - y);
  setBusy(+1);
  ui.agentSteps.setAttribute("aria-busy", "true");
  try {
    const res = await renderAgent(a.view.render_url, off, ctrl.signal);
    if (state.agent !== a || seq < state.shownSeq) return;
    state.shownSeq = seq;
    a.tools = res.tools;
    if (res.verdict) {
      a.met = new Set(res.verdict.met);
      a.satisfied = res.verdict.checklist_satisfied;
    }
    showAfterImage(res.blob, res.tools);
    ui.afterImg.dataset.off = off.join(",");
    showAgent();
    setStatus(off.length ? `Showing the picture without step${off.length > 1 ? "s" : ""} ${off.map((i) => i + 1).join(", ")}.`
      : "Showing the agent's picture with every step.");
  } catch (err) {
    if (!isAbort(err) && state.agent === a) showError(err, { context: "Could not re-render without that step" });
  } finally {
    setBusy(-1);
    if (state.agentRender === ctrl) {
      state.agentRender = null;
      ui.agentSteps.removeAttribute("aria-busy");
    }
  }
}

/** Download the agent's look (the steps that are on) rendered on the original file at full resolution. */
async function downloadAgent() {
  clearError();
  const { file } = state;
  if (!file) return showError("Choose the photo again first: the page does not keep it.", { focus: ui.fileInput });
  ui.download.disabled = true;
  setStatus("Rendering at full resolution…");
  try {
    const res = await postForm("/v1/render", { file: [file, file.name], tools: state.agent.tools });
    const blob = await readBlob(res);
    const filename = `${stemOf(file.name)}-vibegrade-agent.${extFor(res.headers.get("Content-Type"), file.name)}`;
    saveBlob(blob, filename);
    setStatus(`Saved ${filename}.`);
  } catch (err) {
    if (!isAbort(err)) showError(err, { context: "Download failed" });
    setStatus("");
  } finally {
    ui.download.disabled = !state.agent && !state.projectId;
  }
}

// ------------------------------------------------------------------------------------------ wiring

const hasFiles = (e) => e.dataTransfer && [...e.dataTransfer.types].includes("Files");

/** A file dropped on `zone` goes to `onFile` (the first one, when several are dropped). */
function wireDropZone(zone, onFile) {
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
    if (file) onFile(file);
  });
}

function wire() {
  ui.form.addEventListener("submit", (e) => {
    e.preventDefault();
    grade();
  });
  ui.fileInput.addEventListener("change", () => chooseFile(ui.fileInput.files[0]));
  ui.referenceFile.addEventListener("change", () => {
    const file = ui.referenceFile.files[0];
    ui.referenceFile.value = ""; // choosing the same file again is a new match
    matchFile(file);
  });
  ui.look.addEventListener("input", () => ui.look.removeAttribute("aria-invalid"));
  ui.agentMode.addEventListener("change", () => setAgentMode(ui.agentMode.checked));
  ui.afterImg.addEventListener("load", () => overlay.place());
  ui.alertClose.addEventListener("click", () => {
    clearError();
    ui.look.focus();
  });
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && ui.alert.dataset.empty === "false") clearError();
    // Ctrl+Z / Ctrl+Shift+Z (Cmd on a Mac) step through the look's history, except while typing
    if ((e.ctrlKey || e.metaKey) && !e.altKey && e.key.toLowerCase() === "z" && !isTextField(e.target)) {
      if (!state.history) return;
      e.preventDefault();
      if (e.shiftKey) redo();
      else undo();
    }
  });
  ui.refineForm.addEventListener("submit", (e) => {
    e.preventDefault();
    refine();
  });
  ui.refineInput.addEventListener("input", () => ui.refineInput.removeAttribute("aria-invalid"));
  ui.undo.addEventListener("click", undo);
  ui.redo.addEventListener("click", redo);
  ui.reset.addEventListener("click", resetToSuggestion);
  ui.download.addEventListener("click", download);
  ui.cube.addEventListener("click", downloadCube);
  ui.renderVideo.addEventListener("click", renderVideo);
  ui.frame.addEventListener("click", previewCurrentFrame);
  // Dropping a file anywhere else must not make the browser navigate away from the editor.
  window.addEventListener("dragover", (e) => { if (hasFiles(e)) e.preventDefault(); });
  window.addEventListener("drop", (e) => { if (hasFiles(e)) e.preventDefault(); });
  wireDropZone(ui.beforePane, (file) => chooseFile(file));
  wireDropZone(ui.referenceZone, (file) => matchFile(file));
  window.addEventListener("unhandledrejection", (e) => {
    if (!isAbort(e.reason)) showError(e.reason instanceof Error ? e.reason : String(e.reason));
  });
}

async function init() {
  wire();
  setAgentMode(ui.agentMode.checked); // a reload can keep the switch on
  try {
    const [catalogue, samples] = await Promise.all([getJson("/v1/tools"), getJson("/v1/samples")]);
    state.controls = buildControls(ui.toolControls, catalogue, onControlsChanged);
    buildSamples(samples);
    await restoreFromLocation(samples);
    document.body.dataset.ready = "true";
  } catch (err) {
    showError(err, { context: "Could not load the editor" });
  }
}

init();
