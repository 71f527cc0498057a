// Names of elemental maps: the element a file is a map of, from its name ("Fe Ka.png",
// "map_Ni.tif", "EDS-Cr-K.tiff"), and a display colour per channel.

const ELEMENTS = new Set(
  ('H He Li Be B C N O F Ne Na Mg Al Si P S Cl Ar K Ca Sc Ti V Cr Mn Fe Co Ni Cu Zn Ga Ge As Se Br Kr Rb Sr Y Zr Nb Mo Tc Ru Rh Pd Ag Cd In Sn Sb Te I Xe Cs Ba La Ce Pr Nd Pm Sm Eu Gd Tb Dy Ho Er Tm Yb Lu Hf Ta W Re Os Ir Pt Au Hg Tl Pb Bi Po At Rn Fr Ra Ac Th Pa U Np Pu').split(' '),
);

/**
 * The element symbol in a map's file name, or the name without its extension when none is found.
 * Tokens are split at anything but letters and digits; a token that is exactly an element symbol
 * (case as written: "Fe", "Ni") wins, then one followed by a line name ("FeKa", "NiK", "CrLa").
 */
export function elementFromFileName(name: string): string {
  const stem = name.replace(/^.*[\\/]/, '').replace(/\.[a-z0-9]+$/i, '');
  const tokens = stem.split(/[^A-Za-z0-9]+/).filter((t) => t.length > 0);
  for (const t of tokens) if (ELEMENTS.has(t)) return t;
  for (const t of tokens) {
    const m = /^([A-Z][a-z]?)(K|L|M)(a|b|alpha|beta)?\d*$/.exec(t);
    if (m && ELEMENTS.has(m[1]!)) return m[1]!;
  }
  return stem.trim() || 'channel';
}

/** Distinct overlay colours (red, green, blue, then the others), by the channel's index. */
const PALETTE = ['#ff3030', '#30e030', '#3070ff', '#ffd020', '#ff40ff', '#20e0e0', '#ff8c20', '#b080ff'];

export function channelColour(index: number): string {
  return PALETTE[index % PALETTE.length]!;
}
