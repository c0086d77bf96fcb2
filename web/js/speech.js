// Optional speech: dictation through the Web Speech API's recognizer (where the
// browser has one) and reading agent replies aloud with speechSynthesis.

/**
 * A one-utterance dictation helper, or null when the browser has no recognizer.
 * @param {Window} win
 */
export function createDictation(win) {
  const Ctor = win.SpeechRecognition || win.webkitSpeechRecognition;
  if (typeof Ctor !== 'function') return null;
  let rec = null;
  return {
    get active() {
      return rec !== null;
    },
    /**
     * @param {string} lang
     * @param {{onInterim: (t: string) => void, onFinal: (t: string) => void,
     *          onError: (code: string) => void, onEnd: () => void}} cb
     */
    start(lang, cb) {
      if (rec) return;
      const r = new Ctor();
      rec = r;
      r.lang = lang;
      r.interimResults = true;
      r.continuous = false;
      r.maxAlternatives = 1;
      let final = '';
      r.onresult = (ev) => {
        let interim = '';
        for (let i = ev.resultIndex; i < ev.results.length; i++) {
          const res = ev.results[i];
          if (res.isFinal) final += res[0].transcript;
          else interim += res[0].transcript;
        }
        cb.onInterim((final + interim).trim());
      };
      r.onerror = (ev) => cb.onError(ev.error || 'error');
      r.onend = () => {
        if (rec === r) rec = null;
        const t = final.trim();
        if (t) cb.onFinal(t);
        cb.onEnd();
      };
      try {
        r.start();
      } catch (e) {
        rec = null;
        cb.onError(e && e.name ? e.name : 'error');
        cb.onEnd();
      }
    },
    stop() {
      if (rec) rec.stop();
    },
    abort() {
      if (rec) {
        const r = rec;
        rec = null;
        r.abort();
      }
    },
  };
}

/**
 * Reads streamed reply text aloud a sentence at a time, so speech starts
 * before the reply is complete.
 */
export class Speaker {
  /** @param {Window} win */
  constructor(win) {
    this.synth = win.speechSynthesis || null;
    this.Utterance = win.SpeechSynthesisUtterance || null;
    this.enabled = false;
    this.lang = 'en-US';
    this.buffer = '';
  }

  get supported() {
    return !!(this.synth && this.Utterance);
  }

  /** Adds streamed text; speaks every complete sentence in the buffer. */
  push(text) {
    if (!this.enabled || !this.supported) return;
    this.buffer += text;
    const m = this.buffer.match(/^[\s\S]*[.!?…](?=\s)/);
    if (m) {
      this.say(m[0]);
      this.buffer = this.buffer.slice(m[0].length);
    }
  }

  /** Speaks what is left (the reply is complete). */
  flush() {
    if (!this.enabled || !this.supported) return;
    this.say(this.buffer);
    this.buffer = '';
  }

  /** Stops speaking and forgets pending text. */
  cancel() {
    this.buffer = '';
    if (this.supported) this.synth.cancel();
  }

  say(text) {
    const t = text.trim();
    if (!t) return;
    const u = new this.Utterance(t);
    u.lang = this.lang;
    this.synth.speak(u);
  }
}
