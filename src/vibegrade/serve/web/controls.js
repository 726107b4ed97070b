// The tool controls, generated from GET /v1/tools: no parameter, range or preset is written here.
//
// Per tool: a switch (checkbox with role=switch) that enables it, then its parameters. A disabled tool
// is left out of the chain (sent as {} / filter "none"), its values are kept for when it is turned on.

let uid = 0;
const nextId = (prefix) => `${prefix}-${++uid}`;

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else node.setAttribute(k, v === true ? "" : String(v));
  }
  for (const child of children) if (child) node.append(child);
  return node;
}

function clampInt(value, spec) {
  const n = Math.round(Number(value));
  if (!Number.isFinite(n)) return spec.default;
  return Math.min(spec.max, Math.max(spec.min, n));
}

/** One slider with its label, number display and (on focus/hover) a one-line description. */
function slider(spec, { idPrefix, labelPrefix = "" }, onInput) {
  const id = nextId(idPrefix);
  const hintId = `${id}-hint`;
  const input = el("input", {
    id, type: "range", min: spec.min, max: spec.max, step: spec.step, value: spec.default,
    "aria-describedby": hintId, "data-param": spec.name,
  });
  const output = el("output", { for: id, class: "param-value", "aria-hidden": "true", text: String(spec.default) });
  const label = el("label", { for: id, class: "param-label" });
  if (labelPrefix) label.append(el("span", { class: "visually-hidden", text: `${labelPrefix} ` }));
  label.append(spec.label);
  const hint = el("span", { id: hintId, class: "param-hint",
    text: `${spec.description} (${spec.unit})${spec.spatial ? "; spatial, not part of a .cube" : ""}` });
  const row = el("div", { class: "param" + (spec.spatial ? " spatial" : "") },
    el("div", { class: "param-top" }, label, output), input, hint);
  const set = (v) => {
    input.value = String(clampInt(v, spec));
    output.textContent = input.value;
    input.setAttribute("aria-valuetext", input.value);
  };
  input.addEventListener("input", () => {
    output.textContent = input.value;
    input.setAttribute("aria-valuetext", input.value);
    onInput();
  });
  set(spec.default);
  return { row, input, set, get: () => clampInt(input.value, spec) };
}

/** The heading of a tool: its name labels its on/off switch. */
function toolSection(tool, onToggle) {
  const switchId = `switch-${tool.name}`;
  const descId = `${switchId}-desc`;
  const sw = el("input", { id: switchId, type: "checkbox", role: "switch", class: "switch",
    "aria-describedby": descId, "data-tool": tool.name });
  const body = el("fieldset", { class: "tool-body", disabled: true });
  body.append(el("legend", { class: "visually-hidden", text: `${tool.label} settings` }));
  const head = el("div", { class: "tool-head" },
    el("h3", { class: "tool-title" }, el("label", { for: switchId, text: tool.label })),
    sw);
  const section = el("section", { class: "tool", "data-tool": tool.name },
    head, el("p", { id: descId, class: "tool-desc", text: tool.description }), body);
  const setOn = (on) => {
    sw.checked = on;
    body.disabled = !on;
    section.classList.toggle("off", !on);
  };
  sw.addEventListener("change", () => {
    setOn(sw.checked);
    onToggle();
  });
  setOn(false);
  return { section, body, sw, setOn, isOn: () => sw.checked };
}

/**
 * Build the controls into `container`. `onChange()` runs after every user change.
 * Returns { setChain(chain), getChain(), getEnabled(), omittedFromLut() }.
 */
