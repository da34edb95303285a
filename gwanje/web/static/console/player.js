// Live player: fragmented MP4 over a WebSocket into Media Source Extensions.
//
// The server sends {"type":"init"} + an init segment, then one fragment per frame, and
// {"type":"status"} while the stream is unavailable. The player keeps itself at the live
// edge (a tab in the background, a slow decoder or a burst after a GOP cache replay must
// not leave the operator watching the past), trims what it has played, and reconnects
// after a drop. A refused handshake (1008) is final: it shows "denied" and stops.
//
// For tests and the latency benchmark the <video> element carries data-frames (frames
// presented), data-state, data-width/height, data-stream.

const LIVE_LAG_SEEK = 0.5;   // further behind the newest frame than this: jump
const LIVE_LAG_CATCHUP = 0.2; // behind by more than this: play a little faster
const KEEP_SECONDS = 10;     // buffer kept behind the playhead
const MAX_QUEUE = 250;       // fragments waiting to be appended before we start over

export class LivePlayer {
  constructor(video, url, onState) {
    this.video = video;
    this.url = url;
    this.onState = onState || (() => {});
    this.queue = [];
    this.closed = false;
    this.frames = 0;
    this.created = performance.now();
    this.video.muted = true; // autoplay without a gesture; cameras send no audio anyway
    this.video.playsInline = true;
    this.video.dataset.frames = "0";
    this.countFrames();
    this.connect();
  }

  state(name, detail) {
    this.video.dataset.state = name;
    this.onState(name, detail || "");
  }

  connect() {
    const ws = new WebSocket(this.url);
    ws.binaryType = "arraybuffer";
    this.ws = ws;
    ws.onmessage = (ev) => {
      if (typeof ev.data === "string") {
        const message = JSON.parse(ev.data);
        if (message.type === "init") this.reset(message);
        else if (message.type === "base") this.video.dataset.baseRtp = String(message.rtp);
        else if (message.type === "status") this.state(message.state, message.detail);
        return;
      }
      this.push(ev.data);
    };
    ws.onclose = (ev) => {
      if (this.closed) return;
      if (ev.code === 1008) { this.state("denied"); return; }
      this.state("offline");
      this.retry = setTimeout(() => this.connect(), 3000);
    };
  }

  reset(meta) {
    this.dropMedia();
    const ms = new MediaSource();
    this.ms = ms;
    this.queue = [];
    this.sb = null;
    this.video.dataset.width = meta.width;
    this.video.dataset.height = meta.height;
    this.video.src = URL.createObjectURL(ms);
    ms.addEventListener("sourceopen", () => {
      if (!MediaSource.isTypeSupported(meta.mime)) { this.state("unsupported", meta.mime); return; }
      const sb = ms.addSourceBuffer(meta.mime);
      sb.mode = "segments";
      sb.addEventListener("updateend", () => { this.keepLive(); this.pump(); });
      sb.addEventListener("error", () => this.state("error"));
      this.sb = sb;
      this.pump();
    }, { once: true });
    this.state("live");
  }

  push(buffer) {
    if (!this.ms) return; // fragments before an init: nothing to append them to
    this.queue.push(buffer);
    if (this.queue.length > MAX_QUEUE) { this.reconnect(); return; }
    this.pump();
  }

  pump() {
    const sb = this.sb;
    if (!sb || sb.updating || !this.queue.length || this.ms.readyState !== "open") return;
    const parts = this.queue;
    this.queue = [];
    let data = parts[0];
    if (parts.length > 1) {
      const size = parts.reduce((n, p) => n + p.byteLength, 0);
      const joined = new Uint8Array(size);
      let at = 0;
      for (const p of parts) { joined.set(new Uint8Array(p), at); at += p.byteLength; }
      data = joined;
    }
    try {
      sb.appendBuffer(data);
    } catch (err) {
      if (err.name === "QuotaExceededError") this.reconnect();
      else this.state("error", String(err));
    }
  }

  keepLive() {
    const v = this.video;
    const b = v.buffered;
    if (!b.length) return;
    const end = b.end(b.length - 1);
    const lag = end - v.currentTime;
    if (lag > LIVE_LAG_SEEK || v.currentTime < b.start(b.length - 1)) {
      v.currentTime = Math.max(b.start(b.length - 1), end - 0.05);
    }
    v.playbackRate = lag > LIVE_LAG_CATCHUP ? 1.1 : 1.0;
    if (v.paused) v.play().catch(() => {});
    const sb = this.sb;
    if (sb && !sb.updating && v.currentTime - b.start(0) > 2 * KEEP_SECONDS) {
      sb.remove(b.start(0), v.currentTime - KEEP_SECONDS);
    }
  }

  countFrames() {
    const v = this.video;
    if (!("requestVideoFrameCallback" in v)) return;
    const tick = (now, meta) => {
      if (this.closed) return;
      if (!this.frames) v.dataset.firstFrameMs = String(Math.round(now - this.created));
      this.frames = meta.presentedFrames;
      v.dataset.frames = String(meta.presentedFrames);
      v.dataset.mediaTime = String(meta.mediaTime);
      v.requestVideoFrameCallback(tick);
    };
    v.requestVideoFrameCallback(tick);
  }

  reconnect() {
    if (this.ws) { this.ws.onclose = null; this.ws.close(); }
    this.dropMedia();
    this.connect();
  }

  dropMedia() {
    if (this.video.src) {
      URL.revokeObjectURL(this.video.src);
      this.video.removeAttribute("src");
      this.video.load();
    }
    this.ms = null;
    this.sb = null;
    this.queue = [];
  }

  close() {
    this.closed = true;
    clearTimeout(this.retry);
    if (this.ws) { this.ws.onclose = null; this.ws.close(); }
    this.dropMedia();
  }
}
