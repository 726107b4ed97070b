// Talking to the vibegrade service: every failure becomes an ApiError whose message can be shown as is.

/** An error to show to the user. `status` is 0 when the server could not be reached. */
export class ApiError extends Error {
  constructor(message, { status = 0, code = "error", field = null, network = false } = {}) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.field = field;
    this.network = network;
  }
}

const NETWORK_MESSAGE = "Cannot reach the vibegrade service. Check your connection and try again.";

/** True for an aborted request (a newer one replaced it): never shown to the user. */
export function isAbort(err) {
  return err?.name === "AbortError";
}

/**
 * fetch() that resolves only for 2xx answers; otherwise throws an ApiError carrying the server's
 * JSON `error.message` (or a plain description when the answer is not the service's JSON).
 */
export async function request(url, options = {}) {
  let res;
  try {
    res = await fetch(url, { credentials: "same-origin", ...options });
  } catch (err) {
    if (isAbort(err)) throw err;
    throw new ApiError(NETWORK_MESSAGE, { network: true, code: "network_error" });
  }
  if (res.ok) return res;
  let body = null;
  try {
    body = await res.json();
  } catch {
    body = null;
  }
  const err = body && body.error;
  if (err && typeof err.message === "string" && err.message) {
    throw new ApiError(err.message, { status: res.status, code: err.code || "error", field: err.field || null });
  }
  const text = res.status === 413 ? "The file is too large for the service."
    : `The service answered ${res.status} ${res.statusText || ""}`.trim();
  throw new ApiError(text, { status: res.status, code: "http_" + res.status });
}

/** Read a response body, turning a connection lost mid-way into an ApiError. */
export async function readBlob(res) {
  try {
    return await res.blob();
  } catch (err) {
    if (isAbort(err)) throw err;
    throw new ApiError(NETWORK_MESSAGE, { network: true, code: "network_error" });
  }
}

export async function getJson(url, signal) {
  const res = await request(url, { signal, headers: { Accept: "application/json" } });
  return res.json();
}

export async function postJson(url, body, signal) {
  return request(url, {
    method: "POST",
    signal,
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify(body),
  });
}

/** POST multipart form data. `fields`: name -> string, or [Blob, filename]. */
export async function postForm(url, fields, signal) {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) {
    if (Array.isArray(value)) form.append(name, value[0], value[1]);
    else form.append(name, value);
  }
  return request(url, { method: "POST", body: form, signal });
}

/** A random UUID, also where crypto.randomUUID is missing (plain http on a non-local address). */
export function uuid() {
  if (globalThis.crypto?.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Record an export (a download) of a project. The endpoint is idempotent per event_id, so a
 * request lost to the network is retried with the SAME id: it is counted once however often it runs.
 * Retries: up to `attempts` tries on network errors and 5xx/429 answers, 0.4 s, 0.8 s, 1.6 s … apart.
 */
export async function recordExport(projectId, toolsKept, { attempts = 5, eventId = uuid() } = {}) {
  const url = `/v1/projects/${encodeURIComponent(projectId)}/export`;
  for (let attempt = 1; ; attempt++) {
    try {
      const res = await postJson(url, { event_id: eventId, tools_kept: toolsKept });
      return { eventId, ...(await res.json()) };
    } catch (err) {
      const retriable = err instanceof ApiError && (err.network || err.status >= 500 || err.status === 429);
      if (!retriable || attempt >= attempts) throw err;
      await sleep(400 * 2 ** (attempt - 1));
    }
  }
}

/**
 * Fit the chain that gives `photo` the colour and tone of `reference` (each [Blob, filename]) and start a
 * project with it: {project_id, tools, fit}. The service names the reference in the project's first
 * request ("match: <filename>"). Takes a second or a few.
 */
export async function matchReference(photo, reference, signal) {
  const res = await postForm("/v1/match", { file: photo, reference }, signal);
  return res.json();
}

// ------------------------------------------------------------------------- a project's conversation

const projectUrl = (projectId, tail) => `/v1/projects/${encodeURIComponent(projectId)}/${tail}`;

/** The project's history: {project_id, turn, tools, history: {cursor, entries: [{request, op, tools}]}}. */
export async function getHistory(projectId) {
  return getJson(projectUrl(projectId, "history"));
}

/**
 * Refine the project's current chain with a follow-up ("warmer", "less", "undo"). `tools`, the chain on
 * screen, is recorded first when the sliders moved it away from the current entry.
 * Answers the history as getHistory does, plus `op` and `changed`.
 */
export async function refineProject(projectId, text, tools) {
  const res = await postJson(projectUrl(projectId, "refine"), { request: text, tools });
  return res.json();
}

/** Make entry `index` of the project's history current (its list, the undo/redo buttons). */
export async function stepProject(projectId, index) {
  const res = await request(projectUrl(projectId, `history/${index}`),
    { method: "POST", headers: { Accept: "application/json" } });
  return res.json();
}

// ------------------------------------------------------------------------------------------------ agent

/**
 * Start an agent run on `photo` ([Blob, filename]) for an open-ended request: answers the queued run,
 * {job_id, status_url, request, budget, mode}; poll status_url (getJson) until its state is done or failed.
 */
export async function startAgent(photo, text, signal) {
  const res = await postForm("/v1/agent", { file: photo, request: text }, signal);
  return res.json();
}

/**
 * Re-render a done run with the steps `off` (indices) switched off: {blob, tools, verdict} where verdict
 * is {checklist_satisfied, met: [item ids]} of the new picture.
 */
export async function renderAgent(renderUrl, off, signal) {
  const res = await postJson(renderUrl, { off }, signal);
  const blob = await readBlob(res);
  let verdict = null;
  try {
    verdict = JSON.parse(res.headers.get("X-Agent-Verdict") || "null");
  } catch {
    verdict = null;
  }
  return { blob, tools: res.headers.get("X-Tools"), verdict };
}
