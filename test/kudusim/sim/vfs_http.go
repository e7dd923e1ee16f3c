package sim

import (
	"bytes"
	"io"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"
)

const maxPutBytes = 16 << 20

// vfsWriter strips Accept-Ranges (Kudu sets none), routes the body
// through the fault writer, and remembers what went out.
type vfsWriter struct {
	http.ResponseWriter
	bw     *bodyWriter
	status int
	crange string
}

func (v *vfsWriter) WriteHeader(code int) {
	v.Header().Del("Accept-Ranges")
	v.status, v.crange = code, v.Header().Get("Content-Range")
	v.ResponseWriter.WriteHeader(code)
}

func (v *vfsWriter) Write(p []byte) (int, error) {
	if v.status == 0 {
		v.WriteHeader(http.StatusOK)
	}
	return v.bw.Write(p)
}

func fullPath(p string) string { return `D:\home\` + p }

func vfsNotFound(w http.ResponseWriter, p string) {
	writeJSON(w, http.StatusNotFound, kuduError{"'" + fullPath(p) + "' not found."})
}

func vfsSharingViolation(w http.ResponseWriter, p string) {
	writeJSON(w, http.StatusNotFound, kuduException{
		Message:          "An error has occurred.",
		ExceptionMessage: "The process cannot access the file '" + fullPath(p) + "' because it is being used by another process.",
		ExceptionType:    "System.IO.IOException",
		StackTrace:       "   at System.IO.__Error.WinIOError(Int32 errorCode, String maybeFullPath)\r\n   at System.IO.FileStream.Init(...)\r\n   at Kudu.Services.Infrastructure.VfsControllerBase.GetItem()",
	})
}

func preconditionFailed(w http.ResponseWriter, cur string) {
	if cur != "" {
		w.Header().Set("ETag", cur)
	}
	writeJSON(w, http.StatusPreconditionFailed, kuduError{"Updating an existing resource requires an If-Match header carrying a single, strong ETag."})
}

// serveVFS handles /api/vfs/{*path} and /vfs/{*path} (see kudu-api.md,
// "VFS API"). base is the URL path of the VFS root.
func (s *Server) serveVFS(w http.ResponseWriter, r *http.Request, a *app, in *instance, base, rel string) {
	slash := strings.HasSuffix(rel, "/") || rel == ""
	p, ok := cleanPath(rel)
	if !ok {
		writeJSON(w, http.StatusBadRequest, kuduError{"The path '" + rel + "' leaves the VFS root."})
		return
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		s.vfsGet(w, r, a, in, p, slash)
	case http.MethodPut:
		s.vfsPut(w, r, a, p, slash)
	case http.MethodDelete:
		s.vfsDelete(w, r, a, p, slash)
	default:
		kuduMethodNotAllowed(w, r)
	}
}

func redirect(w http.ResponseWriter, r *http.Request, addSlash bool) {
	u := *r.URL
	if addSlash {
		u.Path += "/"
	} else {
		u.Path = strings.TrimSuffix(u.Path, "/")
	}
	u.RawPath = ""
	w.Header().Set("Location", "http://"+r.Host+u.RequestURI())
	w.WriteHeader(http.StatusTemporaryRedirect)
}

func (s *Server) vfsGet(w http.ResponseWriter, r *http.Request, a *app, in *instance, p string, slash bool) {
	now := time.Now().UTC()
	s.mu.Lock()
	fs := a.fs
	f := fs.files[key(p)]
	staged := key(p) == key(stagingPath) && a.staging.state != stageAbsent
	if slash || p == "" {
		switch {
		case fs.isDir(p):
			list := s.listing(r, a, p, now)
			s.mu.Unlock()
			writeJSON(w, http.StatusOK, list)
		case f != nil || staged:
			s.mu.Unlock()
			redirect(w, r, false)
		default:
			s.mu.Unlock()
			vfsNotFound(w, p)
		}
		return
	}
	if fs.isDir(p) {
		s.mu.Unlock()
		redirect(w, r, true)
		return
	}
	var (
		content io.ReadSeeker
		mtime   time.Time
		size    int64
		ev      = Event{Kind: EventVFSRead, App: a.name, Instance: in.id, Path: p}
	)
	switch {
	case staged:
		if a.staging.state == stageWriting {
			s.mu.Unlock()
			vfsSharingViolation(w, p)
			return
		}
		d := a.staging.dump
		content, mtime, size = d.NewReader(), a.staging.mtime, d.Size()
	case f != nil:
		sz, locked := f.progress(now)
		if locked {
			s.mu.Unlock()
			vfsSharingViolation(w, p)
			return
		}
		mtime, size = f.mtime, sz
		if f.dump != nil {
			content = io.NewSectionReader(f.dump, 0, sz)
		} else {
			content = bytes.NewReader(f.data)
		}
	default:
		s.mu.Unlock()
		vfsNotFound(w, p)
		return
	}
	s.mu.Unlock()
	tag := etag(mtime)
	w.Header().Set("ETag", tag)
	w.Header().Set("Content-Type", mimeOf(p))
	// Kudu honours Range only without If-Range or with a matching one, and
	// ignores If-None-Match on range requests; http.ServeContent does the
	// same for a strong ETag.
	if r.Header.Get("Range") != "" {
		r.Header.Del("If-None-Match") // Kudu ignores it on range requests
	}
	vw := &vfsWriter{ResponseWriter: w}
	vw.bw = s.newBodyWriter(w, r, size)
	http.ServeContent(vw, r, "", mtime, content)
	if r.Method == http.MethodGet && (vw.status == http.StatusOK || vw.status == http.StatusPartialContent) {
		ev.Status, ev.Bytes, ev.Size = vw.status, vw.bw.sent, size
		want := size
		if vw.crange != "" {
			var a, b, total int64
			if n, _ := sscanRange(vw.crange, &a, &b, &total); n == 3 {
				ev.Offset, want = a, b-a+1
			}
		}
		ev.Complete = vw.bw.sent == want && !vw.bw.hijackd
		s.log.add(ev)
	}
}

func mimeOf(p string) string {
	if t := mime.TypeByExtension(strings.ToLower(path.Ext(strings.ReplaceAll(p, `\`, "/")))); t != "" && !strings.HasSuffix(strings.ToLower(p), ".dmp") {
		return t
	}
	return "application/octet-stream"
}

// vfsEntry is one object of a directory listing: all seven keys, always.
type vfsEntry struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	MTime  string `json:"mtime"`
	CRTime string `json:"crtime"`
	Mime   string `json:"mime"`
	Href   string `json:"href"`
	Path   string `json:"path"`
}

// listing builds a directory listing; the caller holds s.mu.
func (s *Server) listing(r *http.Request, a *app, dir string, now time.Time) []vfsEntry {
	reqURL := "http://" + r.Host + r.URL.EscapedPath()
	if !strings.HasSuffix(reqURL, "/") {
		reqURL += "/"
	}
	q := ""
	if r.URL.RawQuery != "" {
		q = "?" + r.URL.RawQuery
	}
	list := []vfsEntry{}
	boot := s.cfg.Epoch
	for _, e := range a.fs.children(a, dir) {
		full := e.name
		if dir != "" {
			full = dir + `\` + e.name
		}
		ve := vfsEntry{Name: e.name, MTime: netOffsetTime(boot), CRTime: netOffsetTime(boot), Path: fullPath(full),
			Href: reqURL + url.PathEscape(e.name)}
		switch {
		case e.dir:
			ve.Mime, ve.Href = "inode/directory", ve.Href+"/"
		case e.staged != nil:
			ve.Mime, ve.MTime, ve.CRTime = mimeOf(e.name), netOffsetTime(e.staged.mtime), netOffsetTime(e.staged.ctime)
			ve.Size = e.staged.dump.Size()
			if e.staged.state == stageWriting {
				ve.Size = 0 // the enumeration size of a file open for writing lags
			}
		default:
			ve.Size, _ = e.f.progress(now)
			ve.Mime, ve.MTime, ve.CRTime = mimeOf(e.name), netOffsetTime(e.f.mtime), netOffsetTime(e.f.ctime)
		}
		ve.Href += q
		list = append(list, ve)
	}
	if dir == "" {
		for _, v := range []vfsEntry{{Name: "SystemDrive", Path: `C:\`}, {Name: "LocalSiteRoot", Path: `C:\local`}} {
			v.Mime, v.MTime, v.CRTime, v.Href = "inode/shortcut", netOffsetTime(boot), netOffsetTime(boot), reqURL+v.Name+"/"+q
			list = append(list, v)
		}
	}
	return list
}

func (s *Server) vfsPut(w http.ResponseWriter, r *http.Request, a *app, p string, slash bool) {
	if slash {
		s.mu.Lock()
		exists := a.fs.isDir(p)
		if !exists {
			a.fs.mkdirAll(p)
		}
		s.mu.Unlock()
		if exists {
			writeJSON(w, http.StatusConflict, kuduError{"Cannot create directory '" + fullPath(p) + "' as it already exists."})
			return
		}
		w.WriteHeader(http.StatusCreated)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxPutBytes+1))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, kuduError{"reading the request body: " + err.Error()})
		return
	}
	if len(body) > maxPutBytes {
		writeJSON(w, http.StatusRequestEntityTooLarge, kuduError{"the simulator stores at most 16 MiB per file"})
		return
	}
	now := time.Now().UTC()
	s.mu.Lock()
	defer s.mu.Unlock()
	if a.fs.isDir(p) || p == "" {
		writeJSON(w, http.StatusConflict, kuduError{"Cannot PUT to a directory."})
		return
	}
	if key(p) == key(stagingPath) && a.staging.state != stageAbsent {
		vfsSharingViolation(w, p)
		return
	}
	f := a.fs.files[key(p)]
	if f != nil {
		if f.locked {
			vfsSharingViolation(w, p)
			return
		}
		if im := r.Header.Get("If-Match"); im == "" || (im != "*" && im != etag(f.mtime)) {
			preconditionFailed(w, etag(f.mtime))
			return
		}
		f.data, f.dump, f.size, f.mtime = body, nil, int64(len(body)), now
		w.Header().Set("ETag", etag(now))
		w.WriteHeader(http.StatusNoContent)
		return
	}
	a.fs.mkdirAll(parent(p))
	a.fs.files[key(p)] = &vfile{name: p, data: body, size: int64(len(body)), ctime: now, mtime: now}
	w.Header().Set("ETag", etag(now))
	w.WriteHeader(http.StatusCreated)
}

func (s *Server) vfsDelete(w http.ResponseWriter, r *http.Request, a *app, p string, slash bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fs := a.fs
	if fs.isDir(p) && p != "" {
		if len(fs.children(a, p)) > 0 && !strings.EqualFold(r.URL.Query().Get("recursive"), "true") {
			writeJSON(w, http.StatusConflict, kuduError{"Cannot delete directory. It is either not empty or access is not allowed."})
			return
		}
		if len(fs.children(a, p)) > 0 {
			for k, f := range fs.files {
				if strings.HasPrefix(k, key(p)+`\`) && f.locked {
					writeJSON(w, http.StatusConflict, kuduError{"Cannot delete directory. It is either not empty or access is not allowed."})
					return
				}
			}
		}
		for k := range fs.files {
			if strings.HasPrefix(k, key(p)+`\`) {
				delete(fs.files, k)
			}
		}
		for k := range fs.dirs {
			if k == key(p) || strings.HasPrefix(k, key(p)+`\`) {
				delete(fs.dirs, k)
			}
		}
		w.WriteHeader(http.StatusOK)
		return
	}
	if key(p) == key(stagingPath) && a.staging.state != stageAbsent {
		vfsSharingViolation(w, p) // Kudu's handle lacks FILE_SHARE_DELETE
		return
	}
	f := fs.files[key(p)]
	if f == nil || slash {
		vfsNotFound(w, p)
		return
	}
	cur := etag(f.mtime)
	if im := r.Header.Get("If-Match"); im == "" || (im != "*" && im != cur) {
		preconditionFailed(w, cur)
		return
	}
	if f.locked {
		vfsSharingViolation(w, p)
		return
	}
	delete(fs.files, key(p))
	w.WriteHeader(http.StatusOK)
}

// sscanRange parses "bytes a-b/total".
func sscanRange(s string, a, b, total *int64) (int, error) {
	var n int
	rest, ok := strings.CutPrefix(s, "bytes ")
	if !ok {
		return 0, nil
	}
	ab, t, _ := strings.Cut(rest, "/")
	as, bs, _ := strings.Cut(ab, "-")
	for _, x := range []struct {
		s string
		p *int64
	}{{as, a}, {bs, b}, {t, total}} {
		v, err := parseInt64(x.s)
		if err != nil {
			return n, err
		}
		*x.p = v
		n++
	}
	return n, nil
}
