// Forward-only schema migrations of the project database. Each entry upgrades version n-1 to n.
// Never edit a released migration: add a new one.

interface Migration {
  version: number;
  description: string;
  sql: string;
}

export const migrations: Migration[] = [
  {
    version: 1,
    description: 'images, segmentations, segments, classes, edit log',
    sql: `
      CREATE TABLE images (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        file TEXT NOT NULL,
        page INTEGER NOT NULL DEFAULT 0,
        hash TEXT NOT NULL,
        width INTEGER NOT NULL,
        height INTEGER NOT NULL,
        channels INTEGER NOT NULL,
        bit_depth INTEGER NOT NULL,
        pixel_size_um REAL,
        status TEXT NOT NULL DEFAULT 'new' CHECK (status IN ('new','auto-segmented','in-review','verified')),
        thumbnail BLOB,
        created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
        UNIQUE (hash, page)
      );
      CREATE TABLE classes (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        color TEXT NOT NULL
      );
      CREATE TABLE segmentations (
        image_id INTEGER PRIMARY KEY REFERENCES images(id) ON DELETE CASCADE,
        width INTEGER NOT NULL,
        height INTEGER NOT NULL,
        checkpoint BLOB NOT NULL,
        engine TEXT NOT NULL,
        next_id INTEGER NOT NULL,
        updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
      );
      CREATE TABLE segments (
        image_id INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,
        id INTEGER NOT NULL,
        class_id INTEGER REFERENCES classes(id) ON DELETE SET NULL,
        source TEXT NOT NULL CHECK (source IN ('auto','prompt','brush','import')),
        verified INTEGER NOT NULL DEFAULT 0,
        cluster_id INTEGER,
        area INTEGER NOT NULL,
        bbox_x INTEGER NOT NULL,
        bbox_y INTEGER NOT NULL,
        bbox_w INTEGER NOT NULL,
        bbox_h INTEGER NOT NULL,
        PRIMARY KEY (image_id, id)
      ) WITHOUT ROWID;
      CREATE TABLE edit_log (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        image_id INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,
        op TEXT NOT NULL,
        patch BLOB,
        undone INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
      );
      CREATE INDEX edit_log_image ON edit_log(image_id, seq);
    `,
  },
  {
    version: 2,
    description: 'class provenance on segments, embedding cache, project settings',
    sql: `
      ALTER TABLE segments ADD COLUMN class_source TEXT CHECK (class_source IN ('person','classifier','cluster'));
      ALTER TABLE segments ADD COLUMN class_confidence REAL;
      CREATE TABLE embeddings (
        key TEXT PRIMARY KEY,
        data BLOB NOT NULL,
        created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
      );
      CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
      );
    `,
  },
  {
    version: 3,
    description: 'edit log: undo records and checkpoint position',
    sql: `
      ALTER TABLE segmentations ADD COLUMN checkpoint_seq INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE segmentations ADD COLUMN base_seq INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE edit_log ADD COLUMN info TEXT;
      CREATE INDEX edit_log_undone ON edit_log(image_id, undone, seq);
    `,
  },
  {
    version: 4,
    description: 'classifier version on segments, saved clusterings',
    sql: `
      ALTER TABLE segments ADD COLUMN class_model INTEGER;
      CREATE TABLE clusterings (
        image_id INTEGER PRIMARY KEY REFERENCES images(id) ON DELETE CASCADE,
        revision TEXT NOT NULL,
        state TEXT NOT NULL,
        created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
      );
    `,
  },
  {
    version: 5,
    description: 'segment provenance (imported classes, hand-edited segments), class values and deletion, segmentation versions',
    // SQLite cannot widen a CHECK constraint in place, so the segments table is rebuilt. Class
    // sources of older projects: a 'cluster' class outside pixel k-means phase maps was given by a
    // person from the cluster menu (now 'person'); a class without a source is an imported one on
    // imported segments and a person's otherwise. Segments drawn by hand (brush, SAM prompt) count
    // as edited; earlier hand edits of automatic segments were not recorded and cannot be known.
    sql: `
      CREATE TABLE segments_v5 (
        image_id INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,
        id INTEGER NOT NULL,
        class_id INTEGER REFERENCES classes(id) ON DELETE SET NULL,
        class_source TEXT CHECK (class_source IN ('person','classifier','cluster','import')),
        class_confidence REAL,
        class_model INTEGER,
        source TEXT NOT NULL CHECK (source IN ('auto','prompt','brush','import')),
        verified INTEGER NOT NULL DEFAULT 0,
        edited INTEGER NOT NULL DEFAULT 0,
        cluster_id INTEGER,
        area INTEGER NOT NULL,
        bbox_x INTEGER NOT NULL,
        bbox_y INTEGER NOT NULL,
        bbox_w INTEGER NOT NULL,
        bbox_h INTEGER NOT NULL,
        PRIMARY KEY (image_id, id)
      ) WITHOUT ROWID;
      INSERT INTO segments_v5 (image_id, id, class_id, class_source, class_confidence, class_model, source, verified, edited, cluster_id, area, bbox_x, bbox_y, bbox_w, bbox_h)
        SELECT image_id, id, class_id,
          CASE
            WHEN class_id IS NULL THEN NULL
            WHEN class_source = 'cluster' AND image_id NOT IN (SELECT image_id FROM segmentations WHERE engine = 'pixel-kmeans') THEN 'person'
            WHEN class_source IS NULL AND source = 'import' THEN 'import'
            WHEN class_source IS NULL THEN 'person'
            ELSE class_source
          END,
          class_confidence, class_model, source, verified,
          CASE WHEN source IN ('brush', 'prompt') THEN 1 ELSE 0 END,
          cluster_id, area, bbox_x, bbox_y, bbox_w, bbox_h
        FROM segments;
      DROP TABLE segments;
      ALTER TABLE segments_v5 RENAME TO segments;
      ALTER TABLE classes ADD COLUMN value INTEGER;
      ALTER TABLE classes ADD COLUMN deleted INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE segmentations ADD COLUMN settings TEXT;
      ALTER TABLE segmentations ADD COLUMN made_at TEXT;
      UPDATE segmentations SET made_at = updated_at;
      CREATE TABLE segmentation_versions (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        image_id INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,
        engine TEXT NOT NULL,
        settings TEXT,
        made_at TEXT,
        replaced_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
        replaced_by TEXT NOT NULL,
        edit_count INTEGER NOT NULL,
        segment_count INTEGER NOT NULL,
        person_count INTEGER NOT NULL,
        width INTEGER NOT NULL,
        height INTEGER NOT NULL,
        next_id INTEGER NOT NULL,
        labels BLOB NOT NULL,
        segments BLOB NOT NULL
      );
      CREATE INDEX segmentation_versions_image ON segmentation_versions(image_id, id);
    `,
  },
  {
    version: 6,
    description: 'indexes for big projects: images by file, segments with a class',
    // images(file): removing an image asks whether another page still uses its file. segments
    // (class_id): reassigning or deleting a class (and the class foreign key's ON DELETE) finds
    // its segments without reading every segment row; partial, as most segments have no class.
    sql: `
      CREATE INDEX images_file ON images(file);
      CREATE INDEX segments_class ON segments(class_id) WHERE class_id IS NOT NULL;
    `,
  },
  {
    version: 7,
    description: 'learning from corrections: scribble strokes, trained pixel classifiers',
    sql: `
      CREATE TABLE learn_strokes (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        image_id INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,
        kind TEXT NOT NULL CHECK (kind IN ('paint','erase')),
        class_id INTEGER REFERENCES classes(id) ON DELETE SET NULL,
        radius REAL NOT NULL,
        points BLOB NOT NULL,
        undone INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
      );
      CREATE INDEX learn_strokes_image ON learn_strokes(image_id, id);
      CREATE TABLE learn_classifiers (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        info TEXT NOT NULL,
        data BLOB NOT NULL,
        created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
      );
    `,
  },
  {
    version: 8,
    description: 'slice stacks: ordered slices with spacing, 3D objects linking segments across slices',
    sql: `
      CREATE TABLE stacks (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        name TEXT NOT NULL,
        spacing_um REAL,
        created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
      );
      CREATE TABLE stack_slices (
        stack_id INTEGER NOT NULL REFERENCES stacks(id) ON DELETE CASCADE,
        z INTEGER NOT NULL,
        image_id INTEGER NOT NULL UNIQUE REFERENCES images(id) ON DELETE CASCADE,
        PRIMARY KEY (stack_id, z)
      ) WITHOUT ROWID;
      CREATE TABLE stack_objects (
        image_id INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,
        segment_id INTEGER NOT NULL,
        object_id INTEGER NOT NULL,
        PRIMARY KEY (image_id, segment_id)
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 9,
    description: 'elemental maps (EDS and other channels) registered onto images',
    // One row per map: the stored file (channels/ beside images/, named by content hash) and page,
    // the registration onto its image (x_image = sx * u + tx) and how it was found, the overlay look.
    sql: `
      CREATE TABLE image_channels (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        image_id INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,
        element TEXT NOT NULL,
        name TEXT NOT NULL,
        file TEXT NOT NULL,
        page INTEGER NOT NULL DEFAULT 0,
        hash TEXT NOT NULL,
        width INTEGER NOT NULL,
        height INTEGER NOT NULL,
        bit_depth INTEGER NOT NULL,
        sx REAL NOT NULL,
        sy REAL NOT NULL,
        tx REAL NOT NULL,
        ty REAL NOT NULL,
        registered_by TEXT NOT NULL CHECK (registered_by IN ('size','estimate','points','typed')),
        registration_score REAL,
        color TEXT NOT NULL,
        opacity REAL NOT NULL DEFAULT 0.5,
        visible INTEGER NOT NULL DEFAULT 1,
        created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
      );
      CREATE INDEX image_channels_image ON image_channels(image_id, id);
    `,
  },
  {
    version: 10,
    description: 'label tiles of images over the decode limit (16384^2): tiles, edit steps for undo',
    // A large image's label map in 1024 px tiles (raw-deflated little-endian uint32, only tiles
    // holding a label), written in each edit's transaction; its undo steps keep the tiles before
    // and after (null: no tile), so undo and redo survive reopening.
    sql: `
      CREATE TABLE label_tile_maps (
        image_id INTEGER PRIMARY KEY REFERENCES images(id) ON DELETE CASCADE,
        tile_size INTEGER NOT NULL,
        max_id INTEGER NOT NULL DEFAULT 0
      );
      CREATE TABLE label_tiles (
        image_id INTEGER NOT NULL REFERENCES label_tile_maps(image_id) ON DELETE CASCADE,
        tx INTEGER NOT NULL,
        ty INTEGER NOT NULL,
        data BLOB NOT NULL,
        PRIMARY KEY (image_id, tx, ty)
      );
      CREATE TABLE label_tile_steps (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        image_id INTEGER NOT NULL REFERENCES label_tile_maps(image_id) ON DELETE CASCADE,
        box_x INTEGER NOT NULL,
        box_y INTEGER NOT NULL,
        box_w INTEGER NOT NULL,
        box_h INTEGER NOT NULL,
        undone INTEGER NOT NULL DEFAULT 0
      );
      CREATE INDEX label_tile_steps_image ON label_tile_steps(image_id, id);
      CREATE TABLE label_tile_step_tiles (
        step_id INTEGER NOT NULL REFERENCES label_tile_steps(id) ON DELETE CASCADE,
        tx INTEGER NOT NULL,
        ty INTEGER NOT NULL,
        before BLOB,
        after BLOB,
        PRIMARY KEY (step_id, tx, ty)
      );
    `,
  },
];

export const latestVersion = migrations[migrations.length - 1]!.version;
