// Clusters, classes and propagation for one service. The algorithms are app/cluster; the glue to
// the project, the edit history (every class change is one undoable edit) and jobs is one module
// per concern:
//   features.ts      segment features, cached per image geometry (worker for large images)
//   clusterings.ts   k-means clusterings saved per image: run, merge, split, class a cluster
//   classifier.ts    the propagation classifier: train, predict, apply to many images
//   retrain.ts       its background retrain after a person's corrections
//   fractions.ts     classes guided by target phase fractions
//   pixel-kmeans.ts  pixel k-means phase maps
//   assign.ts        class changes as one undoable edit
import type { EditAck } from '../../app/contract/edit';
import type { ClassifierInfo, ClusterState, FeatureGroupName, FractionReport, PredictionSet } from '../../app/contract/cluster';
import type { ParsedArgs } from '../../app/contract';
import type { ServiceContext } from '../handlers/context';
import type { SamPrompting } from '../sam/prompting';
import { SegmentFeatures } from './features';
import { Clusterings } from './clusterings';
import { Propagation } from './classifier';
import { fractions } from './fractions';
import { pixelKMeansJob } from './pixel-kmeans';

export class ClusterService {
  private readonly features: SegmentFeatures;
  private readonly clusterings: Clusterings;
  private readonly propagation: Propagation;

  constructor(
    private readonly ctx: ServiceContext,
    sam: SamPrompting,
  ) {
    this.features = new SegmentFeatures(sam);
    this.propagation = new Propagation(ctx, this.features);
    this.clusterings = new Clusterings(ctx, this.features, () => this.correctionsChanged());
    ctx.onProjectClose(() => {
      this.features.clear();
      this.propagation.clear();
    });
  }

  runJob(a: ParsedArgs<'cluster.run'>): string {
    return this.clusterings.runJob(a);
  }

  get(imageId: number): Promise<ClusterState | null> {
    return this.clusterings.get(imageId);
  }

  merge(imageId: number, a: number, b: number): Promise<ClusterState> {
    return this.clusterings.merge(imageId, a, b);
  }

  split(imageId: number, clusterId: number, k: number): Promise<ClusterState> {
    return this.clusterings.split(imageId, clusterId, k);
  }

  assignClass(a: ParsedArgs<'cluster.assignClass'>): Promise<EditAck> {
    return this.clusterings.assignClass(a);
  }

  status(): ClassifierInfo | null {
    return this.propagation.status();
  }

  train(model: 'auto' | 'nearest-centroid' | 'logreg', groups: readonly FeatureGroupName[]): Promise<ClassifierInfo> {
    return this.propagation.train(model, groups);
  }

  /** Called after a person's class or verified edit: retrain a second after the last one, off the request path. */
  correctionsChanged(): void {
    this.propagation.correctionsChanged();
  }

  predict(imageId: number, apply: boolean, expectRevision?: string): Promise<{ predictions: PredictionSet; ack: EditAck | null }> {
    return this.propagation.predict(imageId, apply, expectRevision);
  }

  applyToImagesJob(imageIds: number[] | undefined): string {
    return this.propagation.applyToImagesJob(imageIds);
  }

  fractions(a: ParsedArgs<'cluster.fractions'>): Promise<FractionReport> {
    return fractions(this.ctx, this.features, () => this.propagation.version(), a);
  }

  pixelKMeansJob(a: ParsedArgs<'segment.pixelKMeans'>): string {
    return pixelKMeansJob(this.ctx, a);
  }
}