export function buildControls(container, catalogue, onChange) {
  const tools = {};

  // adjust
  const adjust = catalogue.adjust;
  const adjustSec = toolSection(adjust, onChange);
  const adjustSliders = adjust.params.map((p) => {
    const s = slider(p, { idPrefix: `adjust-${p.name}` }, onChange);
    adjustSec.body.append(s.row);
    return [p, s];
  });
  tools.adjust = adjustSec;

  // selective_adjust: one group per colour range
  const sel = catalogue.selective_adjust;
  const selSec = toolSection(sel, onChange);
  const selSliders = [];
  for (const color of sel.colors) {
    const group = el("fieldset", { class: "color-group", "data-color": color.name });
    group.style.setProperty("--swatch", `hsl(${color.hue} 75% 55%)`);
    group.append(el("legend", { class: "color-legend" }, el("span", { class: "swatch", "aria-hidden": "true" }),
      color.label));
    for (const ch of sel.channels) {
      const s = slider(ch, { idPrefix: `sel-${color.name}-${ch.name}`, labelPrefix: color.label }, onChange);
      s.input.dataset.color = color.name;
      group.append(s.row);
      selSliders.push([color, ch, s]);
    }
    selSec.body.append(group);
  }
  tools.selective_adjust = selSec;

  // filter: preset menu + intensity
  const filt = catalogue.filter;
  const filtSec = toolSection(filt, onChange);
  const selectId = nextId("filter-preset");
  const select = el("select", { id: selectId, class: "select", "aria-describedby": `${selectId}-hint` });
  for (const p of filt.presets) {
    select.append(el("option", { value: p.name, text: p.label }));
  }
  const presetHint = el("span", { id: `${selectId}-hint`, class: "param-hint always" });
  const describePreset = () => {
    const p = filt.presets.find((x) => x.name === select.value);
    presetHint.textContent = p && p.description ? p.description : "";
  };
  select.addEventListener("change", () => {
    describePreset();
    onChange();
  });
  const intensity = slider(filt.intensity, { idPrefix: "filter-intensity" }, onChange);
  const intensityOn = Math.round((filt.intensity.min + filt.intensity.max) / 2); // used when a filter is turned on at 0
  filtSec.sw.addEventListener("change", () => {
    if (filtSec.isOn() && intensity.get() === filt.intensity.min) intensity.set(intensityOn);
  }, { capture: true });
  filtSec.body.append(
    el("div", { class: "param" }, el("label", { for: selectId, class: "param-label", text: "Preset" }), select,
      presetHint),
    intensity.row);
  tools.filter = filtSec;

  if (!filt.presets.length) filtSec.sw.disabled = true;
  container.append(adjustSec.section, selSec.section, filtSec.section);

  function setChain(chain) {
    const a = chain.adjust || {};
    let used = false;
    for (const [p, s] of adjustSliders) {
      const v = a[p.name] ?? p.default;
      s.set(v);
      used = used || s.get() !== p.default;
    }
    adjustSec.setOn(used);

    const sa = chain.selective_adjust || {};
    used = false;
    for (const [color, ch, s] of selSliders) {
      const v = (sa[color.name] || {})[ch.name] ?? ch.default;
      s.set(v);
      used = used || s.get() !== ch.default;
    }
    selSec.setOn(used);

    const f = chain.filter || {};
    const known = filt.presets.some((p) => p.name === f.name);
    if (known) select.value = f.name;
    else if (filt.presets.length) select.value = filt.presets[0].name;
    describePreset();
    intensity.set(known ? (f.intensity ?? filt.intensity.default) : intensityOn);
    filtSec.setOn(known);
  }

  function getChain() {
    const chain = { adjust: {}, selective_adjust: {}, filter: { name: filt.none, intensity: filt.intensity.min } };
    if (adjustSec.isOn()) for (const [p, s] of adjustSliders) chain.adjust[p.name] = s.get();
    if (selSec.isOn()) {
      for (const [color, ch, s] of selSliders) {
        (chain.selective_adjust[color.name] ||= {})[ch.name] = s.get();
      }
    }
    if (filtSec.isOn() && select.value) chain.filter = { name: select.value, intensity: intensity.get() };
    return chain;
  }

  function getEnabled() {
    return { adjust: adjustSec.isOn(), selective_adjust: selSec.isOn(), filter: filtSec.isOn() };
  }

  /** Labels of the spatial parameters in use (they cannot be part of a .cube). */
  function spatialInUse() {
    if (!adjustSec.isOn()) return [];
    return adjustSliders.filter(([p, s]) => p.spatial && s.get() !== p.default).map(([p]) => p.label);
  }

  setChain({});
  return { setChain, getChain, getEnabled, spatialInUse };
}
