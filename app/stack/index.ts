// Slice stacks: serial sections or tomogram planes as one ordered stack (z order, spacing), with
// segments linked across slices into 3D objects, 3D statistics and propagation to the next slices.
export { linkSlices, matchSlices, objectLabels, DEFAULT_LINK_OVERLAP, type StackLinks } from './link';
export { stackStats, sphereDiameter, type StackStats, type StackObjectStats, type StackSlice } from './stats';
export { propagateClassic, type ClassicPropagateOptions } from './propagate';
export { naturalOrder } from './order';
