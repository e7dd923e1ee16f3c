package kudu

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
)

// Client talks to the Kudu (SCM) API of one site, optionally pinned to one
// instance. It is safe for concurrent use.
type Client struct {
	c *conn

	mu      sync.Mutex
	scmPIDs map[int]bool // pids known to be the SCM (Kudu) process here
	ident   *Identity    // last verified identity (pinned clients)
}

// New returns a Client for cfg.SCMURL.
func New(cfg Config) (*Client, error) {
	c, err := newConn("SCMURL", cfg.SCMURL, cfg.Auth, cfg.Transport, cfg.timeouts(), cfg.UserAgent)
	if err != nil {
		return nil, err
	}
	return &Client{c: c, scmPIDs: map[int]bool{}}, nil
}

// SCMURL returns the configured base URL (without trailing slash).
func (cl *Client) SCMURL() string { return cl.c.base.String() }

// InstanceID returns the instance this client is pinned to, or "".
func (cl *Client) InstanceID() string { return cl.c.instance }

// Instance returns a client pinned to instance id (as listed by
// ARM.ListInstances): every request carries
// "Cookie: ARRAffinity={id}; ARRAffinitySameSite={id}", and a response
// whose Set-Cookie names another instance fails with ErrWrongInstance. The
// front end silently routes an unknown id elsewhere, so call
// VerifyInstance before dumping or killing. The new client shares the
// HTTP transport and auth but not the verified identity.
func (cl *Client) Instance(id string) (*Client, error) {
	if id == "" || len(id) > 256 || strings.ContainsFunc(id, func(r rune) bool {
		return !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '-' || r == '_')
	}) {
		return nil, fmt.Errorf("kudu: bad instance id %q", id)
	}
	nc := *cl.c
	nc.instance = id
	nc.header = http.Header{"Cookie": {"ARRAffinity=" + id + "; ARRAffinitySameSite=" + id}}
	return &Client{c: &nc, scmPIDs: map[int]bool{}}, nil
}

func (cl *Client) markSCM(pid int) {
	cl.mu.Lock()
	cl.scmPIDs[pid] = true
	cl.mu.Unlock()
}

func (cl *Client) isSCM(pid int) bool {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	return cl.scmPIDs[pid]
}
