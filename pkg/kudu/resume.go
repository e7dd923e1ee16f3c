package kudu

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// resumeReader streams a staged dump through VFS GET. After a transient
// failure (reset, truncation, idle timeout, 5xx) it asks again with
// "Range: bytes={have}-" and "If-Range: {etag}", accepting only a 206 that
// starts where it left off; a 200 means the file changed (ErrChanged).
// Close deletes the file with If-Match: {etag}.
type resumeReader struct {
	s    *Staged
	ctx  context.Context
	url  string
	file vfsFile
	op   string

	cur     io.ReadCloser
	off     int64
	resumes int
	err     error // sticky
	once    sync.Once
}

func (r *resumeReader) Read(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	for {
		if r.cur == nil {
			if r.off >= r.file.Size {
				return 0, io.EOF
			}
			if err := r.open(); err != nil {
				if IsTransient(err) && r.resumes < r.s.cfg.MaxResumes {
					r.resumes++
					if err := r.pause(); err != nil {
						r.err = err
						return 0, err
					}
					continue
				}
				r.err = err
				return 0, err
			}
		}
		n, err := r.cur.Read(p)
		r.off += int64(n)
		switch {
		case err == nil:
			return n, nil
		case err == io.EOF:
			r.cur.Close()
			r.cur = nil
			if r.off != r.file.Size {
				r.err = fmt.Errorf("kudu: %s: %w: got %d of %d bytes", r.op, ErrTruncated, r.off, r.file.Size)
				if n > 0 {
					return n, nil
				}
				return 0, r.err
			}
			if n > 0 {
				return n, nil
			}
			return 0, io.EOF
		}
		r.cur.Close()
		r.cur = nil
		if !IsTransient(err) || r.resumes >= r.s.cfg.MaxResumes {
			r.err = fmt.Errorf("kudu: %s: after %d resumptions: %w", r.op, r.resumes, err)
			if n > 0 {
				return n, nil
			}
			return 0, r.err
		}
		r.resumes++
		if n > 0 {
			return n, nil
		}
	}
}

// pause waits one poll interval (bounded to a second) before a resume.
func (r *resumeReader) pause() error {
	d := min(r.s.cfg.PollInterval, time.Second)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-r.ctx.Done():
		return fmt.Errorf("kudu: %s: %w", r.op, r.ctx.Err())
	case <-t.C:
		return nil
	}
}

// open issues the GET for the bytes from r.off on.
func (r *resumeReader) open() error {
	h := http.Header{}
	if r.off > 0 {
		h.Set("Range", "bytes="+strconv.FormatInt(r.off, 10)+"-")
		h.Set("If-Range", r.file.ETag)
	}
	resp, err := r.s.cl.c.do(r.ctx, call{op: r.op, method: http.MethodGet, url: r.url, header: h, stream: true})
	if err != nil {
		return err
	}
	if et := resp.Header.Get("ETag"); et != "" && r.file.ETag != "" && et != r.file.ETag {
		resp.Body.Close()
		return fmt.Errorf("kudu: %s: %w: ETag %s, expected %s", r.op, ErrChanged, et, r.file.ETag)
	}
	if r.off > 0 {
		if resp.StatusCode != http.StatusPartialContent {
			resp.Body.Close()
			return fmt.Errorf("kudu: %s: %w: resume at %d answered %d instead of 206", r.op, ErrChanged, r.off, resp.StatusCode)
		}
		start, total, err := parseContentRange(resp.Header.Get("Content-Range"))
		if err != nil || start != r.off || total != r.file.Size {
			resp.Body.Close()
			return fmt.Errorf("kudu: %s: %w: resume at %d got Content-Range %q", r.op, ErrChanged, r.off, resp.Header.Get("Content-Range"))
		}
	} else if resp.StatusCode != http.StatusOK || resp.ContentLength != r.file.Size {
		resp.Body.Close()
		return fmt.Errorf("kudu: %s: %w: GET answered %d with %d bytes, expected 200 with %d", r.op, ErrChanged, resp.StatusCode, resp.ContentLength, r.file.Size)
	}
	r.cur = resp.Body
	return nil
}

// parseContentRange reads "bytes a-b/total".
func parseContentRange(v string) (start, total int64, err error) {
	bad := errors.New("bad Content-Range")
	rest, ok := strings.CutPrefix(v, "bytes ")
	if !ok {
		return 0, 0, bad
	}
	rng, tot, ok := strings.Cut(rest, "/")
	if !ok {
		return 0, 0, bad
	}
	a, b, ok := strings.Cut(rng, "-")
	if !ok {
		return 0, 0, bad
	}
	start, err1 := strconv.ParseInt(a, 10, 64)
	end, err2 := strconv.ParseInt(b, 10, 64)
	total, err3 := strconv.ParseInt(tot, 10, 64)
	if err1 != nil || err2 != nil || err3 != nil || start < 0 || end < start || total <= end {
		return 0, 0, bad
	}
	return start, total, nil
}

// Close ends the download and deletes the server file (If-Match: ETag),
// even when the caller's context is done, within the request timeout.
func (r *resumeReader) Close() error {
	var err error
	r.once.Do(func() {
		if r.cur != nil {
			r.cur.Close()
			r.cur = nil
		}
		if r.err == nil {
			r.err = fmt.Errorf("kudu: %s: read after Close", r.op)
		}
		if r.s.cfg.KeepFile {
			return
		}
		etag := r.file.ETag
		if etag == "" {
			etag = "*"
		}
		err = r.s.cl.vfsDelete(context.WithoutCancel(r.ctx), r.url, etag)
	})
	return err
}
