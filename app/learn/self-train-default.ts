// Whether training self-trains on unlabelled images (app/learn/self-train.ts) when the caller
// does not say: off. In the learn benchmark (docs/benchmarks.md, section learn, rows
// "self-trained" at K = 3, N = 10) it raised uhcs particle IoU by 0.03 and tbm_train ARI by 0.02
// but lowered super_ni's gamma-prime IoU a little (0.774 -> 0.773), and training took 10-14x as
// long: not a gain on every set. Its own file so the renderer can read it without the pipeline.
export const SELF_TRAIN_DEFAULT = false;
