// The video wall: camera tree, grid of live tiles, saved layouts, tours, full screen.
//
// Tiles show the sub stream (small, cheap to decode) when the camera has one; a double
// click enlarges a tile over the whole wall and switches it to the main stream, a second
// double click returns it. Privacy masks (ORD-26.1) are drawn over every tile that shows
// the camera, from the registry's normalized polygons. The current wall is remembered in
// this browser (localStorage); named layouts are saved on the server, per operator.

import { LivePlayer } from "./player.js";
import { PtzPanel } from "./ptz.js";
import { startAlarms } from "./alarms.js";

const app = document.querySelector(".wall-app");
const S = JSON.parse(document.getElementById("wall-strings").textContent);
const t = (key) => S[key] || key;
const csrf = app.dataset.csrf;
const wallEl = document.getElementById("wall");
const treeEl = document.getElementById("camera-tree");
const searchEl = document.getElementById("camera-search");
const groupEl = document.getElementById("tree-group");
const messageEl = document.getElementById("wall-message");
const STORE_KEY = "gwanje.wall";

let cameras = [];
let byId = new Map();
let grid = 4;
let tiles = []; // camera id or null per tile
let players = []; // LivePlayer or null per tile
let enlarged = -1;
let selected = 0;
let tourTimer = null;
let tourPage = 0;
let ptzCameras = new Set(); // cameras this operator may steer (ORD-10.1: on the enlarged tile)
// ORD-22.4 tour mode (견학 모드): every tile shows a placeholder instead of video. The server
// enforces it too (the live socket refuses and ends views); this only follows its state.
let tourMode = app.dataset.tour === "1";

function say(text) { messageEl.textContent = text; }

function wsUrl(cameraId, stream) {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  return `${scheme}://${location.host}/live/${cameraId}/${stream}`;
}

function purposeLabel(p) { return t(`registry.purpose.${p}`); }

// ---- camera tree ---------------------------------------------------------------------

function groupKeys(camera) {
  const by = groupEl.value;
  if (by === "department") return [app.dataset.lang === "en" ? camera.department_en : camera.department];
  if (by === "purpose") return camera.purposes.map(purposeLabel);
  return [camera.district];
}

function renderTree() {
  const q = searchEl.value.trim().toLowerCase();
  const groups = new Map();
  for (const c of cameras) {
    const hay = `${c.code} ${c.name} ${c.address} ${c.district}`.toLowerCase();
    if (q && !hay.includes(q)) continue;
    for (const key of groupKeys(c)) {
      if (!groups.has(key)) groups.set(key, []);
      groups.get(key).push(c);
    }
  }
  treeEl.replaceChildren();
  if (!cameras.length) { treeEl.textContent = t("console.wall.no_cameras"); return; }
  for (const [name, list] of [...groups.entries()].sort((a, b) => a[0].localeCompare(b[0]))) {
    const details = document.createElement("details");
    details.open = true;
    const summary = document.createElement("summary");
    summary.textContent = `${name} (${list.length})`;
    details.append(summary);
    for (const c of list) details.append(treeItem(c));
    treeEl.append(details);
  }
}

function treeItem(c) {
  const item = document.createElement("div");
  item.className = "tree-camera";
  item.draggable = true;
  item.dataset.testid = `tree-camera-${c.code}`;
  item.setAttribute("data-testid", `tree-camera-${c.code}`);
  item.title = `${c.code} · ${c.address}`;
  const dot = document.createElement("span");
  dot.className = `health health-${c.health}`;
  dot.title = t(`console.health.${c.health}`);
  const label = document.createElement("span");
  label.textContent = `${c.name} (${c.code})`;
  item.append(dot, label);
  item.addEventListener("dragstart", (ev) => ev.dataTransfer.setData("text/x-camera", String(c.id)));
  item.addEventListener("click", () => place(c.id, selected));
  return item;
}

// ---- tiles ---------------------------------------------------------------------------

