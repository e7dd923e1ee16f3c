package fileblob

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"syscall"

	"github.com/dumpflow/dumpflow/pkg/blob"
)

// List implements blob.Driver: the regular files under DIR outside
// DIR/.dumpflow whose names start with prefix, with the attributes of
// their current version. A file whose attributes are missing or damaged
// is listed with its size, time and no metadata, so that it is not
// silently dropped; reading it reports the damage. Like Azure's, a
// listing is not a snapshot: a blob created or deleted during the call
// may or may not be listed.
func (d *driver) List(ctx context.Context, prefix string) ([]blob.Attributes, error) {
	// Walk only the deepest directory the prefix names in full.
	start := "."
	if i := strings.LastIndexByte(prefix, '/'); i > 0 {
		start = prefix[:i]
		if blob.ValidateKey(start) != nil {
			return nil, nil // no valid key has this prefix
		}
	}
	var out []blob.Attributes
	err := fs.WalkDir(d.root.FS(), start, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			if p == start && errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
				return fs.SkipAll
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if e.IsDir() {
			if p == stateDir || (p != "." && !strings.HasPrefix(p+"/", prefix) && !strings.HasPrefix(prefix, p+"/")) {
				return fs.SkipDir
			}
			return nil
		}
		if !e.Type().IsRegular() || !strings.HasPrefix(p, prefix) || blob.ValidateKey(p) != nil {
			return nil
		}
		a, ok, err := d.listOne(p)
		if err != nil {
			return err
		}
		if ok {
			out = append(out, a)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("fileblob: listing %q in %s: %w", prefix, d.dir, err)
	}
	return out, nil
}

// listOne returns the attributes of the blob under key, if it still
// exists.
func (d *driver) listOne(key string) (blob.Attributes, bool, error) {
	for attempt := 0; ; attempt++ {
		fi, err := d.root.Lstat(name(key))
		if errors.Is(err, fs.ErrNotExist) {
			return blob.Attributes{}, false, nil // deleted meanwhile
		}
		if err != nil {
			return blob.Attributes{}, false, err
		}
		sc, err := d.attrsOf(key, fi)
		switch {
		case errors.Is(err, errReplaced) && attempt < 3:
			continue
		case errors.Is(err, blob.ErrCorrupt):
			sc = sidecar{ContentType: blob.DefaultContentType}
		case err != nil:
			return blob.Attributes{}, false, err
		}
		return attributes(key, sc, fi), true, nil
	}
}

// Delete implements blob.Driver: it removes the content file, makes that
// durable, then removes the attribute file (a leftover is harmless and
// removed by a later Open). The content file is held open meanwhile, so
// that its inode number, which names the attribute file, cannot be reused.
func (d *driver) Delete(_ context.Context, key string) error {
	f, err := d.openBeneath(name(key), openContent, 0)
	if err != nil {
		return mapErr(key, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("fileblob: %q: %w", key, err)
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%w: %q", blob.ErrNotFound, key)
	}
	if err := d.root.Remove(name(key)); err != nil {
		return mapErr(key, err)
	}
	if err := d.syncDir(path.Dir(key)); err != nil {
		return err
	}
	_ = d.root.Remove(attrsName(key, inode(fi)))
	return nil
}
