// The left column of the workspace: the project's images, opened with a click and chosen for
// project-wide actions with shift/ctrl.
import type { Images } from '../../workspace/images';
import { ImageList } from '../ImageList';

export function ImageSidebar({ images }: { images: Images }) {
  return (
    <aside className="sidebar">
      <div className="sidebar-head">
        Images <span className="muted">({images.images.length})</span>
      </div>
      <ImageList
        images={images.images}
        selected={images.selected}
        chosen={images.chosen}
        onOpen={(id) => {
          images.open(id);
          images.choose([id]);
        }}
        onChoose={images.choose}
        onRemove={(ids) => void images.remove(ids)}
      />
    </aside>
  );
}
