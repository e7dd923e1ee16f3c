package kudu

import (
	"context"
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

// ReadVFSRange reads at most n bytes of the file dir/name from offset off
// with "Range: bytes=off-(off+n-1)" (VfsControllerBase.GetItem honours
// Range; docs/kudu.md). It returns the bytes and the file's size as Kudu
// reported it. A range past the end is a *RangeError (416, with the size);
// a server that ignores Range (200) is read past off and still bounded by
// n, so memory stays within n whatever the file's size.
func (cl *Client) ReadVFSRange(ctx context.Context, dir, name string, off, n int64) ([]byte, int64, error) {
	op := "read VFS file " + strings.TrimSuffix(dir, "/") + "/" + name
	if off < 0 || n <= 0 {
		return nil, 0, fmt.Errorf("kudu: %s: bad range offset %d length %d", op, off, n)
	}
	h := http.Header{"Range": {"bytes=" + strconv.FormatInt(off, 10) + "-" + strconv.FormatInt(off+n-1, 10)}}
	resp, err := cl.c.do(ctx, call{op: op, method: http.MethodGet, url: cl.vfsURL(dir, name), header: h, stream: true,
		ok: func(s int) bool {
			return s == http.StatusOK || s == http.StatusPartialContent || s == http.StatusRequestedRangeNotSatisfiable
		}})
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
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
