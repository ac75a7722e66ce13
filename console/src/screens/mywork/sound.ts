/** New-lead alerts: a short two-note chime made with the Web Audio API (no audio file), a browser
 * notification, and the user's sound choice kept in localStorage. */

const SOUND_KEY = "leadrouter.mywork.sound";

export function soundOn(): boolean {
  return globalThis.localStorage?.getItem(SOUND_KEY) !== "off";
}

export function storeSound(on: boolean): void {
  globalThis.localStorage?.setItem(SOUND_KEY, on ? "on" : "off");
}

let context: AudioContext | null = null;

/** Two short sine notes (A5 then E6), quiet, 0.3 s in all. */
export function chime(): void {
  const Audio = globalThis.AudioContext;
  if (!Audio) return;
  context ??= new Audio();
  const ctx = context;
  void ctx.resume().catch(() => undefined);
  [880, 1318.5].forEach((frequency, i) => {
    const start = ctx.currentTime + i * 0.15;
    const tone = ctx.createOscillator();
    const gain = ctx.createGain();
    tone.type = "sine";
    tone.frequency.value = frequency;
    gain.gain.setValueAtTime(0.0001, start);
    gain.gain.exponentialRampToValueAtTime(0.2, start + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, start + 0.14);
    tone.connect(gain).connect(ctx.destination);
    tone.start(start);
    tone.stop(start + 0.15);
  });
}

export type Permission = NotificationPermission | "unsupported";

export function notificationPermission(): Permission {
  return typeof Notification === "undefined" ? "unsupported" : Notification.permission;
}

/** A system notification, if the user allowed them (asked from a button, never on load). */
export function notify(title: string, body: string, tag: string): void {
  if (notificationPermission() !== "granted") return;
  try {
    new Notification(title, { body, tag });
  } catch {
    // Some mobile browsers allow notifications only from a service worker: the page still shows the lead.
  }
}
