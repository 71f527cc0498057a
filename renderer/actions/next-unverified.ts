// Walk the segments still to review (least confident predicted class first), centring each.
import { nextUnverified } from '../tools/geometry';
import { hasSegmentation, type Action, type ActionContext } from './types';

function step(c: ActionContext, backwards: boolean): void {
  if (!c.doc) return;
  const next = nextUnverified(c.doc.segments.values(), c.selection.single, backwards);
  if (!next) {
    c.notify('info', 'Every segment of this image is verified.');
    return;
  }
  c.selection.apply([next.id], 'replace');
  c.view.centreOn(next.bbox);
}

export const nextToReview: Action = {
  name: 'sel.nextUnverified',
  label: 'Next segment to review, least confident predicted class first (centres the view)',
  group: 'Selection',
  keys: ['N'],
  predicate: hasSegmentation,
  perform: (c) => step(c, false),
};

export const previousToReview: Action = {
  name: 'sel.prevUnverified',
  label: 'Previous unverified segment',
  group: 'Selection',
  keys: ['Shift+N'],
  predicate: hasSegmentation,
  perform: (c) => step(c, true),
};
