package sim

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
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

// tree is one VFS root as a request sees it: the app's %HOME% (D:\home,
// where the staging file lives) or one of Kudu's special folders.
type tree struct {
	fs       *vfs
	root     string   // display path of the root, no trailing separator
	st       *staging // the app's staging file; nil outside %HOME%
	readOnly bool     // the sandbox denies writes (SystemDrive)
}

func (t tree) full(p string) string { return t.root + `\` + p }

// homeRoot is %HOME% on App Service.
const homeRoot = `D:\home`

func fullPath(p string) string { return homeRoot + `\` + p }

// Kudu's VfsSpecialFolders: names reserved at the VFS root.
const (
	systemDriveFolder   = "SystemDrive"
	localSiteRootFolder = "LocalSiteRoot"
)

func vfsNotFound(w http.ResponseWriter, full string) {
	writeJSON(w, http.StatusNotFound, kuduError{"'" + full + "' not found."})
}

func vfsSharingViolation(w http.ResponseWriter, full string) {
	writeJSON(w, http.StatusNotFound, kuduException{
		Message:          "An error has occurred.",
		ExceptionMessage: "The process cannot access the file '" + full + "' because it is being used by another process.",
		ExceptionType:    "System.IO.IOException",
		StackTrace:       "   at System.IO.__Error.WinIOError(Int32 errorCode, String maybeFullPath)\r\n   at System.IO.FileStream.Init(...)\r\n   at Kudu.Services.Infrastructure.VfsControllerBase.GetItem()",
	})
}

// Messages from Kudu.Services' Resources.resx.
const (
	msgEtagMismatch       = "ETag does not represent the latest state of the resource."
	msgCannotDeleteDir    = "Cannot delete directory. It is either not empty or access is not allowed."
	msgCannotUpdateDir    = "Cannot PUT to a directory."
	msgWriteConflictFmt   = "Could not write to local resource '%s' due to error '%s'."
	msgSharingViolatedFmt = "The process cannot access the file '%s' because it is being used by another process."
)

// etagMismatch is VfsController's answer to an If-Match that names no
// current tag, and also to a missing If-Match: Web API's IfMatch
// collection is never null, so Kudu's "missing If-Match" branch is dead
// code and an absent header takes this path (VfsControllerBaseTest, "2nd
// create attempt fails").
func etagMismatch(w http.ResponseWriter, cur string) {
	w.Header().Set("ETag", cur)
	writeJSON(w, http.StatusPreconditionFailed, kuduError{msgEtagMismatch})
}

// ifMatch reports whether any entity tag of the request's If-Match
// headers is "*" or equals cur (a strong comparison, as
// EntityTagHeaderValue.Equals: a weak W/ tag never equals a strong one).
func ifMatch(r *http.Request, cur string) bool {
	for _, h := range r.Header.Values("If-Match") {
		for _, t := range strings.Split(h, ",") {
			t = strings.TrimSpace(t)
			if t == "*" || t == cur {
				return true
			}
		}
	}
	return false
}

// serveVFS handles /api/vfs{tail} and /vfs{tail} for GET, HEAD, PUT and
// DELETE (VfsControllerBase.GetItem/PutItem/DeleteItem); tail is "" for
// the bare root, else it starts with "/".
func (s *Server) serveVFS(w http.ResponseWriter, r *http.Request, a *app, in *instance, tail string) {
	slash := strings.HasSuffix(tail, "/")
	p, ok := cleanPath(tail)
	if !ok {
		writeJSON(w, http.StatusBadRequest, kuduError{"The path '" + tail + "' leaves the VFS root."})
		return
	}
	t := tree{fs: a.fs, root: homeRoot, st: &a.staging}
	first, rest, _ := strings.Cut(p, `\`)
	switch {
	case strings.EqualFold(first, systemDriveFolder):
		if rest == "" && !slash {
			// VfsSpecialFolders.TryHandleRequest: the bare SystemDrive is
			// redirected for every verb.
			redirect(w, r, true)
			return
		}
		t, p = tree{fs: s.sysDrv, root: "C:", readOnly: true}, rest
	case strings.EqualFold(first, localSiteRootFolder):
		t, p = tree{fs: in.local, root: `C:\local`}, rest
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		s.vfsGet(w, r, a, in, t, p, slash)
	case http.MethodPut:
		s.vfsPut(w, r, t, p, slash)
	case http.MethodDelete:
		s.vfsDelete(w, r, t, p, slash)
	}
}

func redirect(w http.ResponseWriter, r *http.Request, addSlash bool) {
	u := *r.URL
	if addSlash {
		u.Path += "/"
	} else {
		u.Path = strings.TrimRight(u.Path, "/")
	}
	u.RawPath = ""
	w.Header().Set("Location", "http://"+r.Host+u.RequestURI())
	w.WriteHeader(http.StatusTemporaryRedirect)
}

// notFoundPath is DirectoryInfo.FullName as Kudu's 404 shows it: a
// requested trailing separator is kept.
func (t tree) notFoundPath(p string, slash bool) string {
	f := t.full(p)
	if p == "" {
		return t.root + `\`
	}
	if slash {
		f += `\`
	}
	return f
}

func (s *Server) vfsGet(w http.ResponseWriter, r *http.Request, a *app, in *instance, t tree, p string, slash bool) {
	now := time.Now().UTC()
	s.mu.Lock()
	fs := t.fs
	f := fs.files[key(p)]
	staged := t.st != nil && key(p) == key(stagingPath) && t.st.state != stageAbsent
	switch {
	case fs.isDir(p) && slash:
		list := s.listing(r, t, p, now)
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, list)
		return
	case fs.isDir(p):
		s.mu.Unlock()
		redirect(w, r, true)
		return
	case (f != nil || staged) && slash:
		s.mu.Unlock()
		redirect(w, r, false)
		return
	case f == nil && !staged:
		s.mu.Unlock()
		vfsNotFound(w, t.notFoundPath(p, slash))
		return
	}
	var (
		content io.ReadSeeker
		mtime   time.Time
		size    int64
		ev      = Event{Kind: EventVFSRead, App: a.name, Instance: in.id, Path: p}
	)
	if t.fs != a.fs {
		ev.Path = t.full(p)
	}
	if staged {
		if t.st.state == stageWriting {
			s.mu.Unlock()
			vfsSharingViolation(w, t.full(p))
			return
		}
		d := t.st.dump
		content, mtime, size = d.NewReader(), t.st.mtime, d.Size()
	} else {
		sz, locked := f.progress(now)
		if locked {
			s.mu.Unlock()
			vfsSharingViolation(w, t.full(p))
			return
		}
		mtime, size = f.mtime, sz
		if f.dump != nil {
			content = io.NewSectionReader(f.dump, 0, sz)
		} else {
			content = bytes.NewReader(f.data)
		}
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
	if r.Header.Get("If-Range") == "" {
		// VfsControllerBase.IsRangeRequest: a Range without If-Range is
		// not a range request; the whole file comes back with 200.
		r.Header.Del("Range")
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

// mediaTypes is the part of System.Web's MimeMapping (Kudu's MediaTypeMap)
// the simulator serves: bare media types, no charset. Other extensions,
// .dmp included, are application/octet-stream.
var mediaTypes = map[string]string{
	".txt": "text/plain", ".log": "text/plain", ".htm": "text/html", ".html": "text/html",
	".css": "text/css", ".js": "application/javascript", ".json": "application/json",
	".xml": "text/xml", ".config": "application/xml", ".zip": "application/x-zip-compressed",
	".dll": "application/x-msdownload", ".exe": "application/octet-stream",
	".cmd": "application/octet-stream", ".png": "image/png", ".jpg": "image/jpeg",
}

func mimeOf(p string) string {
	if t, ok := mediaTypes[strings.ToLower(path.Ext(strings.ReplaceAll(p, `\`, "/")))]; ok {
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

// escapeURIString is .NET's Uri.EscapeUriString, which Kudu applies to
// listing names: it keeps RFC 3986's unreserved and reserved characters
// (so ';', ',', '&', '=' … stay as they are) and percent-encodes the rest;
// Kudu then escapes '#' too.
func escapeURIString(name string) string {
	const keep = "-._~:/?[]@!$&'()*+,;="
	var b strings.Builder
	for _, c := range []byte(name) {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c != 0 && strings.IndexByte(keep, c) >= 0:
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// listing builds a directory listing; the caller holds s.mu.
func (s *Server) listing(r *http.Request, t tree, dir string, now time.Time) []vfsEntry {
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
	for _, e := range t.fs.children(t.st, dir) {
		full := e.name
		if dir != "" {
			full = dir + `\` + e.name
		}
		ve := vfsEntry{Name: e.name, MTime: netOffsetTime(boot), CRTime: netOffsetTime(boot), Path: t.full(full),
			Href: reqURL + escapeURIString(e.name)}
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
	if dir == "" && t.st != nil {
		for _, v := range []vfsEntry{{Name: systemDriveFolder, Path: `C:\`}, {Name: localSiteRootFolder, Path: `C:\local`}} {
			v.Mime, v.MTime, v.CRTime, v.Href = "inode/shortcut", netOffsetTime(boot), netOffsetTime(boot), reqURL+v.Name+"/"+q
			list = append(list, v)
		}
	}
	return list
}

// vfsPut is PutItem: an existing folder gets 409; a path with a trailing
// slash creates a folder (409 when a file has that name); otherwise the
// file is written, an existing one only with a matching If-Match.
func (s *Server) vfsPut(w http.ResponseWriter, r *http.Request, t tree, p string, slash bool) {
	s.mu.Lock()
	isDir, isFile := t.fs.isDir(p), t.fs.files[key(p)] != nil || (t.st != nil && key(p) == key(stagingPath) && t.st.state != stageAbsent)
	switch {
	case isDir:
		s.mu.Unlock()
		writeJSON(w, http.StatusConflict, kuduError{msgCannotUpdateDir})
		return
	case slash && (isFile || t.readOnly):
		// DirectoryInfo.Create fails: a file holds the name, or the
		// sandbox denies the write.
		s.mu.Unlock()
		writeJSON(w, http.StatusConflict, kuduError{msgCannotDeleteDir})
		return
	case slash:
		t.fs.mkdirAll(p)
		s.mu.Unlock()
		w.WriteHeader(http.StatusCreated)
		return
	}
	s.mu.Unlock()
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
	full := t.full(p)
	writeConflict := func(why string) {
		writeJSON(w, http.StatusConflict, kuduError{fmt.Sprintf(msgWriteConflictFmt, full, why)})
	}
	if t.fs.isDir(p) { // created meanwhile
		writeJSON(w, http.StatusConflict, kuduError{msgCannotUpdateDir})
		return
	}
	if t.st != nil && key(p) == key(stagingPath) && t.st.state != stageAbsent {
		cur := etag(t.st.mtime)
		if !ifMatch(r, cur) {
			etagMismatch(w, cur)
			return
		}
		writeConflict(fmt.Sprintf(msgSharingViolatedFmt, full)) // Kudu's handle has no write sharing
		return
	}
	f := t.fs.files[key(p)]
	if f != nil {
		cur := etag(f.mtime)
		if !ifMatch(r, cur) {
			etagMismatch(w, cur)
			return
		}
		if f.locked {
			writeConflict(fmt.Sprintf(msgSharingViolatedFmt, full))
			return
		}
	}
	if t.readOnly {
		writeConflict("Access to the path '" + full + "' is denied.")
		return
	}
	status := http.StatusNoContent
	if f == nil {
		status = http.StatusCreated
		t.fs.mkdirAll(parent(p))
		f = &vfile{name: p, ctime: now}
		t.fs.files[key(p)] = f
	}
	f.data, f.dump, f.size, f.mtime = body, nil, int64(len(body)), now
	setEntityTag(w, now)
	w.WriteHeader(status)
}

// setEntityTag is Kudu's SetEntityTagHeader: the ETag and, on the
// content, Last-Modified (both from LastWriteTimeUtc).
func setEntityTag(w http.ResponseWriter, mtime time.Time) {
	w.Header().Set("ETag", etag(mtime))
	w.Header().Set("Last-Modified", mtime.UTC().Format(http.TimeFormat))
}

// vfsDelete is DeleteItem: a folder (with or without its trailing slash)
// is deleted if empty or with ?recursive=true; a file path with a
// trailing slash is redirected; a file needs a matching If-Match.
func (s *Server) vfsDelete(w http.ResponseWriter, r *http.Request, t tree, p string, slash bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fs := t.fs
	if fs.isDir(p) {
		kids := fs.children(t.st, p)
		locked := false
		for k, f := range fs.files {
			if strings.HasPrefix(k, key(p)+`\`) && f.locked {
				locked = true
			}
		}
		recursive := strings.EqualFold(r.URL.Query().Get("recursive"), "true")
		if p == "" || t.readOnly || locked || (len(kids) > 0 && !recursive) ||
			(t.st != nil && t.st.state != stageAbsent && strings.HasPrefix(key(stagingPath), key(p)+`\`)) {
			writeJSON(w, http.StatusConflict, kuduError{msgCannotDeleteDir})
			return
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
	staged := t.st != nil && key(p) == key(stagingPath) && t.st.state != stageAbsent
	f := fs.files[key(p)]
	switch {
	case f == nil && !staged:
		vfsNotFound(w, t.notFoundPath(p, slash))
		return
	case slash:
		redirect(w, r, false)
		return
	}
	var cur string
	if staged {
		cur = etag(t.st.mtime)
	} else {
		cur = etag(f.mtime)
	}
	if !ifMatch(r, cur) {
		etagMismatch(w, cur)
		return
	}
	switch {
	case staged || f.locked:
		vfsSharingViolation(w, t.full(p)) // the holder's handle lacks FILE_SHARE_DELETE
		return
	case t.readOnly:
		writeJSON(w, http.StatusNotFound, kuduException{Message: "An error has occurred.",
			ExceptionMessage: "Access to the path '" + t.full(p) + "' is denied.", ExceptionType: "System.UnauthorizedAccessException"})
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