function streamFor(camera, index) {
  return index === enlarged || !camera.has_sub ? "main" : "sub";
}

// A tile is rebuilt only when what it shows changes (camera or stream): placing one
// camera must not interrupt the other tiles' video (nor cost them a new connection).
let tileNodes = []; // the element of each tile
let tileKeys = []; // "camera/stream" (or "") each element was built for

function tileKey(index) {
  const camera = byId.get(tiles[index]);
  if (camera && tourMode) return `hidden/${camera.id}`;
  return camera ? `${camera.id}/${streamFor(camera, index)}` : "";
}

function renderWall() {
  const cols = Math.ceil(Math.sqrt(grid));
  wallEl.style.setProperty("--cols", cols);
  wallEl.className = `wall grid-${grid}` + (enlarged >= 0 ? " has-enlarged" : "");
  for (let i = 0; i < Math.max(grid, tileNodes.length); i++) {
    const key = i < grid ? tileKey(i) : null;
    if (tileNodes[i] && tileKeys[i] === key) continue;
    if (players[i]) players[i].close();
    players[i] = null;
    tileNodes[i] = null;
    if (key === null) continue;
    tileNodes[i] = tileEl(i);
    tileKeys[i] = key;
  }
  tileNodes.length = tileKeys.length = players.length = grid;
  tileNodes.forEach((node, i) => {
    node.classList.toggle("selected", i === selected);
    node.classList.toggle("enlarged", i === enlarged);
  });
  wallEl.replaceChildren(...tileNodes);
  document.querySelectorAll(".grid-button").forEach((b) =>
    b.classList.toggle("active", Number(b.dataset.grid) === grid));
  remember();
}

function tileEl(index) {
  const tile = document.createElement("div");
  tile.className = "tile";
  tile.setAttribute("data-testid", `tile-${index}`);
  tile.addEventListener("click", () => select(index));
  tile.addEventListener("dragover", (ev) => ev.preventDefault());
  tile.addEventListener("drop", (ev) => {
    ev.preventDefault();
    const id = Number(ev.dataTransfer.getData("text/x-camera"));
    if (id) place(id, index);
  });
  const camera = byId.get(tiles[index]);
  if (!camera) {
    tile.classList.add("empty");
    const hint = document.createElement("span");
    hint.className = "hint";
    hint.textContent = t("console.wall.empty_tile");
    tile.append(hint);
    return tile;
  }
  tile.dataset.camera = camera.code;
  if (tourMode) return hiddenTile(tile, index);
  tile.addEventListener("dblclick", () => toggleEnlarged(index));
  const video = document.createElement("video");
  video.setAttribute("data-testid", `tile-video-${index}`);
  const stream = streamFor(camera, index);
  video.dataset.stream = stream;
  const masks = maskEl(camera.masks);
  const head = document.createElement("div");
  head.className = "tile-head";
  const name = document.createElement("span");
  name.className = "tile-name";
  name.textContent = `${camera.name} · ${camera.purposes.map(purposeLabel).join(", ")}`;
  const state = document.createElement("span");
  state.className = "tile-state";
  state.setAttribute("data-testid", `tile-state-${index}`);
  const close = document.createElement("button");
  close.type = "button";
  close.className = "tile-close";
  close.textContent = "×";
  close.title = t("console.wall.close");
  close.addEventListener("click", (ev) => { ev.stopPropagation(); place(null, index); });
  head.append(name, state);
  if (app.dataset.incidents) head.append(incidentLink(camera, index));
  head.append(close);
  tile.append(video, masks, head);
  const showState = (name) => {
    state.textContent = t(`console.state.${name}`);
    tile.dataset.state = name;
    tile.classList.toggle("down", name === "offline" || name === "denied" || name === "error");
  };
  showState("waiting");
  players[index] = new LivePlayer(video, wsUrl(camera.id, stream), showState);
  return tile;
}

