package kudu

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// vfsFile is what a VFS HEAD says about a file.
type vfsFile struct {
	ETag string
	Size int64
}

// vfsURL builds /api/vfs/{segments…}; dir uses backslashes or slashes.
func (cl *Client) vfsURL(dir, name string) string {
	seg := []string{"api", "vfs"}
	for _, s := range strings.FieldsFunc(dir, func(r rune) bool { return r == '\\' || r == '/' }) {
		seg = append(seg, s)
	}
	if name != "" {
		seg = append(seg, name)
	}
	return cl.c.url(seg...)
}

// vfsMkdir creates dir (PUT …/dir/): 201 created. Kudu answers 409 both
// when the folder exists and when it cannot be created (a file holds the
// name, access denied: VfsController.CreateDirectoryPutResponse), so a
// 409 is accepted only if the folder then lists (docs/kudu.md).
func (cl *Client) vfsMkdir(ctx context.Context, dir string) error {
	op := "create VFS folder " + dir
	resp, err := cl.c.do(ctx, call{op: op, method: http.MethodPut, url: cl.vfsURL(dir, "") + "/",
		body: []byte{}, header: http.Header{"Content-Type": {"application/octet-stream"}},
		ok: func(s int) bool { return is2xx(s) || s == http.StatusConflict }})
	if err != nil {
		return err
	}
	conflict := resp.StatusCode == http.StatusConflict
	if err := resp.Body.Close(); err != nil || !conflict {
		return err
	}
	var entries []json.RawMessage
	if err := cl.c.getJSON(ctx, "list VFS folder "+dir, cl.vfsURL(dir, "")+"/", nil, &entries); err != nil {
		return fmt.Errorf("kudu: %s: Kudu answered 409 Conflict and the folder does not list (a file with that name, or no write access?): %w", op, err)
	}
	return nil
}

// vfsHead returns the file's ETag and size. While a writer holds the file
// (share mode None) Kudu answers 404, like for a missing file: both match
// ErrNotFound.
func (cl *Client) vfsHead(ctx context.Context, u string) (vfsFile, error) {
	resp, err := cl.c.do(ctx, call{op: "stat staged dump", method: http.MethodHead, url: u})
	if err != nil {
		return vfsFile{}, err
	}
	resp.Body.Close()
	return vfsFile{ETag: resp.Header.Get("ETag"), Size: resp.ContentLength}, nil
}

// vfsListed reports whether dir's VFS listing has an entry name. The
// listing works while the file is locked for writing, unlike HEAD/GET
// (docs/kudu.md, VFS section), so it tells "being written" from "missing".
func (cl *Client) vfsListed(ctx context.Context, dir, name string) (bool, error) {
	entries, err := cl.ListVFS(ctx, dir)
	if err != nil {
		return false, err
	}
	for _, e := range entries {
		if strings.EqualFold(e.Name, name) {
			return true, nil
		}
	}
	return false, nil
}

// vfsDelete deletes a file with If-Match: etag ("*" for any version).
// Kudu answers 200; a missing file is ErrNotFound.
func (cl *Client) vfsDelete(ctx context.Context, u, etag string) error {
	resp, err := cl.c.do(ctx, call{op: "delete staged dump", method: http.MethodDelete, url: u,
		header: http.Header{"If-Match": {etag}}})
	if err != nil {
		return err
	}
	return resp.Body.Close()
}

// CommandResult is the answer of POST /api/command (PascalCase on the wire).
type CommandResult struct {
	Output   string `json:"Output"`
	Error    string `json:"Error"`
	ExitCode int    `json:"ExitCode"`
}

// command runs a command line under cmd.exe on the instance that answers,
// in dir (relative to %HOME%), and waits for it. Kudu answers 200 even on
// failure; ExitCode -1 with Error set means Kudu aborted it (idle rule) or
// failed to start it. The call is a streaming one: it may take minutes and
// is bound by the response-header timeout, not the request timeout.
func (cl *Client) command(ctx context.Context, line, dir string) (*CommandResult, error) {
	const op = "run command"
	body, err := json.Marshal(map[string]string{"command": line, "dir": dir})
	if err != nil {
		return nil, fmt.Errorf("kudu: %s: %w", op, err)
	}
	resp, err := cl.c.do(ctx, call{op: op, method: http.MethodPost, url: cl.c.url("api", "command"), body: body, stream: true})
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var r CommandResult
	if err := decodeJSON(op, resp.Body, &r); err != nil {
		return nil, err
	}
	return &r, nil
}
