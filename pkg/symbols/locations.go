package symbols

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/dumpflow/dumpflow/pkg/pdb"
)

// ErrCompressedOnly is wrapped (with ErrNotFound) when a Microsoft symbol server has only
// the compressed form of a PDB (name.pd_, a CAB archive), which is not read yet.
var ErrCompressedOnly = errors.New("symbols: only the compressed .pd_ form is available, which is not supported yet")

// localStore is a directory in Breakpad's layout (<file>/<id>/<name>.sym), also holding
// PDBs in Microsoft's layout (<file>/<id>/<file>).
type localStore struct{ dir string }

func (l *localStore) String() string { return l.dir }

func (l *localStore) load(ctx context.Context, k moduleKey) (*SymbolFile, error) {
	sf, err := loadSymFile(localPath(l.dir, k.file, k.id, k.symName()), k)
	if !errors.Is(err, fs.ErrNotExist) {
		return sf, err
	}
	if k.isPDB() {
		sf, err := loadPDB(localPath(l.dir, k.file, k.id, k.file), k)
		if !errors.Is(err, fs.ErrNotExist) {
			return sf, err
		}
	}
	return nil, fmt.Errorf("%w: %s in %s", ErrNotFound, k, l.dir)
}

// httpStore is a Breakpad-layout symbol server; files are downloaded into cache once.
type httpStore struct {
	remote *remote
	cache  string
	fetch  *fetcher
}

func (h *httpStore) String() string { return h.remote.String() }

func (h *httpStore) load(ctx context.Context, k moduleKey) (*SymbolFile, error) {
	segs := []string{k.file, k.id, k.symName()}
	dest := localPath(h.cache, segs...)
	if err := h.fetch.get(ctx, h.remote, segs, dest); err != nil {
		return nil, err
	}
	sf, err := loadSymFile(dest, k)
	if err != nil {
		// A server that answers 200 with something else (an HTML page, another
		// module's file) must not poison the cache.
		_ = os.Remove(dest)
		return nil, fmt.Errorf("%w (downloaded from %s; removed from the cache)", err, h.remote.file(segs...))
	}
	return sf, nil
}

// msServer is a Microsoft symbol server (srv*…): PDBs at <file>/<id>/<file>, looked for
// in the local directories first, then downloaded from remote into cache.
type msServer struct {
	dirs   []string // local stores in Microsoft layout, in order (the cache first)
	cache  string
	remote *remote // nil for srv*DIR
	fetch  *fetcher
}

func (m *msServer) String() string {
	src := strings.Join(m.dirs, "*")
	if m.remote != nil {
		src += "*" + m.remote.String()
	}
	return "srv*" + strings.TrimPrefix(src, "*")
}

func (m *msServer) load(ctx context.Context, k moduleKey) (*SymbolFile, error) {
	if !k.isPDB() {
		return nil, fmt.Errorf("%w: %s is not a PDB (a Microsoft symbol server is read for PDBs only)", ErrNotFound, k.file)
	}
	for _, d := range m.dirs {
		sf, err := loadPDB(localPath(d, k.file, k.id, k.file), k)
		if !errors.Is(err, fs.ErrNotExist) {
			return sf, err
		}
	}
	if m.remote == nil {
		return nil, fmt.Errorf("%w: %s in %s", ErrNotFound, k, m)
	}
	segs := []string{k.file, k.id, k.file}
	dest := localPath(m.cache, segs...)
	err := m.fetch.get(ctx, m.remote, segs, dest)
	if errors.Is(err, ErrNotFound) {
		packed := k.file[:len(k.file)-1] + "_"
		if m.fetch.exists(ctx, m.remote, []string{k.file, k.id, packed}) {
			return nil, fmt.Errorf("%w: %s on %s: %w", ErrNotFound, k, m.remote, ErrCompressedOnly)
		}
	}
	if err != nil {
		return nil, err
	}
	sf, err := loadPDB(dest, k)
	if err != nil {
		_ = os.Remove(dest)
		return nil, fmt.Errorf("%w (downloaded from %s; removed from the cache)", err, m.remote.file(segs...))
	}
	return sf, nil
}

// loadSymFile parses a Breakpad symbol file and checks it is the module's.
func loadSymFile(path string, k moduleKey) (*SymbolFile, error) {
	sf, err := OpenFile(path)
	if err != nil {
		return nil, err
	}
	if !strings.EqualFold(sf.Module.ID, k.id) {
		return nil, &FormatError{Msg: fmt.Sprintf("%s is for debug id %s, not %s (a misplaced file in the store)", path, sf.Module.ID, k.id)}
	}
	return sf, nil
}

// loadPDB reads a PDB's symbols and checks it is the module's.
func loadPDB(path string, k moduleKey) (*SymbolFile, error) {
	f, err := pdb.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if id := f.DebugID(); !strings.EqualFold(id, k.id) {
		return nil, &FormatError{Msg: fmt.Sprintf("%s is for debug id %s, not %s (a misplaced file in the store)", path, id, k.id)}
	}
	sf, err := FromPDB(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return sf, nil
}