function hiddenTile(tile, index) {
  tile.classList.add("tour-hidden");
  tile.setAttribute("data-testid", `tile-${index}`);
  const hint = document.createElement("span");
  hint.className = "hint";
  hint.setAttribute("data-testid", `tile-hidden-${index}`);
  hint.textContent = t("shifts.tour.placeholder");
  tile.append(hint);
  return tile;
}

async function followTourMode() {
  try {
    const active = (await api("GET", "/api/tour")).active;
    if (active !== tourMode) {
      tourMode = active;
      app.dataset.tour = active ? "1" : "";
      renderWall();
    }
  } catch (err) { /* offline for a moment: the server still refuses video */ }
}

// ORD-20.4: an operator who sees something opens an incident for this camera at once
// (a new tab, so the wall keeps playing).
function incidentLink(camera, index) {
  const link = document.createElement("a");
  link.className = "tile-incident";
  link.href = `/incidents?camera=${encodeURIComponent(camera.code)}`;
  link.target = "_blank";
  link.rel = "noopener";
  link.textContent = "!";
  link.title = t("console.wall.incident");
  link.setAttribute("data-testid", `tile-incident-${index}`);
  link.addEventListener("click", (ev) => ev.stopPropagation());
  return link;
}

function maskEl(masks) {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("class", "masks");
  svg.setAttribute("viewBox", "0 0 1 1");
  svg.setAttribute("preserveAspectRatio", "none");
  svg.setAttribute("data-testid", "privacy-masks");
  for (const polygon of masks || []) {
    const shape = document.createElementNS(ns, "polygon");
    shape.setAttribute("points", polygon.map(([x, y]) => `${x},${y}`).join(" "));
    svg.append(shape);
  }
  return svg;
}

function select(index) {
  selected = index;
  wallEl.querySelectorAll(".tile").forEach((el, i) => el.classList.toggle("selected", i === index));
}

function place(cameraId, index) {
  tiles[index] = cameraId;
  if (cameraId !== null) selected = Math.min(grid - 1, index + 1);
  if (index === enlarged && cameraId === null) enlarged = -1;
  renderWall();
}

function toggleEnlarged(index) {
  enlarged = enlarged === index ? -1 : index;
  renderWall();
  wallEl.querySelectorAll(".ptz-panel").forEach((el) => el.remove());
  const camera = byId.get(tiles[index]);
  if (enlarged === index && camera && ptzCameras.has(camera.id)) {
    new PtzPanel(tileNodes[index], camera, t, csrf);
  }
}

function setGrid(n) {
  grid = n;
  tiles = tiles.slice(0, n);
  while (tiles.length < n) tiles.push(null);
  enlarged = -1;
  selected = Math.min(selected, n - 1);
  renderWall();
}

function remember() {
  localStorage.setItem(STORE_KEY, JSON.stringify({ grid, tiles }));
}

function restore() {
  try {
    const saved = JSON.parse(localStorage.getItem(STORE_KEY) || "null");
    if (saved && [1, 4, 9, 16, 25, 36].includes(saved.grid)) {
      grid = saved.grid;
      tiles = saved.tiles.map((id) => (byId.has(id) ? id : null)); // a camera no longer allowed is dropped
    }
  } catch (err) { /* a broken entry is just no saved wall */ }
  setGrid(grid);
}

// ---- layouts -------------------------------------------------------------------------

async function api(method, url, body) {
  const response = await fetch(url, {
    method,
    headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf, Accept: "application/json" },
    body: body ? JSON.stringify(body) : undefined,
  });
  if (!response.ok) {
    let message = response.statusText;
    try { message = (await response.json()).message || message; } catch (err) { /* not JSON */ }
    throw new Error(message);
  }
  return response.status === 204 ? null : response.json();
}

let layouts = [];

async function loadLayouts() {
  layouts = (await api("GET", "/api/wall/layouts")).layouts;
  const select = document.getElementById("layout-select");
  select.replaceChildren(...layouts.map((l) => {
    const option = document.createElement("option");
    option.value = l.id;
    option.textContent = `${l.name} (${l.grid})`;
    return option;
  }));
}

