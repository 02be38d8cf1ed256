// The alarm sound: a two-tone beep made with Web Audio (no file to load),
// repeated while a red alarm that pages someone is still unacknowledged.
// The mute is a visible button; a new red alarm lifts it. Browsers allow
// sound only after a click or key press on the page, so until then the
// button asks for one.
"use strict";

import { $ } from "./dom.js";
import { t } from "./i18n.js";

export class Sound {
  constructor() {
    this.ctx = null;
    this.muted = false;
    this.wanted = false; // a red waits for acknowledgement
    this.timer = null;
    this.unlockedAt = 0; // when a gesture made the audio context
    const unlock = () => this.unlock();
    document.addEventListener("pointerdown", unlock, true);
    document.addEventListener("keydown", unlock, true);
    $("sound").addEventListener("click", () => {
      // The click that enabled the sound does not also mute it.
      if (this.wanted && this.ctx && Date.now() - this.unlockedAt > 1000) this.muted = !this.muted;
      this.show();
    });
    this.show();
  }

  // unlock makes the audio context on a user gesture.
  unlock() {
    try {
      if (!this.ctx) {
        const AC = window.AudioContext || window.webkitAudioContext;
        if (AC) {
          this.ctx = new AC();
          this.unlockedAt = Date.now();
        }
      }
      if (this.ctx && this.ctx.state === "suspended") this.ctx.resume();
    } catch (e) {
      this.ctx = null;
    }
    this.show();
  }

  // newRed lifts the mute: a new red alarm is always heard.
  newRed() { this.muted = false; }

  // want says whether a red alarm waits for acknowledgement.
  want(on) {
    this.wanted = on;
    if (!on) this.muted = false;
    if (on && !this.timer) {
      this.beep();
      this.timer = setInterval(() => this.beep(), 2000);
    } else if (!on && this.timer) {
      clearInterval(this.timer);
      this.timer = null;
    }
    this.show();
  }

  state() {
    if (!this.ctx) return "blocked";
    if (this.wanted) return this.muted ? "muted" : "ringing";
    return "quiet";
  }

  show() {
    const b = $("sound"), s = this.state();
    b.dataset.state = s;
    b.dataset.i18n = "sound." + s;
    b.textContent = t("sound." + s);
  }

  beep() {
    if (!this.ctx || this.muted || !this.wanted || this.ctx.state !== "running") return;
    const c = this.ctx, now = c.currentTime;
    for (const [i, f] of [[0, 880], [1, 660]]) {
      const o = c.createOscillator(), g = c.createGain();
      o.type = "square";
      o.frequency.value = f;
      g.gain.setValueAtTime(0.0001, now + i * 0.28);
      g.gain.exponentialRampToValueAtTime(0.25, now + i * 0.28 + 0.02);
      g.gain.exponentialRampToValueAtTime(0.0001, now + i * 0.28 + 0.25);
      o.connect(g).connect(c.destination);
      o.start(now + i * 0.28);
      o.stop(now + i * 0.28 + 0.26);
    }
  }
}
