// Playback of stored video: up to 4 cameras in step, one timeline each, MSE players fed
// by streamed fMP4 responses.
//
// The server answers /api/playback/{camera}/main/video?start&end with one fMP4 stream
// (X-Gwanje-Origin: the wall time of media time 0; X-Gwanje-Codec) or a refusal that says
// why (no grant: how to request one). The first camera is the clock: the others follow
// its wall time (re-aligned when they drift more than 150 ms). Seeking inside what is
// loaded moves the playheads; outside, new requests start from that time. Positions are
// wall times, shown in the browser's local time.

const S = JSON.parse(document.getElementById("playback-strings").textContent);
const t = (key) => S[key] || key;
const cameraEl = document.getElementById("pb-camera");
const fromEl = document.getElementById("pb-from");
const toEl = document.getElementById("pb-to");
const timelinesEl = document.getElementById("pb-timelines");
const viewsEl = document.getElementById("pb-views");
const positionEl = document.getElementById("pb-position");
const FRAME = 0.04;
const MAX_CAMERAS = 4;
const DRIFT = 0.15;

let range = null; // {start: Date, end: Date}
let tracks = [];
let rate = 1;

function localInput(date) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

const iso = (date) => date.toISOString();

function append(sb, data) {
  return new Promise((resolve, reject) => {
    sb.addEventListener("updateend", resolve, { once: true });
    sb.addEventListener("error", reject, { once: true });
    sb.appendBuffer(data);
  });
}

class Track {
  constructor(cameraId, label, index) {
    this.cameraId = cameraId;
    this.index = index;
    this.grants = [];
    this.origin = null;
    this.loading = null;
    this.row = document.createElement("div");
    this.row.className = "timeline";
    this.row.setAttribute("data-testid", index === 0 ? "pb-timeline" : `pb-timeline-${index}`);
    this.row.title = label;
    this.cursor = document.createElement("div");
    this.cursor.className = "cursor";
    this.row.append(this.cursor);
    this.row.addEventListener("click", (ev) => {
      const box = this.row.getBoundingClientRect();
      const share = (ev.clientX - box.left) / box.width;
      seekAll(new Date(range.start.getTime() + share * (range.end - range.start)));
    });
    this.view = document.createElement("div");
    this.view.className = "playback-view";
    const caption = document.createElement("span");
    caption.className = "caption";
    caption.textContent = label;
    this.video = document.createElement("video");
    this.video.muted = true;
    this.video.playsInline = true;
    this.video.setAttribute("data-testid", index === 0 ? "pb-video" : `pb-video-${index}`);
    this.message = document.createElement("div");
    this.message.className = "refusal";
    this.message.hidden = true;
    this.message.setAttribute("role", "alert");
    this.message.setAttribute("data-testid", index === 0 ? "pb-message" : `pb-message-${index}`);
    this.view.append(this.video, this.message, caption);
  }

  say(text) {
    this.message.textContent = text;
    this.message.hidden = !text;
  }

