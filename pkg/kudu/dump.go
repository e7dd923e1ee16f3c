package kudu

import (
	"context"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
)

// DumpType is the dbghelp MINIDUMP_TYPE mask Kudu passes to
// MiniDumpWriteDump (docs/kudu.md).
type DumpType int

const (
	// DumpMini (MiniDumpNormal): stacks, modules, threads; no heap.
	DumpMini DumpType = 0
	// DumpFull (MiniDumpWithFullMemory): all readable memory, needed for
	// managed heap analysis.
	DumpFull DumpType = 2
	// dumpTypeMask is the valid dbghelp flag range.
	dumpTypeMask DumpType = 0x3FFFF
)

// ParseDumpType maps "mini" and "full" (messages.DumpMini/DumpFull) to a
// DumpType.
func ParseDumpType(s string) (DumpType, error) {
	switch strings.ToLower(s) {
	case "mini":
		return DumpMini, nil
	case "full":
		return DumpFull, nil
	}
	return 0, fmt.Errorf("kudu: unknown dump type %q (want mini or full)", s)
}

// String returns "mini", "full" or the mask in hex.
func (t DumpType) String() string {
	switch t {
	case DumpMini:
		return "mini"
	case DumpFull:
		return "full"
	}
	return fmt.Sprintf("0x%x", int(t))
}

func (t DumpType) valid() bool { return t >= 0 && t&^dumpTypeMask == 0 }

// DumpOptions tune one dump. The zero value is a mini dump.
type DumpOptions struct {
	Type DumpType
	// Name, optional, makes the staged strategy's file name deterministic
	// (e.g. a job/instance/pid key) so a retry finds or replaces its own
	// file; it is sanitized. Empty means a random name. The direct strategy
	// ignores it (Kudu names its file).
	Name string
}

// Dump is a dump being streamed from Kudu. Read Body to the end and Close
// it; nothing is buffered, and cancelling the context given to Dump aborts
// the stream. Body's Read fails with an error matching ErrTruncated if the
// stream ends before Size bytes, and ErrIdleTimeout if it stalls.
type Dump struct {
	Body     io.ReadCloser
	Size     int64  // bytes, -1 when unknown
	FileName string // server's file name, e.g. w3wp-8d3f0a-04-15-13-22-05.dmp
}

// Dumper takes a dump of one process and streams it. Implementations:
// *Client (direct, GET /api/processes/{pid}/dump) and *Staged (command API
// + VFS). Both refuse pid 0 and known SCM pids with ErrRefused. They are
// safe for concurrent use, but the direct strategy shares one staging file
// per app on the server (serialize direct dumps per app).
type Dumper interface {
	Dump(ctx context.Context, pid int, opts DumpOptions) (*Dump, error)
}

var _ Dumper = (*Client)(nil)

// Dump implements Dumper with Kudu's dump route (direct strategy):
// GET /api/processes/{pid}/dump?dumpType={Type}&format=raw. Kudu sends no
// header until the whole dump is written, so this waits up to
// Config.ResponseHeaderTimeout (ErrFirstByteTimeout after it; the front
// end may cut at ~230 s, use Staged for big full dumps). Kudu stages every
// dump of an app in one file: run one direct dump per app at a time.
// pid may be PIDApp (-1).
func (cl *Client) Dump(ctx context.Context, pid int, opts DumpOptions) (*Dump, error) {
	op := fmt.Sprintf("dump process %d", pid)
	if err := cl.checkDumpable(op, pid, opts); err != nil {
		return nil, err
	}
	u := cl.processURL(pid, "dump") + "?" + url.Values{
		"dumpType": {strconv.Itoa(int(opts.Type))},
		"format":   {"raw"},
	}.Encode()
	resp, err := cl.c.do(ctx, call{op: op, method: http.MethodGet, url: u, stream: true,
		header: http.Header{"Accept": {"application/octet-stream"}}})
	if err != nil {
		return nil, err
	}
	return &Dump{Body: resp.Body, Size: resp.ContentLength, FileName: dispositionName(resp.Header.Get("Content-Disposition"))}, nil
}

func (cl *Client) checkDumpable(op string, pid int, opts DumpOptions) error {
	switch {
	case !opts.Type.valid():
		return fmt.Errorf("kudu: %s: invalid dump type 0x%x", op, int(opts.Type))
	case pid == PIDSCM || cl.isSCM(pid):
		return fmt.Errorf("kudu: %s: %w: it is the SCM (Kudu) process", op, ErrRefused)
	case pid < PIDApp:
		return fmt.Errorf("kudu: %s: %w: invalid pid", op, ErrRefused)
	}
	return nil
}

// dispositionName returns the base file name of a Content-Disposition
// header, or "" when absent or unsafe.
func dispositionName(v string) string {
	if v == "" {
		return ""
	}
	_, params, err := mime.ParseMediaType(v)
	if err != nil {
		return ""
	}
	return safeFileName(params["filename"])
}

// safeFileName keeps the last path element of name and rejects control
// characters and dot names.
func safeFileName(name string) string {
	name = path.Base(strings.ReplaceAll(name, `\`, "/"))
	if name == "." || name == ".." || name == "/" || len(name) > 255 ||
		strings.ContainsFunc(name, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return ""
	}
	return name
}
