// Client-side media helpers: small previews for fast slider renders, video frames, file names.

/** Longest edge, in pixels, of the preview the sliders re-render (the download uses the original). */
export const PREVIEW_EDGE = 1280;
const PASSTHROUGH = new Set(["image/jpeg", "image/png", "image/webp"]);
const ALPHA_TYPES = new Set(["image/png", "image/webp", "image/gif", "image/avif"]);
const VIDEO_EXT = /\.(mp4|m4v|mov|mkv|webm|avi|mpg|mpeg|ts|mts|m2ts|wmv|flv|3gp)$/i;

export function isVideoFile(file) {
  return (file.type || "").startsWith("video/") || VIDEO_EXT.test(file.name || "");
}

/** File name without folder and extension ("holiday.final.jpg" -> "holiday.final"). */
export function stemOf(name) {
  const base = String(name || "vibegrade").split(/[\\/]/).pop();
  const dot = base.lastIndexOf(".");
  return (dot > 0 ? base.slice(0, dot) : base) || "vibegrade";
}

const EXT_BY_TYPE = {
  "image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "image/tiff": "tif",
  "video/mp4": "mp4", "video/quicktime": "mov", "video/webm": "webm", "video/x-matroska": "mkv",
  "video/x-msvideo": "avi",
};

/** Extension for a media type, else the original file's extension. */
export function extFor(mediaType, fallbackName) {
  const type = String(mediaType || "").split(";")[0].trim().toLowerCase();
  if (EXT_BY_TYPE[type]) return EXT_BY_TYPE[type];
  const m = /\.([a-z0-9]{1,5})$/i.exec(fallbackName || "");
  return m ? m[1].toLowerCase() : "bin";
}

function canvasToBlob(canvas, type, quality) {
  return new Promise((resolve, reject) => {
    canvas.toBlob((b) => (b ? resolve(b) : reject(new Error("could not encode the preview"))), type, quality);
  });
}

function fit(width, height, edge) {
  const scale = Math.min(1, edge / Math.max(width, height));
  return [Math.max(1, Math.round(width * scale)), Math.max(1, Math.round(height * scale))];
}

/**
 * The image the editor grades and re-renders while you tweak: the original when it is small enough
 * and a web format, else a copy with its long edge at `edge` pixels (PREVIEW_EDGE unless told; PNG when the
 * source may have transparency, JPEG otherwise).
 *
 * Returns {blob, name, width, height, decoded}. When the browser cannot decode the file (TIFF, or not an
 * image at all) the original is returned with decoded=false: the service then grades it or explains why
 * it cannot.
 */
export async function makePreview(file, edge = PREVIEW_EDGE) {
  let bitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch {
    return { blob: file, name: file.name, width: 0, height: 0, decoded: false };
  }
  const { width, height } = bitmap;
  const [w, h] = fit(width, height, edge);
  if (w === width && h === height && PASSTHROUGH.has(file.type)) {
    bitmap.close();
    return { blob: file, name: file.name, width, height, decoded: true };
  }
  const canvas = document.createElement("canvas");
  canvas.width = w;
  canvas.height = h;
  const ctx = canvas.getContext("2d");
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = "high";
  ctx.drawImage(bitmap, 0, 0, w, h);
  bitmap.close();
  const alpha = ALPHA_TYPES.has(file.type);
  const type = alpha ? "image/png" : "image/jpeg";
  const blob = await canvasToBlob(canvas, type, 0.92);
  return { blob, name: `${stemOf(file.name)}-preview.${alpha ? "png" : "jpg"}`, width: w, height: h, decoded: true };
}

/** Wait for a media element event (rejects on "error" or after `ms`). */
export function once(target, event, ms = 15000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { cleanup(); reject(new Error(`timed out waiting for ${event}`)); }, ms);
    const ok = () => { cleanup(); resolve(); };
    const bad = () => { cleanup(); reject(new Error("the browser cannot play this video")); };
    function cleanup() {
      clearTimeout(timer);
      target.removeEventListener(event, ok);
      target.removeEventListener("error", bad);
    }
    target.addEventListener(event, ok);
    target.addEventListener("error", bad);
  });
}

/** The video's current frame as a JPEG still (long edge at most PREVIEW_EDGE) for fast slider previews. */
export async function grabFrame(video, stem) {
  if (video.readyState < 2) await once(video, "loadeddata");
  const [w, h] = fit(video.videoWidth, video.videoHeight, PREVIEW_EDGE);
  if (!w || !h) throw new Error("the browser cannot decode this video's frames");
  const canvas = document.createElement("canvas");
  canvas.width = w;
  canvas.height = h;
  canvas.getContext("2d").drawImage(video, 0, 0, w, h);
  const blob = await canvasToBlob(canvas, "image/jpeg", 0.9);
  return { blob, name: `${stem}-frame.jpg`, width: w, height: h, decoded: true };
}

/** Save a blob through a temporary <a download> link. */
export function saveBlob(blob, filename) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
