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
func (cl *Client) Kill(ctx context.Context, pid int) error {
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
	resp, err := cl.c.do(ctx, call{op: op, method: http.MethodDelete, url: cl.processURL(pid)})
	if err != nil {
		return err
	}
	return resp.Body.Close()
}
