// PTZ controls on the wall's enlarged tile (ORD-10.1, PIPA-7).
//
// Arrows and zoom send relative moves; the server checks every target against the
// camera's purpose area. A target outside it comes back as `ptz.error.reason_required`:
// the operator is then asked for a lawful reason (crime prevention, another law) and its
// text, and the same move is sent again with them; the reason goes into the audit record.

const STEP = 0.1;

export class PtzPanel {
  constructor(tile, camera, t, csrf) {
    this.tile = tile;
    this.camera = camera;
    this.t = t;
    this.csrf = csrf;
    this.el = document.createElement("div");
    this.el.className = "ptz-panel";
    this.el.setAttribute("data-testid", "ptz-panel");
    this.el.addEventListener("click", (ev) => ev.stopPropagation());
    this.el.addEventListener("dblclick", (ev) => ev.stopPropagation());
    this.build();
    tile.append(this.el);
    this.refresh();
  }

  button(label, testid, onClick) {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = label;
    b.setAttribute("data-testid", testid);
    b.addEventListener("click", onClick);
    return b;
  }

  build() {
    const t = this.t;
    const rel = (pan, tilt, zoom) => () => this.move({ mode: "relative", pan, tilt, zoom });
    const pad = document.createElement("div");
    pad.className = "ptz-pad";
    pad.append(
      this.button("▲", "ptz-up", rel(0, STEP, 0)),
      this.button("◀", "ptz-left", rel(-STEP, 0, 0)),
      this.button("■", "ptz-stop", () => this.send("stop", {})),
      this.button("▶", "ptz-right", rel(STEP, 0, 0)),
      this.button("▼", "ptz-down", rel(0, -STEP, 0)),
    );
    pad.children[0].title = t("ptz.ui.up");
    pad.children[1].title = t("ptz.ui.left");
    pad.children[2].title = t("ptz.ui.stop");
    pad.children[3].title = t("ptz.ui.right");
    pad.children[4].title = t("ptz.ui.down");
    const zoom = document.createElement("div");
    zoom.className = "ptz-zoom";
    zoom.append(this.button("＋", "ptz-zoom-in", rel(0, 0, STEP)),
                this.button("－", "ptz-zoom-out", rel(0, 0, -STEP)));
    zoom.children[0].title = t("ptz.ui.zoom_in");
    zoom.children[1].title = t("ptz.ui.zoom_out");
    this.presets = document.createElement("select");
    this.presets.setAttribute("data-testid", "ptz-presets");
    this.presets.setAttribute("aria-label", t("ptz.ui.presets"));
    const go = this.button(t("ptz.ui.go"), "ptz-preset-go", () => this.gotoPreset());
    this.state = document.createElement("div");
    this.state.className = "ptz-state";
    this.state.setAttribute("data-testid", "ptz-state");
    this.message = document.createElement("div");
    this.message.className = "ptz-message";
    this.message.setAttribute("role", "status");
    this.message.setAttribute("data-testid", "ptz-message");
    const title = document.createElement("div");
    title.className = "ptz-title";
    title.textContent = t("ptz.ui.title");
    this.el.append(title, pad, zoom, this.presets, go, this.state, this.message);
  }

  async call(url, body) {
    const response = await fetch(url, {
      method: body === undefined ? "GET" : "POST",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": this.csrf,
                 Accept: "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = await response.json().catch(() => ({}));
    return { ok: response.ok, data };
  }

  async refresh() {
    const { ok, data } = await this.call(`/api/ptz/${this.camera.id}`);
    if (!ok) { this.message.textContent = data.message || ""; return; }
    this.status = data;
    const keep = this.presets.value;
    this.presets.replaceChildren(...data.presets.map((p) => {
      const option = document.createElement("option");
      option.value = p.id;
      const home = p.is_home ? ` (${this.t("ptz.ui.home")})` : "";
      option.textContent = `${p.name} · ${this.t(`registry.purpose.${p.purpose}`)}${home}`;
      return option;
    }));
    if (keep) this.presets.value = keep;
    this.showPosition(data.position);
  }

  showPosition(at) {
    if (!at || !this.status) { this.state.textContent = ""; return; }
    const a = this.status.area;
    const inside = at.pan >= a.pan_min - 1e-4 && at.pan <= a.pan_max + 1e-4
      && at.tilt >= a.tilt_min - 1e-4 && at.tilt <= a.tilt_max + 1e-4
      && at.zoom >= a.zoom_min - 1e-4 && at.zoom <= a.zoom_max + 1e-4;
    this.state.dataset.inside = String(inside);
    this.state.textContent = `${this.t("ptz.ui.position")} P${at.pan.toFixed(2)} `
      + `T${at.tilt.toFixed(2)} Z${at.zoom.toFixed(2)} · `
      + this.t(inside ? "ptz.ui.inside" : "ptz.ui.outside");
  }

  move(body) { return this.send("move", body); }

  gotoPreset() {
    const id = Number(this.presets.value);
    if (id) return this.send(`presets/${id}/goto`, {});
  }

  async send(path, body) {
    const url = `/api/ptz/${this.camera.id}/${path}`;
    let { ok, data } = await this.call(url, body);
    if (!ok && data.error === "ptz.error.reason_required") {
      const reason = await askReason(this.t, data.message);
      if (!reason) { this.message.textContent = data.message; return; }
      ({ ok, data } = await this.call(url, { ...body, ...reason }));
    }
    this.message.textContent = ok ? this.t("ptz.ui.moved") : (data.message || "");
    this.message.dataset.ok = String(ok);
    await this.refresh();
  }
}

// The reason dialog (in wall.html): resolves to {reason, reason_text} or null.
function askReason(t, message) {
  const dialog = document.getElementById("ptz-reason-dialog");
  const form = dialog.querySelector("form");
  dialog.querySelector("[data-testid=ptz-reason-message]").textContent = message;
  form.reset();
  dialog.showModal();
  return new Promise((resolve) => {
    const done = (value) => {
      form.removeEventListener("submit", submit);
      cancel.removeEventListener("click", quit);
      dialog.close();
      resolve(value);
    };
    const submit = (ev) => {
      ev.preventDefault();
      done({ reason: form.reason.value, reason_text: form.reason_text.value.trim() });
    };
    const quit = () => done(null);
    const cancel = dialog.querySelector("[data-testid=ptz-reason-cancel]");
    form.addEventListener("submit", submit);
    cancel.addEventListener("click", quit);
  });
}
