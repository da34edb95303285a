// Bell alarms on the wall (ORD-2.7): the server pushes the list of open bell calls over
// WS /ws/alarms; each one pops its camera up in an alarm tile over the wall (enlarged,
// red frame while unacknowledged) with acknowledge / answer / end buttons. The list is
// the whole truth each time: tiles for calls no longer listed are removed.
//
// Privacy masks (ORD-26.1) are drawn as on every tile. ORD-10.2: the tile plays the camera's video only (the live stream has no audio track);
// the call session's actions are logged on the server, nothing here records anything.
//
// Voice (ORD-10.2): answering opens a WebRTC call to the bell (microphone ⇄ the bell's
// speaker), signalled through POST /api/bell-calls/{id}/voice; the audio goes browser ⇄
// bell directly and only plays (no MediaRecorder, nothing stored). Ending the call, or
// the alarm channel saying it is no longer connected, closes the connection at once.

import { LivePlayer } from "./player.js";

export function startAlarms({ t, csrf, wsUrl, maskEl, cameraOf }) {
  const stack = document.getElementById("alarm-stack");
  if (!stack) return;
  const tiles = new Map(); // call id -> { el, player, key }
  let retry = 1000;

  function connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const ws = new WebSocket(`${scheme}://${location.host}/ws/alarms`);
    ws.onopen = () => { retry = 1000; stack.dataset.channel = "open"; };
    ws.onmessage = (ev) => {
      const data = JSON.parse(ev.data);
      if (data.type === "alarms") render(data.alarms);
    };
    ws.onclose = (ev) => {
      stack.dataset.channel = "closed";
      if (ev.code === 1008) return; // refused: not allowed to handle alarms
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 15000);
    };
  }

  function render(alarms) {
    const seen = new Set();
    for (const alarm of alarms) {
      seen.add(alarm.id);
      const key = `${alarm.state}/${alarm.alarm}/${alarm.presses}`;
      const known = tiles.get(alarm.id);
      if (known && known.key === key) continue;
      if (known) update(known, alarm);
      else tiles.set(alarm.id, create(alarm));
      tiles.get(alarm.id).key = key;
    }
    for (const [id, tile] of tiles) {
      if (seen.has(id)) continue;
      stopVoice(tile);
      if (tile.player) tile.player.close();
      tile.el.remove();
      tiles.delete(id);
    }
    stack.hidden = tiles.size === 0;
  }

  function create(alarm) {
    const el = document.createElement("section");
    el.className = "alarm-tile";
    el.setAttribute("data-testid", `alarm-${alarm.id}`);
    el.dataset.camera = alarm.camera ? alarm.camera.code : "";
    const head = document.createElement("header");
    const title = document.createElement("strong");
    title.textContent = `${t("console.wall.alarm.title")} ${alarm.bell_code}`;
    const where = document.createElement("span");
    where.textContent = `${alarm.location}${alarm.camera ? " · " + alarm.camera.name : ""}`;
    const state = document.createElement("span");
    state.className = "alarm-state";
    state.setAttribute("data-testid", `alarm-state-${alarm.id}`);
    head.append(title, where, state);
    const body = document.createElement("div");
    body.className = "alarm-video";
    let player = null;
    const camera = alarm.camera && cameraOf(alarm.camera.id); // only cameras this wall may show
    if (camera) {
      const video = document.createElement("video");
      video.setAttribute("data-testid", `alarm-video-${alarm.id}`);
      body.append(video, maskEl(camera.masks));
      player = new LivePlayer(video, wsUrl(camera.id, "main"));
    } else {
      body.textContent = t("console.wall.alarm.no_camera");
    }
    const actions = document.createElement("footer");
    const tile = { el, player, key: "", state, actions, alarm };
    const button = (name, action) => {
      const b = document.createElement("button");
      b.type = "button";
      b.textContent = t(`console.wall.alarm.${name}`);
      b.setAttribute("data-testid", `alarm-${name}-${alarm.id}`);
      b.addEventListener("click", () => act(tile, action));
      return b;
    };
    const link = document.createElement("a");
    link.href = `/incidents/${alarm.incident_id}`;
    link.target = "_blank";
    link.rel = "noopener";
    link.textContent = t("console.wall.alarm.incident");
    link.setAttribute("data-testid", `alarm-incident-${alarm.id}`);
    const note = document.createElement("small");
    note.textContent = t("console.wall.alarm.no_audio");
    const voice = document.createElement("span");
    voice.className = "alarm-voice";
    voice.setAttribute("data-testid", `alarm-voice-${alarm.id}`);
    voice.dataset.voice = "none";
    tile.voiceEl = voice;
    actions.append(button("acknowledge", "acknowledge"), button("answer", "answer"),
                   button("end", "end"), voice, link, note);
    el.append(head, body, actions);
    stack.prepend(el);
    update(tile, alarm);
    return tile;
  }

  function update(tile, alarm) {
    tile.alarm = alarm;
    tile.el.classList.toggle("alarming", alarm.alarm);
    tile.el.dataset.state = alarm.state;
    tile.state.textContent = alarm.alarm ? t(`bells.state.${alarm.state}`) || alarm.state
      : `${t("console.wall.alarm.acknowledged")} · ${t(`bells.state.${alarm.state}`) || alarm.state}`;
    const [ack, answer, end] = tile.actions.querySelectorAll("button");
    ack.disabled = !alarm.alarm;
    answer.disabled = alarm.state !== "ringing";
    end.disabled = alarm.state === "ended";
    if (alarm.state !== "connected") stopVoice(tile); // ended here, elsewhere or timed out
  }

  function showVoice(tile, state) {
    tile.voiceEl.dataset.voice = state;
    const key = { connecting: "voice_connecting", connected: "voice_live", failed: "voice_failed",
                  ended: "voice_ended" }[state];
    tile.voiceEl.textContent = key ? t(`console.wall.alarm.${key}`) : "";
  }

  function gathered(pc) {
    if (pc.iceGatheringState === "complete") return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => { if (pc.iceGatheringState === "complete") resolve(); };
      pc.addEventListener("icegatheringstatechange", done);
      setTimeout(resolve, 3000); // loopback/LAN: host candidates come at once
    });
  }

  async function startVoice(tile) {
    if (tile.voice) return;
    const voice = { pc: null, mic: null, audio: null };
    tile.voice = voice;
    tile.el.voice = voice; // tests read the connection's stats from here
    showVoice(tile, "connecting");
    try {
      voice.mic = await navigator.mediaDevices.getUserMedia({ audio: true, video: false });
      if (tile.voice !== voice) return closeVoice(voice);
      const pc = new RTCPeerConnection({ iceServers: [] });
      voice.pc = pc;
      for (const track of voice.mic.getAudioTracks()) pc.addTrack(track, voice.mic);
      pc.ontrack = (ev) => {
        voice.audio = new Audio(); // plays only; never recorded
        voice.audio.srcObject = ev.streams[0] || new MediaStream([ev.track]);
        voice.audio.play().catch(() => {});
      };
      pc.onconnectionstatechange = () => {
        if (tile.voice !== voice) return;
        if (pc.connectionState === "connected") showVoice(tile, "connected");
        if (pc.connectionState === "failed") stopVoice(tile, "failed");
      };
      await pc.setLocalDescription(await pc.createOffer());
      await gathered(pc);
      const response = await fetch(`/api/bell-calls/${tile.alarm.id}/voice`, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf, Accept: "application/json" },
        body: JSON.stringify({ type: "offer", sdp: pc.localDescription.sdp }),
      });
      if (!response.ok) throw new Error(`voice refused: ${response.status}`);
      const answer = await response.json();
      if (tile.voice !== voice) return;
      await pc.setRemoteDescription(answer);
    } catch (err) {
      console.warn("bell voice:", err);
      if (tile.voice === voice) stopVoice(tile, "failed");
      else closeVoice(voice);
    }
  }

  function closeVoice(voice) {
    if (voice.pc) voice.pc.close();
    if (voice.mic) voice.mic.getTracks().forEach((track) => track.stop());
    if (voice.audio) { voice.audio.pause(); voice.audio.srcObject = null; }
  }

  function stopVoice(tile, how = "ended") {
    const voice = tile.voice;
    if (!voice) return;
    tile.voice = null;
    closeVoice(voice);
    showVoice(tile, how);
  }

  async function act(tile, action) {
    if (action === "end") stopVoice(tile); // the click tears our side down at once
    const response = await fetch(`/api/bell-calls/${tile.alarm.id}/${action}`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf, Accept: "application/json" },
      body: JSON.stringify(action === "end" ? { note: "" } : {}),
    });
    if (response.ok) {
      const alarm = await response.json();
      update(tile, alarm);
      tile.key = `${alarm.state}/${alarm.alarm}/${alarm.presses}`;
      if (action === "answer" && alarm.state === "connected") startVoice(tile);
    }
  }

  connect();
}
