package kudu

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// VFSEntry is one entry of a VFS folder listing (VfsControllerBase
// GetDirectoryResponse: name, size, mtime, mime; docs/kudu.md).
type VFSEntry struct {
	Name  string    `json:"name"`
	Size  int64     `json:"size"`
	MTime time.Time `json:"mtime"`
	Mime  string    `json:"mime"`
}

// IsDir reports whether the entry is a folder.
func (e VFSEntry) IsDir() bool { return e.Mime == "inode/directory" }

// ErrRangeNotSatisfiable: a ranged VFS read started at or past the end of
// the file (Kudu's 416). RangeError carries the file's current size.
var ErrRangeNotSatisfiable = errors.New("kudu: range not satisfiable")

// RangeError is a 416 answer: the file is Size bytes long (from
// "Content-Range: bytes */Size"), -1 when Kudu did not say.
type RangeError struct {
	Op   string
	Size int64
}

func (e *RangeError) Error() string {
	return fmt.Sprintf("kudu: %s: range not satisfiable (file is %d bytes)", e.Op, e.Size)
}

// Is makes errors.Is(err, ErrRangeNotSatisfiable) true.
func (e *RangeError) Is(target error) bool { return target == ErrRangeNotSatisfiable }

// ListVFS lists the folder dir under %HOME% (slashes or backslashes). A
// missing folder matches ErrNotFound.
func (cl *Client) ListVFS(ctx context.Context, dir string) ([]VFSEntry, error) {
	var raw []struct {
		Name  string `json:"name"`
		Size  int64  `json:"size"`
		MTime string `json:"mtime"`
		Mime  string `json:"mime"`
	}
	if err := cl.c.getJSON(ctx, "list VFS folder "+dir, cl.vfsURL(dir, "")+"/", nil, &raw); err != nil {
		return nil, err
	}
	out := make([]VFSEntry, 0, len(raw))
	for _, r := range raw {
		e := VFSEntry{Name: r.Name, Size: r.Size, Mime: r.Mime}
		// Newtonsoft writes DateTimeOffset with an offset (RFC 3339); an
		// unreadable time is left zero rather than failing the listing.
		e.MTime, _ = time.Parse(time.RFC3339Nano, r.MTime)
		out = append(out, e)
	}
	return out, nil
}

// ETag is the ETag Kudu gives the file: its last write time in ticks
// (VfsController.CreateEntityTag; docs/kudu.md), computed from the
// listing's mtime, which carries the same time to 100 ns. Empty for a
// folder or an unreadable time.
func (e VFSEntry) ETag() string {
	if e.IsDir() || e.MTime.IsZero() {
		return ""
	}
	return EntityTag(e.MTime)
}

// EntityTag is Kudu's strong ETag for a last write time: the 8
// little-endian bytes of its .NET ticks in lower-case hex, quoted.
func EntityTag(t time.Time) string {
	const unixEpochTicks = 621355968000000000
	ticks := uint64(t.UTC().UnixNano()/100 + unixEpochTicks)
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], ticks)
	return `"` + hex.EncodeToString(b[:]) + `"`
}

// ReadVFSRange reads at most n bytes of the file dir/name from offset off.
// Kudu honours Range only with an If-Range naming the file's current ETag
// (VfsControllerBase.IsRangeRequest; docs/kudu.md), so the request carries
// etag (VFSEntry.ETag of the listing); when the file changed since, Kudu
// answers 200 with its new ETag and the read is asked again once with it.
// It returns the bytes and the file's size. A range past the end is a
// *RangeError (416, with the size). A 200 that remains (no ETag to match)
// is read past off and still bounded by n, so memory stays within n
// whatever the file's size.
func (cl *Client) ReadVFSRange(ctx context.Context, dir, name string, off, n int64, etag string) ([]byte, int64, error) {
	op := "read VFS file " + strings.TrimSuffix(dir, "/") + "/" + name
	if off < 0 || n <= 0 {
		return nil, 0, fmt.Errorf("kudu: %s: bad range offset %d length %d", op, off, n)
	}
	for attempt := 0; ; attempt++ {
		h := http.Header{"Range": {"bytes=" + strconv.FormatInt(off, 10) + "-" + strconv.FormatInt(off+n-1, 10)}}
		if etag != "" {
			h.Set("If-Range", etag)
		}
		resp, err := cl.c.do(ctx, call{op: op, method: http.MethodGet, url: cl.vfsURL(dir, name), header: h, stream: true,
			ok: func(s int) bool {
				return s == http.StatusOK || s == http.StatusPartialContent || s == http.StatusRequestedRangeNotSatisfiable
			}})
		if err != nil {
			return nil, 0, err
		}
		if cur := resp.Header.Get("ETag"); resp.StatusCode == http.StatusOK && attempt == 0 && cur != "" && cur != etag {
			resp.Body.Close() // the file changed since the listing: ask again with its tag
			etag = cur
			continue
		}
		data, size, err := readRange(op, resp, off, n)
		resp.Body.Close()
		return data, size, err
	}
}

// readRange reads the answer to a ranged GET.
func readRange(op string, resp *http.Response, off, n int64) ([]byte, int64, error) {
	switch resp.StatusCode {
	case http.StatusRequestedRangeNotSatisfiable:
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBody))
		size := int64(-1)
		if v, ok := strings.CutPrefix(resp.Header.Get("Content-Range"), "bytes */"); ok {
			if s, err := strconv.ParseInt(v, 10, 64); err == nil && s >= 0 {
				size = s
			}
		}
		return nil, size, &RangeError{Op: op, Size: size}
	case http.StatusPartialContent:
		start, total, err := parseContentRange(resp.Header.Get("Content-Range"))
		if err != nil || start != off {
			return nil, 0, fmt.Errorf("kudu: %s: asked for bytes from %d, got Content-Range %q", op, off, resp.Header.Get("Content-Range"))
		}
		data, err := io.ReadAll(io.LimitReader(resp.Body, n))
		if err != nil {
			return nil, 0, fmt.Errorf("kudu: %s: %w", op, err)
		}
		return data, total, nil
	}
	// 200: the whole file. Skip to off, keep at most n bytes.
	size := resp.ContentLength
	if _, err := io.CopyN(io.Discard, resp.Body, off); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, size, &RangeError{Op: op, Size: size}
		}
		return nil, 0, fmt.Errorf("kudu: %s: %w", op, err)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, n))
	if err != nil {
		return nil, 0, fmt.Errorf("kudu: %s: %w", op, err)
	}
	return data, size, nil
}