  async loadTimeline() {
    const q = `start=${encodeURIComponent(iso(range.start))}&end=${encodeURIComponent(iso(range.end))}`;
    const response = await fetch(`/api/playback/${this.cameraId}/timeline?${q}`);
    const data = await response.json();
    if (!response.ok) { this.say(data.message); return; }
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
      el.setAttribute("data-testid", this.index === 0 ? `pb-${cls}` : `pb-${cls}-${this.index}`);
      this.row.append(el);
    };
    data.recorded.forEach((r) => place("recorded", r.start, r.end, t("console.playback.recorded")));
    data.gaps.forEach((g) => place("gap", g.start, g.end, `${t("console.playback.gap")}: ${g.cause}`));
    data.holds.forEach((h) => place("hold", h.start, h.end, `${t("console.playback.hold")}: ${h.ground}`));
    data.grants.forEach((g) => place("grant", g.start, g.end, t("console.playback.grant")));
    for (const e of data.events) {
      const at = new Date(e.at) - range.start;
      if (at < 0 || at > total) continue;
      const mark = document.createElement("div");
      mark.className = `event event-${e.state}`;
      mark.style.left = `${(100 * at) / total}%`;
      mark.title = `${new Date(e.at).toLocaleString()} ${t(`console.health.${e.state}`)} ${e.detail}`;
      mark.setAttribute("data-testid", this.index === 0 ? "pb-event" : `pb-event-${this.index}`);
      this.row.append(mark);
    }
    this.grants = data.grants.map((g) => ({ start: new Date(g.start), end: new Date(g.end) }));
  }

  // A replay must lie inside one grant: start inside the grant that holds `from` (or the
  // next one in the range) and stop at its end. Without a grant the server says why.
  grantWindow(from) {
    const inside = this.grants.find((g) => g.start <= from && from < g.end);
    const next = this.grants.filter((g) => g.start > from && g.start < range.end)
      .sort((a, b) => a.start - b.start)[0];
    const g = inside || next;
    if (!g) return { from, to: range.end };
    // The server's times have microseconds, a Date only milliseconds: 1 ms inside.
    return { from: new Date(Math.max(from.getTime(), g.start.getTime() + 1)),
             to: new Date(Math.min(range.end, g.end)) };
  }

  async play(at) {
    const { from, to } = this.grantWindow(at);
    if (this.loading) this.loading.abort();
    const controller = new AbortController();
    this.loading = controller;
    this.say("");
    const q = `start=${encodeURIComponent(iso(from))}&end=${encodeURIComponent(iso(to))}`;
    let response;
    try {
      response = await fetch(`/api/playback/${this.cameraId}/main/video?${q}`,
                             { signal: controller.signal });
    } catch (err) { return; }
    if (!response.ok) {
      let message = t("console.playback.refused");
      try { message = (await response.json()).message || message; } catch (err) { /* not JSON */ }
      this.say(message);
      this.video.dataset.state = "refused";
      return;
    }
    this.origin = new Date(response.headers.get("X-Gwanje-Origin"));
    const ms = new MediaSource();
    this.video.src = URL.createObjectURL(ms);
    await new Promise((resolve) => ms.addEventListener("sourceopen", resolve, { once: true }));
    const sb = ms.addSourceBuffer(`video/mp4; codecs="${response.headers.get("X-Gwanje-Codec")}"`);
    sb.mode = "segments";
    const reader = response.body.getReader();
    let started = false;
    for (;;) {
      let chunk;
      try { chunk = await reader.read(); } catch (err) { return; } // a new seek aborted it
      if (chunk.done) break;
      if (controller.signal.aborted) return;
      await append(sb, chunk.value);
      if (!started && sb.buffered.length) {
        started = true;
        this.video.currentTime = Math.max(0, (at - this.origin) / 1000);
        this.video.playbackRate = rate;
        this.video.dataset.state = "playing";
        this.video.play().catch(() => {});
      }
    }
    if (ms.readyState === "open") ms.endOfStream();
  }

  wallTime() {
    return this.origin ? new Date(this.origin.getTime() + this.video.currentTime * 1000) : null;
  }

  seek(when) {
    const v = this.video;
    if (this.origin && v.buffered.length) {
      const target = (when - this.origin) / 1000;
      for (let i = 0; i < v.buffered.length; i++) {
        if (target >= v.buffered.start(i) && target <= v.buffered.end(i)) {
          v.currentTime = target;
          return;
        }
      }
    }
    this.play(when);
  }
}

function seekAll(when) { tracks.forEach((track) => track.seek(when)); }

// Cameras in the order the page was asked for (?camera=a,b,c), else the list's order.
let wanted = [];

function selectedCameras() {
  const rank = (o) => (wanted.includes(o.value) ? wanted.indexOf(o.value) : wanted.length);
  return [...cameraEl.selectedOptions].sort((a, b) => rank(a) - rank(b))
    .slice(0, MAX_CAMERAS).map((o) => [o.value, o.textContent]);
}