async function saveLayout() {
  const name = document.getElementById("layout-name").value.trim();
  try {
    await api("POST", "/api/wall/layouts", { name, grid, tiles });
    await loadLayouts();
    say(t("console.wall.saved"));
  } catch (err) { say(err.message); }
}

function loadLayout() {
  const id = Number(document.getElementById("layout-select").value);
  const layout = layouts.find((l) => l.id === id);
  if (!layout) return;
  grid = layout.grid;
  tiles = layout.tiles.map((cid) => (byId.has(cid) ? cid : null));
  setGrid(grid);
}

async function deleteLayout() {
  const id = Number(document.getElementById("layout-select").value);
  if (!id) return;
  try {
    await api("DELETE", `/api/wall/layouts/${id}`);
    await loadLayouts();
    say(t("console.wall.deleted"));
  } catch (err) { say(err.message); }
}

// ---- tours ---------------------------------------------------------------------------

function tourStep() {
  const ids = cameras.map((c) => c.id);
  if (!ids.length) return;
  const pages = Math.ceil(ids.length / grid);
  tourPage = (tourPage + 1) % pages;
  tiles = ids.slice(tourPage * grid, tourPage * grid + grid);
  while (tiles.length < grid) tiles.push(null);
  enlarged = -1;
  renderWall();
}

function toggleTour() {
  const button = document.getElementById("tour-toggle");
  if (tourTimer) {
    clearInterval(tourTimer);
    tourTimer = null;
    button.textContent = t("console.wall.tour");
    button.classList.remove("active");
    return;
  }
  const seconds = Number(document.getElementById("tour-seconds").value);
  tourPage = -1;
  tourStep();
  tourTimer = setInterval(tourStep, seconds * 1000);
  button.textContent = t("console.wall.tour_stop");
  button.classList.add("active");
}

// ---- start ---------------------------------------------------------------------------

async function start() {
  cameras = (await api("GET", "/api/wall/cameras")).cameras;
  byId = new Map(cameras.map((c) => [c.id, c]));
  try { ptzCameras = new Set((await api("GET", "/api/ptz")).cameras); } catch (err) { /* no ptz.control */ }
  renderTree();
  restore();
  // /wall?camera=ID (from the map or a camera's page): show it on the selected tile.
  const asked = Number(new URLSearchParams(location.search).get("camera"));
  if (asked && byId.has(asked) && !tiles.includes(asked)) place(asked, selected);
  // /wall?assigned=1 (from the shifts page): the cameras assigned to me now (ORD-20.3).
  if (new URLSearchParams(location.search).get("assigned")) {
    const mine = (await api("GET", "/api/shifts/my-cameras")).cameras.map((c) => c.id);
    tiles = mine.filter((id) => byId.has(id)).slice(0, grid);
    setGrid(grid);
  }
  setInterval(followTourMode, 3000);
  await loadLayouts();
}

document.querySelectorAll(".grid-button").forEach((b) =>
  b.addEventListener("click", () => setGrid(Number(b.dataset.grid))));
searchEl.addEventListener("input", renderTree);
groupEl.addEventListener("change", renderTree);
document.getElementById("layout-save").addEventListener("click", saveLayout);
document.getElementById("layout-load").addEventListener("click", loadLayout);
document.getElementById("layout-delete").addEventListener("click", deleteLayout);
document.getElementById("tour-toggle").addEventListener("click", toggleTour);
document.getElementById("fullscreen").addEventListener("click", () => wallEl.requestFullscreen());
window.addEventListener("beforeunload", () => players.forEach((p) => p && p.close()));
start().catch((err) => say(err.message)).finally(() => {
  // Bell alarms (ORD-2.7) pop cameras up with the wall's own masks (ORD-26.1).
  if (app.dataset.incidents) startAlarms({ t, csrf, wsUrl, maskEl, cameraOf: (id) => byId.get(id) });
});
