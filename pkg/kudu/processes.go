package kudu

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// Special process ids (docs/kudu.md).
const (
	// PIDSCM is the Kudu (SCM) w3wp itself. Never dump or kill it.
	PIDSCM = 0
	// PIDApp is the first w3wp that is not Kudu's: the site's worker. Kudu
	// answers 500 (not 404) when there is none.
	PIDApp = -1
)

func (cl *Client) processURL(pid int, more ...string) string {
	return cl.c.url(append([]string{"api", "processes", strconv.Itoa(pid)}, more...)...)
}

// ListProcesses lists the processes of the instance that answers (short
// form: ID, Name, MachineName, Href, UserName), as GET /api/processes.
// Both the plain array and ARM's {"value":[…]} form are accepted. The list
// is decoded as a stream keeping only those fields, so memory is bounded by
// one entry, and a list of more than maxListedProcesses entries is a
// *DecodeError.
func (cl *Client) ListProcesses(ctx context.Context) ([]Process, error) {
	const op = "list processes"
	resp, err := cl.c.do(ctx, call{op: op, method: http.MethodGet, url: cl.c.url("api", "processes")})
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out []Process
	body := &readErrTracker{r: resp.Body}
	err = decodeList(&limitedJSON{r: body, n: maxJSONBody}, maxListedProcesses, func(i int, dec *json.Decoder) error {
		var sp shortProcess
		if err := dec.Decode(&sp); err != nil {
			return fmt.Errorf("entry %d: %w", i, err)
		}
		p, err := sp.toProcess()
		if err != nil {
			return fmt.Errorf("entry %d: %w", i, err)
		}
		out = append(out, *p)
		return nil
	})
	if body.err != nil {
		return nil, body.err // a transport failure, not malformed JSON
	}
	if err != nil {
		return nil, &DecodeError{Op: op, Err: err}
	}
	for _, p := range out {
		if err := cl.checkMachine(p.MachineName); err != nil {
			return nil, fmt.Errorf("kudu: %s: %w", op, err)
		}
	}
	if out == nil {
		out = []Process{}
	}
	return out, nil
}

// Process returns the full detail of pid (PIDSCM and PIDApp allowed), as
// GET /api/processes/{pid}. An unknown pid gives an error matching
// ErrNotFound. The result's Environment holds secrets: never log it.
func (cl *Client) Process(ctx context.Context, pid int) (*Process, error) {
	return cl.processAt(ctx, fmt.Sprintf("get process %d", pid), cl.processURL(pid))
}

// ProcessAt returns the detail of the process at href, a URL taken from a
// response (Href, Parent, Children). It is followed only when its scheme
// and host equal the configured SCM URL's; otherwise the error matches
// ErrHostMismatch and nothing is sent.
func (cl *Client) ProcessAt(ctx context.Context, href string) (*Process, error) {
	const op = "get process by URL"
	u, err := cl.c.resolve(op, href)
	if err != nil {
		return nil, err
	}
	return cl.processAt(ctx, op, u)
}

func (cl *Client) processAt(ctx context.Context, op, u string) (*Process, error) {
	raw, err := cl.getJSON(ctx, op, u)
	if err != nil {
		return nil, err
	}
	p, err := parseProcess(raw)
	if err != nil {
		return nil, &DecodeError{Op: op, Err: err}
	}
	if err := cl.checkMachine(p.MachineName); err != nil {
		return nil, fmt.Errorf("kudu: %s: %w", op, err)
	}
	if p.IsSCMSite {
		cl.markSCM(p.ID)
	}
	return p, nil
}

// Threads lists the threads of pid (short form), GET …/{pid}/threads.
func (cl *Client) Threads(ctx context.Context, pid int) ([]Thread, error) {
	return processList(ctx, cl, pid, "threads", func(w wireThread) Thread { return Thread(w) })
}

// Modules lists the modules of pid (short form), GET …/{pid}/modules. Kudu
// answers 400 when it cannot read them (32-bit Kudu, 64-bit target).
func (cl *Client) Modules(ctx context.Context, pid int) ([]Module, error) {
	return processList(ctx, cl, pid, "modules", func(w wireModule) Module { return Module(w) })
}

// processList GETs the list …/{pid}/{what} and converts each wire item.
func processList[W, T any](ctx context.Context, cl *Client, pid int, what string, conv func(W) T) ([]T, error) {
	var ws []W
	if err := cl.getList(ctx, fmt.Sprintf("list %s of %d", what, pid), cl.processURL(pid, what), &ws); err != nil {
		return nil, err
	}
	out := make([]T, len(ws))
	for i, w := range ws {
		out[i] = conv(w)
	}
	return out, nil
}

// getJSON GETs u and returns its JSON body (see readAllJSON).
func (cl *Client) getJSON(ctx context.Context, op, u string) ([]byte, error) {
	resp, err := cl.c.do(ctx, call{op: op, method: http.MethodGet, url: u})
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	return readAllJSON(op, resp.Body)
}

// getList GETs a JSON list (plain or ARM "value", each item possibly in an
// envelope) into dst, a pointer to a slice.
func (cl *Client) getList(ctx context.Context, op, u string, dst any) error {
	raw, err := cl.getJSON(ctx, op, u)
	if err != nil {
		return err
	}
	items, _, err := unwrapList(raw)
	if err != nil {
		return &DecodeError{Op: op, Err: err}
	}
	for i := range items {
		items[i] = unwrap(items[i])
	}
	joined, _ := json.Marshal(items)
	if err := json.Unmarshal(joined, dst); err != nil {
		return &DecodeError{Op: op, Err: err}
	}
	return nil
}

// Environment returns the environment variables of pid whose name contains
// filter (case-insensitive, Kudu's rule); filter "all" returns all of them.
// GET …/{pid}/environments/{filter}. Values may be secrets: never log them.
func (cl *Client) Environment(ctx context.Context, pid int, filter string) (map[string]string, error) {
	op := fmt.Sprintf("get environment of %d", pid)
	if filter == "" {
		return nil, fmt.Errorf("kudu: %s: empty filter (use \"all\")", op)
	}
	raw, err := cl.getJSON(ctx, op, cl.processURL(pid, "environments", filter))
	if err != nil {
		return nil, err
	}
	armMode := string(unwrap(raw)) != string(raw)
	var m map[string]any
	if err := json.Unmarshal(unwrap(raw), &m); err != nil {
		return nil, &DecodeError{Op: op, Err: err}
	}
	env := envStrings(m)
	if armMode && !strings.Contains(strings.ToLower("name"), strings.ToLower(filter)) {
		delete(env, "name") // ARM mode adds "name": filter
	}
	return env, nil
}

// readAllJSON reads a bounded JSON body.
func readAllJSON(op string, r io.Reader) ([]byte, error) {
	raw, err := io.ReadAll(io.LimitReader(r, maxJSONBody+1))
	if err != nil {
		return nil, err
	}
	if len(raw) > maxJSONBody {
		return nil, &DecodeError{Op: op, Err: fmt.Errorf("JSON body larger than %d bytes", maxJSONBody)}
	}
	return raw, nil
}
