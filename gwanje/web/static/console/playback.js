// Playback of stored video: timeline, MSE player fed by a streamed fMP4 response.
//
// The server answers /api/playback/{camera}/main/video?start&end with one fMP4 stream
// (X-Gwanje-Origin: the wall time of media time 0) or a refusal that says why (no grant:
// how to request one). Seeking inside what is loaded moves the playhead; seeking outside
// starts a new request from that time. The position shown is wall time (origin + media
// time), in the browser's local time.

const S = JSON.parse(document.getElementById("playback-strings").textContent);
const t = (key) => S[key] || key;
const cameraEl = document.getElementById("pb-camera");
const fromEl = document.getElementById("pb-from");
const toEl = document.getElementById("pb-to");
const timelineEl = document.getElementById("pb-timeline");
const cursorEl = document.getElementById("pb-cursor");
const video = document.getElementById("pb-video");
const messageEl = document.getElementById("pb-message");
const positionEl = document.getElementById("pb-position");
const FRAME = 0.04;

let range = null; // {start: Date, end: Date} of the timeline
let grants = []; // [{start: Date, end: Date}] my grants on this camera (from the timeline)
let origin = null; // Date of media time 0
let loading = null; // AbortController of the current stream

function localInput(date) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

function iso(date) { return date.toISOString(); }

function showMessage(text) {
  messageEl.textContent = text;
  messageEl.hidden = !text;
}

async function loadTimeline() {
  range = { start: new Date(fromEl.value), end: new Date(toEl.value) };
  const q = `start=${encodeURIComponent(iso(range.start))}&end=${encodeURIComponent(iso(range.end))}`;
  const response = await fetch(`/api/playback/${cameraEl.value}/timeline?${q}`);
  const data = await response.json();
  if (!response.ok) { showMessage(data.message); return; }
  timelineEl.querySelectorAll(".span").forEach((el) => el.remove());
  const total = range.end - range.start;
  const place = (cls, start, end, title) => {
    const s = Math.max(0, new Date(start) - range.start);
    const e = Math.min(total, (end ? new Date(end) : range.end) - range.start);
    if (e <= s) return;
    const el = document.createElement("div");
    el.className = `span ${cls}`;
    el.style.left = `${(100 * s) / total}%`;
    el.style.width = `${(100 * (e - s)) / total}%`;
    el.title = title;
    el.dataset.testid = `pb-${cls}`;
    el.setAttribute("data-testid", `pb-${cls}`);
    timelineEl.append(el);
  };
  data.recorded.forEach((r) => place("recorded", r.start, r.end, t("console.playback.recorded")));
  data.gaps.forEach((g) => place("gap", g.start, g.end, `${t("console.playback.gap")}: ${g.cause}`));
  data.holds.forEach((h) => place("hold", h.start, h.end, `${t("console.playback.hold")}: ${h.ground}`));
  data.grants.forEach((g) => place("grant", g.start, g.end, t("console.playback.grant")));
  grants = data.grants.map((g) => ({ start: new Date(g.start), end: new Date(g.end) }));
  showMessage("");
}

// A replay must lie inside one grant: start inside the grant that holds `from` (or the
// next one in the range) and stop at its end. Without a grant the server says why.
function grantWindow(from) {
  const inside = grants.find((g) => g.start <= from && from < g.end);
  const next = grants.filter((g) => g.start > from && g.start < range.end)
    .sort((a, b) => a.start - b.start)[0];
  const g = inside || next;
  if (!g) return { from, to: range.end };
  // The server's times have microseconds, a Date only milliseconds: 1 ms inside the grant.
  const earliest = g.start.getTime() + 1;
  return { from: new Date(Math.max(from.getTime(), earliest)),
           to: new Date(Math.min(range.end, g.end)) };
}

async function play(at) {
  const { from, to } = grantWindow(at);
  if (loading) loading.abort();
  const controller = new AbortController();
  loading = controller;
  showMessage("");
  const q = `start=${encodeURIComponent(iso(from))}&end=${encodeURIComponent(iso(to))}`;
  const response = await fetch(`/api/playback/${cameraEl.value}/main/video?${q}`,
                               { signal: controller.signal });
  if (!response.ok) {
    let message = t("console.playback.refused");
    try { message = (await response.json()).message || message; } catch (err) { /* not JSON */ }
    showMessage(message);
    video.dataset.state = "refused";
    return;
  }
  origin = new Date(response.headers.get("X-Gwanje-Origin"));
  const ms = new MediaSource();
  video.src = URL.createObjectURL(ms);
  await new Promise((resolve) => ms.addEventListener("sourceopen", resolve, { once: true }));
  const sb = ms.addSourceBuffer(`video/mp4; codecs="${response.headers.get("X-Gwanje-Codec")}"`);
  sb.mode = "segments";
  const reader = response.body.getReader();
  let started = false;
  for (;;) {
    let chunk;
    try { chunk = await reader.read(); } catch (err) { return; } // aborted by a new seek
    if (chunk.done) break;
    if (controller.signal.aborted) return;
    await append(sb, chunk.value);
    if (!started && sb.buffered.length) {
      started = true;
      video.currentTime = Math.max(0, (from - origin) / 1000);
      video.dataset.state = "playing";
      video.play().catch(() => {});
    }
  }
  if (ms.readyState === "open") ms.endOfStream();
}

function append(sb, data) {
  return new Promise((resolve, reject) => {
    sb.addEventListener("updateend", resolve, { once: true });
    sb.addEventListener("error", reject, { once: true });
    sb.appendBuffer(data);
  });
}

function seekTo(when) {
  if (origin && video.buffered.length) {
    const target = (when - origin) / 1000;
    for (let i = 0; i < video.buffered.length; i++) {
      if (target >= video.buffered.start(i) && target <= video.buffered.end(i)) {
        video.currentTime = target;
        return;
      }
    }
  }
  play(when);
}

function tick() {
  if (origin && range) {
    const now = new Date(origin.getTime() + video.currentTime * 1000);
    positionEl.textContent = now.toLocaleString();
    video.dataset.wall = now.toISOString();
    const total = range.end - range.start;
    cursorEl.style.left = `${(100 * (now - range.start)) / total}%`;
  }
  requestAnimationFrame(tick);
}

document.getElementById("playback-query").addEventListener("submit", (ev) => {
  ev.preventDefault();
  loadTimeline().catch((err) => showMessage(String(err)));
});
timelineEl.addEventListener("click", (ev) => {
  if (!range) return;
  const box = timelineEl.getBoundingClientRect();
  const share = (ev.clientX - box.left) / box.width;
  seekTo(new Date(range.start.getTime() + share * (range.end - range.start)));
});
document.getElementById("pb-play").addEventListener("click", () => {
  if (!range) return;
  if (!origin) { play(range.start); return; }
  if (video.paused) video.play(); else video.pause();
});
document.getElementById("pb-step").addEventListener("click", () => {
  video.pause();
  video.currentTime += FRAME;
});
document.querySelectorAll(".speed").forEach((b) => b.addEventListener("click", () => {
  video.playbackRate = Number(b.dataset.speed);
  document.querySelectorAll(".speed").forEach((o) => o.classList.toggle("active", o === b));
}));

const now = new Date();
const params = new URLSearchParams(location.search);
fromEl.value = localInput(params.get("start") ? new Date(params.get("start")) : new Date(now - 3600e3));
toEl.value = localInput(params.get("end") ? new Date(params.get("end")) : now);
if (params.get("camera")) cameraEl.value = params.get("camera");
requestAnimationFrame(tick);
