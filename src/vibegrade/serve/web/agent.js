// The agent's panel: the plan (the request's checklist, each item ticked when the picture meets it, the
// infeasible ones with their reason), the steps the agent took (each can be switched off: the picture is
// re-rendered without it), and each step's region drawn over the picture on hover or on "Show area".

const TOOL_LABELS = {
  adjust: "Adjust", selective_adjust: "Colour range", regional: "Regional", filter: "Filter",
};

const pct = (x) => `${Math.round(100 * (Number(x) || 0))}%`;

function signed(v) {
  return typeof v === "number" ? (v > 0 ? `+${v}` : String(v)) : String(v);
}

/** The parameters in words, e.g. temperature +20, exposure -5. */
export function describeParams(params) {
  return Object.entries(params || {}).map(([k, v]) => `${k} ${signed(v)}`).join(", ");
}

/** What one step did, in words, e.g. Regional on sky: temperature -20. */
export function describeStep(step) {
  const where = step.region === "global" ? "whole picture" : step.region;
  return `${TOOL_LABELS[step.tool] || step.tool} on ${where}: ${describeParams(step.params)}`;
}

/**
 * Fill `list` (a <ul>) with the plan's items; `met`: the ids of the items the picture on screen meets.
 * Each <li> carries data-id and data-state ("met", "unmet", "absent" (its region is not in the photo) or
 * "infeasible").
 */
export function renderPlan(list, items, met) {
  list.replaceChildren();
  for (const it of items) {
    const li = document.createElement("li");
    const state = !it.feasible ? "infeasible" : !it.applicable ? "absent" : met.has(it.id) ? "met" : "unmet";
    li.className = `plan-item ${state}`;
    li.dataset.id = it.id;
    li.dataset.state = state;
    const mark = document.createElement("span");
    mark.className = "plan-mark";
    mark.setAttribute("aria-hidden", "true");
    mark.textContent = { met: "✓", unmet: "○", absent: "–", infeasible: "✕" }[state];
    const text = document.createElement("span");
    text.className = "plan-text";
    text.textContent = it.text;
    const note = document.createElement("span");
    note.className = "plan-note";
    if (state === "infeasible") note.textContent = `Not possible with colour tools: ${it.reason}`;
    else if (state === "absent") note.textContent = it.note || `No ${it.region} in this photo.`;
    else note.textContent = state === "met" ? "Met" : "Not met yet";
    const sr = document.createElement("span");
    sr.className = "visually-hidden";
    sr.textContent = { met: "Met: ", unmet: "Not met: ", absent: "Not applicable: ", infeasible: "Not possible: " }[state];
    li.append(mark, sr, text, note);
    list.append(li);
  }
  list.dataset.count = String(items.length);
  list.dataset.met = String(items.filter((i) => i.feasible && i.applicable && met.has(i.id)).length);
}

/**
 * Fill `list` (an <ol>) with the steps, a checkbox each (checked = the step is on).
 * `on.toggle(index, checked)`; `on.show(step, pinned)` / `on.hide(step)` for the mask overlay.
 */
export function renderSteps(list, steps, off, on) {
  list.replaceChildren();
  let pinned = null;
  for (const step of steps) {
    const li = document.createElement("li");
    li.className = "agent-step";
    li.dataset.index = String(step.index);
    if (step.mask) li.dataset.mask = step.mask;
    const box = document.createElement("input");
    box.type = "checkbox";
    box.className = "step-toggle";
    box.id = `agent-step-${step.index}`;
    box.checked = !off.has(step.index);
    box.dataset.index = String(step.index);
    box.addEventListener("change", () => on.toggle(step.index, box.checked));
    const label = document.createElement("label");
    label.htmlFor = box.id;
    label.className = "step-label";
    const what = document.createElement("span");
    what.className = "step-what";
    what.textContent = describeStep(step);
    const score = document.createElement("span");
    score.className = "step-score";
    score.textContent = `score ${Number(step.score_before).toFixed(2)} → ${Number(step.score_after).toFixed(2)}`;
    label.append(what, score);
    li.append(box, label);
    if (step.mask_url) {
      const show = document.createElement("button");
      show.type = "button";
      show.className = "button ghost small step-show";
      show.textContent = "Show area";
      show.setAttribute("aria-pressed", "false");
      show.setAttribute("aria-label", `Show where step ${step.index + 1} acts (${step.mask})`);
      show.addEventListener("click", () => {
        const now = show.getAttribute("aria-pressed") !== "true";
        for (const b of list.querySelectorAll(".step-show")) b.setAttribute("aria-pressed", "false");
        show.setAttribute("aria-pressed", String(now));
        pinned = now ? step : null;
        if (now) on.show(step, true);
        else on.hide(step, true);
      });
      li.append(show);
      li.addEventListener("mouseenter", () => on.show(step, false));
      li.addEventListener("mouseleave", () => (pinned ? on.show(pinned, true) : on.hide(step, false)));
    } else {
      const whole = document.createElement("span");
      whole.className = "step-whole";
      whole.textContent = "whole picture";
      li.append(whole);
    }
    list.append(li);
  }
  list.dataset.count = String(steps.length);
}

