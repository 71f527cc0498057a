// Slice order of a folder of slices: natural file-name order (slice_2 before slice_10), as file
// managers and ImageJ's "Image Sequence" sort them.
const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });

export function naturalOrder(names: readonly string[]): string[] {
  return [...names].sort((a, b) => collator.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0));
}
