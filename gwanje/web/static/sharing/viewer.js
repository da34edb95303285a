// Share viewer: one watermarked live stream per shared camera, over the share's WebSocket
// (the wall's player: fMP4 into Media Source Extensions). The token comes from this page's
// own address and is sent on the WebSocket URL only; a revoked or expired share closes
// the socket with 1008 and the player stops ("denied").
import { LivePlayer } from "/static/console/player.js";

const root = document.querySelector("[data-testid=share-viewer]");
const shareId = root.dataset.share;
const token = new URLSearchParams(location.search).get("token");
const scheme = location.protocol === "https:" ? "wss" : "ws";

for (const video of root.querySelectorAll("video[data-camera]")) {
  const camera = video.dataset.camera;
  const query = token ? `?token=${encodeURIComponent(token)}` : "";
  const url = `${scheme}://${location.host}/share/${shareId}/live/${camera}${query}`;
  const label = video.parentElement.querySelector("[data-testid^=share-state-]");
  new LivePlayer(video, url, (state) => { if (label) label.textContent = state; });
}
