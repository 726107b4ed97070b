// The conversation's history as a list: every chain the look has had (its request and what it did),
// the current one marked; entries after it (undone, redo brings them back) are dimmed. Clicking an entry
// makes it current.

const OP_LABELS = { start: "first look", edit: "edit", toward: "toward", replace: "new look", reset: "reset" };
const MATCH_PREFIX = "match: "; // the service's request for a look matched to a reference photo (/v1/match)

/** The reference photo's name when `request` is the first request of a matched look, else null. */
export function matchedReference(request) {
  if (typeof request !== "string" || !request.startsWith(MATCH_PREFIX)) return null;
  return request.slice(MATCH_PREFIX.length);
}

/** What an entry shows: its request (or a description when nobody typed one) and its op. */
export function describeEntry(entry, index) {
  if (index === 0) {
    const op = matchedReference(entry.request) === null ? OP_LABELS.start : "reference";
    return { text: entry.request || "First look", op };
  }
  if (entry.op === "edit" && !entry.request) return { text: "Slider changes", op: "sliders" };
  if (entry.op === "reset") return { text: entry.request || "Reset", op: OP_LABELS.reset };
  return { text: entry.request, op: OP_LABELS[entry.op] || entry.op };
}

/** Fill `list` (an <ol>) from `history` ({cursor, entries}) or empty it (null). */
export function renderHistory(list, history, onPick) {
  list.replaceChildren();
  const entries = history ? history.entries : [];
  entries.forEach((entry, i) => {
    const d = describeEntry(entry, i);
    const item = document.createElement("li");
    item.className = "history-entry" + (i > history.cursor ? " ahead" : "");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "history-item";
    button.dataset.index = String(i);
    button.dataset.op = entry.op;
    const text = document.createElement("span");
    text.className = "history-request";
    text.textContent = d.text;
    const op = document.createElement("span");
    op.className = "history-op";
    op.textContent = d.op;
    button.append(text, op);
    if (i === history.cursor) {
      button.setAttribute("aria-current", "step");
      const hidden = document.createElement("span");
      hidden.className = "visually-hidden";
      hidden.textContent = " (current)";
      button.append(hidden);
    }
    button.addEventListener("click", () => onPick(i));
    item.append(button);
    list.append(item);
  });
  list.dataset.count = String(entries.length);
  list.dataset.cursor = history ? String(history.cursor) : "";
  const current = list.querySelector("[aria-current=step]");
  if (current && current.scrollIntoView) current.scrollIntoView({ block: "nearest" });
}

const TEXT_INPUTS = new Set(["text", "search", "email", "url", "tel", "password", "number"]);

/** True when `target` is a field the user types in (its own Ctrl+Z undoes typing, not the look). */
export function isTextField(target) {
  if (!target || !target.tagName) return false;
  if (target.isContentEditable || target.tagName === "TEXTAREA") return true;
  return target.tagName === "INPUT" && TEXT_INPUTS.has((target.type || "text").toLowerCase());
}
