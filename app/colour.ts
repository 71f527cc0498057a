// Colours as people and files write them ('#rrggbb', '#rgb'), for every layer that draws or writes
// class colours (exported palettes, the viewer's overlay).

/** '#rrggbb' (or '#rgb', with or without '#') to bytes; `fallback` (grey) for anything unreadable. */
export function parseHexColor(color: string | null | undefined, fallback: [number, number, number] = [128, 128, 128]): [number, number, number] {
  const m = /^#?([0-9a-f]{6}|[0-9a-f]{3})$/i.exec(color ?? '');
  if (!m) return [...fallback];
  const h = m[1]!.length === 3 ? [...m[1]!].map((c) => c + c).join('') : m[1]!;
  return [parseInt(h.slice(0, 2), 16), parseInt(h.slice(2, 4), 16), parseInt(h.slice(4, 6), 16)];
}
