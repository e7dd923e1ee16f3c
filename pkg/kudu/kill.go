package kudu

import (
	"context"
	"fmt"
	"net/http"
)

// Kill kills pid and its children on the instance that answers (pin and
// verify first), as DELETE /api/processes/{pid}; Kudu answers 204.
//
// Safety: Kill refuses, with an error matching ErrRefused and without
// sending the DELETE, pid 0, -1 and other non-positive ids, and any
// process known or found to be the SCM (Kudu) site: it reads the detail
// first, so a kill costs one extra GET.
//
// A process that is already gone gives an error matching ErrNotFound;
// callers that only want it gone may treat that as success. Killing the
// site's w3wp makes the platform start a new one, with a new pid, on the
// next request.
//
// A kill whose answer is lost (connection dropped) returns the transport
// error: the process may or may not be gone, so a caller that retries
// should take a following ErrNotFound as success. Kudu never answers a
// kill of its own process (it dies inside the call), one more reason the
// client refuses it.
func (cl *Client) Kill(ctx context.Context, pid int) error {
	return cl.kill(ctx, pid, false)
}

// Stop is Kill through POST /api/processes/{pid}/stop, the route Kudu
// added in Oct 2020 (#3228) for clients that cannot send DELETE. Same
// safety rules, answers and errors as Kill. Older Kudu builds answer
// their catch-all 404 ("No route registered for '/api/processes/N/stop'",
// in the error's Message) for the route itself, which errors.Is still
// reports as ErrNotFound: prefer Kill.
func (cl *Client) Stop(ctx context.Context, pid int) error {
	return cl.kill(ctx, pid, true)
}

func (cl *Client) kill(ctx context.Context, pid int, viaStop bool) error {
	op := fmt.Sprintf("kill process %d", pid)
	if pid <= 0 {
		return fmt.Errorf("kudu: %s: %w: special or invalid pid", op, ErrRefused)
	}
	if cl.isSCM(pid) {
		return fmt.Errorf("kudu: %s: %w: it is the SCM (Kudu) process", op, ErrRefused)
	}
	p, err := cl.Process(ctx, pid)
	if err != nil {
		return err
	}
	if p.IsSCMSite {
		return fmt.Errorf("kudu: %s: %w: it is the SCM (Kudu) process", op, ErrRefused)
	}
	cl2 := call{op: op, method: http.MethodDelete, url: cl.processURL(pid)}
	if viaStop {
		cl2.method, cl2.url, cl2.body = http.MethodPost, cl.processURL(pid, "stop"), []byte{}
	}
	resp, err := cl.c.do(ctx, cl2)
	if err != nil {
		return err
	}
	return resp.Body.Close()
}