async function show() {
  range = { start: new Date(fromEl.value), end: new Date(toEl.value) };
  tracks.forEach((track) => { if (track.loading) track.loading.abort(); });
  tracks = selectedCameras().map(([id, label], i) => new Track(id, label, i));
  timelinesEl.replaceChildren(...tracks.map((track) => track.row));
  viewsEl.replaceChildren(...tracks.map((track) => track.view));
  viewsEl.className = `playback-views count-${tracks.length}`;
  await Promise.all(tracks.map((track) => track.loadTimeline()));
}

// The first camera is the clock; the others follow its wall time.
function tick() {
  const master = tracks[0];
  const now = master && master.wallTime();
  if (now && range) {
    positionEl.textContent = now.toLocaleString();
    master.video.dataset.wall = now.toISOString();
    const share = (now - range.start) / (range.end - range.start);
    tracks.forEach((track) => { track.cursor.style.left = `${100 * share}%`; });
    for (const track of tracks.slice(1)) {
      const v = track.video;
      if (!track.origin || !v.buffered.length) continue;
      const want = (now - track.origin) / 1000;
      if (Math.abs(v.currentTime - want) > DRIFT) v.currentTime = Math.max(0, want);
      if (master.video.paused !== v.paused) {
        if (master.video.paused) v.pause(); else v.play().catch(() => {});
      }
      track.video.dataset.wall = new Date(track.origin.getTime() + v.currentTime * 1000).toISOString();
    }
  }
  requestAnimationFrame(tick);
}

document.getElementById("playback-query").addEventListener("submit", (ev) => {
  ev.preventDefault();
  show().catch((err) => positionEl.textContent = String(err));
});
document.getElementById("pb-play").addEventListener("click", () => {
  if (!range || !tracks.length) return;
  if (!tracks[0].origin) { tracks.forEach((track) => track.play(range.start)); return; }
  const paused = tracks[0].video.paused;
  tracks.forEach((track) => { if (paused) track.video.play().catch(() => {}); else track.video.pause(); });
});
document.getElementById("pb-step").addEventListener("click", () => {
  tracks.forEach((track) => { track.video.pause(); track.video.currentTime += FRAME; });
});
document.querySelectorAll(".speed").forEach((b) => b.addEventListener("click", () => {
  rate = Number(b.dataset.speed);
  tracks.forEach((track) => { track.video.playbackRate = rate; });
  document.querySelectorAll(".speed").forEach((o) => o.classList.toggle("active", o === b));
}));

// Evidence export of the first camera over the part of the range its grant covers.
const exportButton = document.getElementById("ex-make");
if (exportButton) exportButton.addEventListener("click", async () => {
  const out = document.getElementById("ex-result");
  const track = tracks[0];
  if (!track || !range) return;
  const { from, to } = track.grantWindow(range.start);
  const password = document.getElementById("ex-password").value;
  const body = { camera_id: Number(track.cameraId), stream: "main", start: iso(from),
                 end: iso(to), watermark: document.getElementById("ex-watermark").checked };
  if (password) body.password = password;
  out.textContent = "…";
  const response = await fetch("/api/exports", {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json",
               "X-CSRF-Token": document.querySelector(".playback-app").dataset.csrf },
    body: JSON.stringify(body),
  });
  const data = await response.json();
  if (!response.ok) { out.textContent = data.message; return; }
  const link = document.createElement("a");
  link.href = data.download;
  link.textContent = `${t("console.export.download")} (SHA-256 ${data.sha256.slice(0, 12)}…)`;
  link.setAttribute("data-testid", "ex-download");
  link.download = data.package;
  out.replaceChildren(link);
});

const now = new Date();
const params = new URLSearchParams(location.search);
fromEl.value = localInput(params.get("start") ? new Date(params.get("start")) : new Date(now - 3600e3));
toEl.value = localInput(params.get("end") ? new Date(params.get("end")) : now);
wanted = (params.get("camera") || "").split(",").filter(Boolean);
for (const option of cameraEl.options) option.selected = wanted.includes(option.value);
if (!wanted.length && cameraEl.options.length) cameraEl.options[0].selected = true;
requestAnimationFrame(tick);
