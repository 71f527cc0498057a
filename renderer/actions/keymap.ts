// Which keys run which action: the registry's declared keys (with browser-safe replacements in web
// mode, where Ctrl+0, Ctrl+1 and Ctrl+Y belong to the browser), then the person's own rebinds.
// A Keymap is immutable: rebinding returns a new one, or refuses with a sentence saying why.
// DOM-free; renderer/workspace/shortcuts.ts keeps the current one and stores the rebinds per user.
import type { Action } from './types';

export type KeyPlatform = 'electron' | 'web';
/** The person's rebinds: action name → its keys (replacing the defaults). */
export type KeyOverrides = Readonly<Record<string, readonly string[]>>;

/** Web mode's defaults where the Electron ones clash with the browser (zoom reset, tab 1, history). */
const WEB_DEFAULTS: KeyOverrides = {
  'view.fit': ['F'],
  'view.actual': ['Shift+F'],
  'edit.redo': ['Ctrl+Shift+Z'],
};

/** Keys a web page cannot rely on (the browser takes them first), refused as rebinds in web mode. */
const BROWSER_KEYS = new Set(['Ctrl+W', 'Ctrl+T', 'Ctrl+N', 'Ctrl+Q', 'Ctrl+L', 'Ctrl+R', 'Ctrl+Y', 'Ctrl+H', 'Ctrl+J', 'Ctrl+D', 'Ctrl+P', 'Ctrl+Tab', 'Ctrl+Shift+T', 'Ctrl+Shift+N', 'Ctrl+Shift+W', 'F5', 'F11', 'F12', ...Array.from({ length: 10 }, (_, k) => `Ctrl+${k}`)]);

/** Keys that are only a modifier (what keyCombo gives while Shift, Ctrl… alone are pressed). */
const MODIFIER_ONLY = /^(Ctrl\+|Alt\+|Shift\+)*(Control|Shift|Alt|Meta|OS|CapsLock|Dead|Unidentified)$/;

export class Keymap {
  private readonly byKey = new Map<string, Action>();

  constructor(
    readonly actions: readonly Action[],
    readonly platform: KeyPlatform = 'electron',
    readonly overrides: KeyOverrides = {},
  ) {
    for (const a of actions) {
      for (const k of this.keysOf(a)) {
        const other = this.byKey.get(k);
        if (other) throw new Error(`Shortcut ${k} is declared twice (${other.name} and ${a.name})`);
        this.byKey.set(k, a);
      }
    }
  }

  /** The keys an action has before any rebind on this platform. */
  defaultsOf(a: Action): readonly string[] {
    return (this.platform === 'web' ? WEB_DEFAULTS[a.name] : undefined) ?? a.keys;
  }

  /** The keys that run the action now (the first is the one shown). */
  keysOf(a: Action): readonly string[] {
    return this.overrides[a.name] ?? this.defaultsOf(a);
  }

  lookup(combo: string): Action | undefined {
    return this.byKey.get(combo);
  }

  isDefault(a: Action): boolean {
    return this.overrides[a.name] === undefined;
  }

  /** Why `combo` cannot become a key of `name`, or null when it can. */
  refusal(name: string, combo: string): string | null {
    const a = this.actions.find((x) => x.name === name);
    if (!a) return `There is no action ${name}.`;
    if (!combo || MODIFIER_ONLY.test(combo)) return 'Press a key (with Ctrl, Alt or Shift if you like), not a modifier alone.';
    if (combo === 'Escape' && name !== 'sel.clear') return 'Escape cancels; it cannot be given to another action.';
    if (this.platform === 'web' && BROWSER_KEYS.has(combo)) return `${combo} belongs to the browser in web mode; choose another key.`;
    const other = this.byKey.get(combo);
    if (other && other.name !== name) return `${combo} is already the key of "${other.label}". Give that action another key first.`;
    return null;
  }

  /** A keymap where `combo` is the action's one key, or the refusal's sentence. */
  rebind(name: string, combo: string): Keymap | string {
    const why = this.refusal(name, combo);
    if (why) return why;
    return new Keymap(this.actions, this.platform, { ...this.overrides, [name]: [combo] });
  }

  /** The action's default keys again (null: every action's). */
  reset(name: string | null = null): Keymap | string {
    if (name === null) return new Keymap(this.actions, this.platform, {});
    const rest = Object.fromEntries(Object.entries(this.overrides).filter(([n]) => n !== name));
    try {
      return new Keymap(this.actions, this.platform, rest);
    } catch {
      const a = this.actions.find((x) => x.name === name);
      const taken = a ? this.defaultsOf(a).map((k) => this.byKey.get(k)).find((o) => o && o.name !== name) : undefined;
      return `Its default key is now the key of "${taken?.label ?? 'another action'}"; rebind that one first.`;
    }
  }

  /**
   * A keymap from stored rebinds: unknown actions, malformed entries and rebinds that clash (with
   * each other, the defaults or the browser) are dropped one by one, so a stale file never breaks the keys.
   */
  static load(actions: readonly Action[], platform: KeyPlatform, stored: unknown): Keymap {
    let map = new Keymap(actions, platform);
    if (!stored || typeof stored !== 'object' || Array.isArray(stored)) return map;
    for (const [name, keys] of Object.entries(stored as Record<string, unknown>)) {
      if (!Array.isArray(keys) || !keys.every((k): k is string => typeof k === 'string')) continue;
      if (!actions.some((a) => a.name === name)) continue;
      if (keys.length === 0) {
        map = new Keymap(actions, platform, { ...map.overrides, [name]: [] });
        continue;
      }
      const next = map.rebind(name, keys[0]!);
      if (typeof next !== 'string') map = next;
    }
    return map;
  }
}
