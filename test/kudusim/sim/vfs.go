package sim

import (
	"encoding/binary"
	"encoding/hex"
	"sort"
	"strings"
	"time"

	"github.com/dumpflow/dumpflow/test/kudusim/dumpgen"
)

// vfs is an app's %HOME% (D:\home): shared by all its instances, as the
// real content volume is. Paths are keyed lower-case with '/' separators
// (Windows file names are case-insensitive); the first spelling is kept
// for listings.
type vfs struct {
	files map[string]*vfile
	dirs  map[string]string // key -> display path; "" is the root
}

// vfile is a file: either stored bytes (PUT) or a generated dump written
// by the dump tool.
type vfile struct {
	name         string // display path
	data         []byte
	dump         *dumpgen.Dump
	size         int64 // bytes on disk (a dump cut by the idle rule is shorter)
	locked       bool  // a writer holds it with share mode None
	started      time.Time
	writeTime    time.Duration
	ctime, mtime time.Time
}

// newVFS returns an app's %HOME% with the folders App Service creates.
func newVFS() *vfs {
	return newTree("LogFiles", `LogFiles\minidump`, "data", "site", `site\wwwroot`, "SiteExtensions")
}

// newTree returns a tree holding the given folders.
func newTree(dirs ...string) *vfs {
	v := &vfs{files: map[string]*vfile{}, dirs: map[string]string{"": ""}}
	for _, d := range dirs {
		v.mkdirAll(d)
	}
	return v
}

// newSystemDrive is the read-only part of %SystemDrive% (C:) a sandboxed
// site can list through /api/vfs/SystemDrive/.
func newSystemDrive() *vfs {
	return newTree("Program Files", "Program Files (x86)", `Program Files (x86)\SiteExtensions`, "Windows",
		`Windows\System32`, `Windows\Microsoft.NET`, "local", `local\Temp`, `local\Config`, `local\LocalAppData`)
}

// newLocalSiteRoot is an instance's C:\local (the parent of %TMP%): local
// to the instance, writable by the site.
func newLocalSiteRoot() *vfs {
	return newTree("Temp", "Config", "LocalAppData", "VirtualDirectory0")
}

// cleanPath normalises a VFS path (either separator) to its display form
// without leading or trailing separators. ok is false for paths that leave
// the root.
func cleanPath(p string) (string, bool) {
	var out []string
	for _, seg := range strings.FieldsFunc(p, func(r rune) bool { return r == '/' || r == '\\' }) {
		switch seg {
		case ".":
		case "..":
			if len(out) == 0 {
				return "", false
			}
			out = out[:len(out)-1]
		default:
			out = append(out, seg)
		}
	}
	return strings.Join(out, `\`), true
}

func key(p string) string { return strings.ToLower(p) }

func parent(p string) string {
	if i := strings.LastIndex(p, `\`); i >= 0 {
		return p[:i]
	}
	return ""
}

func (v *vfs) mkdirAll(p string) {
	for q := p; q != ""; q = parent(q) {
		if _, ok := v.dirs[key(q)]; !ok {
			v.dirs[key(q)] = q
		}
	}
}

func (v *vfs) isDir(p string) bool { _, ok := v.dirs[key(p)]; return ok }

// entry is one child in a directory listing.
type entry struct {
	name   string
	dir    bool
	f      *vfile
	staged *staging
}

// children lists a directory. The app's staging file (st, nil for trees
// other than %HOME%) appears under LogFiles\minidump while it exists.
func (v *vfs) children(st *staging, dir string) []entry {
	var out []entry
	prefix := key(dir)
	if prefix != "" {
		prefix += `\`
	}
	for k, d := range v.dirs {
		if k != "" && strings.HasPrefix(k, prefix) && !strings.Contains(k[len(prefix):], `\`) {
			out = append(out, entry{name: d[len(prefix):], dir: true})
		}
	}
	for k, f := range v.files {
		if strings.HasPrefix(k, prefix) && !strings.Contains(k[len(prefix):], `\`) {
			out = append(out, entry{name: f.name[len(prefix):], f: f})
		}
	}
	if st != nil && key(dir) == key(parent(stagingPath)) && st.state != stageAbsent {
		out = append(out, entry{name: "minidump.dmp", staged: st})
	}
	sort.Slice(out, func(i, j int) bool { return key(out[i].name) < key(out[j].name) })
	return out
}

// progress is the file's current size and lock state.
func (f *vfile) progress(now time.Time) (size int64, locked bool) {
	if !f.locked {
		return f.size, false
	}
	if f.writeTime <= 0 {
		return 0, true
	}
	frac := float64(now.Sub(f.started)) / float64(f.writeTime)
	if frac > 1 {
		frac = 1
	}
	return int64(float64(f.size) * frac), true
}

// etag is Kudu's strong ETag: LastWriteTimeUtc ticks as 8 little-endian
// bytes in lower-case hex, quoted.
func etag(t time.Time) string {
	ticks := uint64(t.UTC().UnixNano()/100) + 621355968000000000
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], ticks)
	return `"` + hex.EncodeToString(b[:]) + `"`
}

// netOffsetTime is Newtonsoft's DateTimeOffset form for VFS listings.
func netOffsetTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.9999999-07:00")
}