/**
 * A region mask drawn over the after image: a canvas the size of the mask (the photo's size), tinted where
 * the mask is on, laid exactly over the picture as displayed (object-fit: contain).
 */
export class MaskOverlay {
  constructor(canvas, img) {
    this.canvas = canvas;
    this.img = img;
    this.cache = new Map(); // url -> Promise<ImageData>
    this.url = null;
    window.addEventListener("resize", () => this.place());
  }

  async tinted(url) {
    if (!this.cache.has(url)) {
      this.cache.set(url, (async () => {
        const res = await fetch(url, { credentials: "same-origin" });
        if (!res.ok) throw new Error(`mask ${res.status}`);
        const bitmap = await createImageBitmap(await res.blob());
        const c = document.createElement("canvas");
        c.width = bitmap.width;
        c.height = bitmap.height;
        const ctx = c.getContext("2d", { willReadFrequently: true });
        ctx.drawImage(bitmap, 0, 0);
        const data = ctx.getImageData(0, 0, c.width, c.height);
        const px = data.data;
        for (let i = 0; i < px.length; i += 4) {
          const m = px[i]; // grey: R = G = B = the mask
          px[i] = 124; px[i + 1] = 196; px[i + 2] = 255; // the focus blue: visible on warm and cool pictures
          px[i + 3] = Math.round(m * 0.62);
        }
        return data;
      })());
    }
    try {
      return await this.cache.get(url);
    } catch (err) {
      this.cache.delete(url);
      throw err;
    }
  }

  /** Show the mask at `url` (named `region`); a newer call wins. */
  async show(url, region) {
    this.url = url;
    let data;
    try {
      data = await this.tinted(url);
    } catch {
      if (this.url === url) this.hide();
      return;
    }
    if (this.url !== url) return;
    this.canvas.width = data.width;
    this.canvas.height = data.height;
    this.canvas.getContext("2d").putImageData(data, 0, 0);
    this.canvas.dataset.region = region || "";
    this.canvas.hidden = false;
    this.place();
  }

  hide() {
    this.url = null;
    this.canvas.hidden = true;
    delete this.canvas.dataset.region;
  }

  clear() {
    this.hide();
    this.cache.clear();
  }

  /** Lay the canvas over the picture's content box (the image is letterboxed by object-fit: contain). */
  place() {
    if (this.canvas.hidden || this.img.hidden || !this.img.naturalWidth) return;
    const host = this.canvas.offsetParent || this.img.parentElement;
    const hb = host.getBoundingClientRect();
    const ib = this.img.getBoundingClientRect();
    const scale = Math.min(ib.width / this.img.naturalWidth, ib.height / this.img.naturalHeight);
    const w = this.img.naturalWidth * scale;
    const h = this.img.naturalHeight * scale;
    Object.assign(this.canvas.style, {
      left: `${ib.left - hb.left + (ib.width - w) / 2}px`, top: `${ib.top - hb.top + (ib.height - h) / 2}px`,
      width: `${w}px`, height: `${h}px`,
    });
  }
}

/** "2 of 3 met (checklist 67%); the single-shot look met 33%; 1 not possible with colour tools." */
export function summary(items, met, satisfied, baseline) {
  const open = items.filter((i) => i.feasible && i.applicable);
  const done = open.filter((i) => met.has(i.id)).length;
  const infeasible = items.filter((i) => !i.feasible).length;
  let text = open.length ? `${done} of ${open.length} met (checklist ${pct(satisfied)})`
    : "Nothing in the plan applies to this photo";
  if (typeof baseline === "number") text += `; the single-shot look met ${pct(baseline)}`;
  if (infeasible) text += `; ${infeasible} not possible with colour tools`;
  return text + ".";
}
