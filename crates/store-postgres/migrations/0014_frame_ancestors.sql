-- Origins allowed to embed a partner's hosted flow in an iframe (a JSON array of origins);
-- empty: the hosted pages refuse every frame.
ALTER TABLE partners ADD COLUMN frame_ancestors TEXT NOT NULL DEFAULT '[]';
