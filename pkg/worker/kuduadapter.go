package worker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/dumpflow/dumpflow/pkg/kudu"
	"github.com/dumpflow/dumpflow/pkg/messages"
)

// KuduClient adapts pkg/kudu to the engine's Kudu interface: ARM lists the
// instances and names each site's SCM host; one kudu.Client per site is
// pinned to each instance with ARRAffinity and verified (VerifyInstance)
// before its first use, so a vanished instance fails with
// ErrorKindWrongInstance instead of silently hitting another one.
type KuduClient struct {
	arm  *kudu.ARM
	base kudu.Config
	opts KuduOptions

	mu    sync.Mutex
	sites map[string]*siteClients
}

type siteClients struct {
	mu       sync.Mutex
	base     *kudu.Client
	pinned   map[string]*kudu.Client
	verified map[string]kudu.Identity
}

var _ Kudu = (*KuduClient)(nil)

// KuduOptions tune the adapter; the zero value is usable.
type KuduOptions struct {
	// Staged builds the staged-strategy Dumper over a pinned client, e.g.
	// kudu.NewStaged(cl, cfg). Nil means the staged strategy is refused.
	Staged func(pinned *kudu.Client) (kudu.Dumper, error)
	// FirstByteLimit is the front end's cut-off for a response's first
	// byte (~230 s on App Service, the default). A direct dump answered 502
	// or 504 after at least 90% of it is reported as cut off by that limit
	// (ErrorKindFirstByteLimit, not retried), with advice to use staged.
	FirstByteLimit time.Duration
}

// DefaultFirstByteLimit is App Service's front-end first-byte limit.
const DefaultFirstByteLimit = 230 * time.Second

// NewKuduClient returns the adapter. base configures every per-site client
// (Auth, Transport, timeouts); its SCMURL is ignored (read from arm per
// site).
func NewKuduClient(arm *kudu.ARM, base kudu.Config, opts KuduOptions) *KuduClient {
	if opts.FirstByteLimit <= 0 {
		opts.FirstByteLimit = DefaultFirstByteLimit
	}
	return &KuduClient{arm: arm, base: base, opts: opts, sites: make(map[string]*siteClients)}
}

// Instances implements Kudu.
func (k *KuduClient) Instances(ctx context.Context, site messages.Site) ([]Instance, error) {
	ins, err := k.arm.ListInstances(ctx, site.ResourceID)
	if err != nil {
		return nil, armSiteError(site, err)
	}
	out := make([]Instance, len(ins))
	for i, in := range ins {
		out[i] = Instance{ID: in.ID, State: in.State}
	}
	return out, nil
}

// site returns the per-site clients, creating the base client from ARM's
// SCM URL on first use.
func (k *KuduClient) site(ctx context.Context, site messages.Site) (*siteClients, error) {
	k.mu.Lock()
	sc, ok := k.sites[site.ResourceID]
	k.mu.Unlock()
	if ok {
		return sc, nil
	}
	scm, err := k.arm.SCMURL(ctx, site.ResourceID)
	if err != nil {
		return nil, armSiteError(site, fmt.Errorf("reading the SCM host of %s: %w", site.ResourceID, err))
	}
	cfg := k.base
	cfg.SCMURL = scm
	cl, err := kudu.New(cfg)
	if err != nil {
		return nil, &KuduError{Kind: ErrorKindPermanent, Err: fmt.Errorf("kudu client for %s: %w", scm, err)}
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if sc, ok := k.sites[site.ResourceID]; ok {
		return sc, nil
	}
	sc = &siteClients{base: cl, pinned: make(map[string]*kudu.Client), verified: make(map[string]kudu.Identity)}
	k.sites[site.ResourceID] = sc
	return sc, nil
}

// pinned returns the verified client for one instance of a site.
func (k *KuduClient) pinned(ctx context.Context, site messages.Site, instance string) (*kudu.Client, error) {
	cl, _, err := k.pinnedID(ctx, site, instance)
	return cl, err
}

// pinnedID is pinned plus the identity VerifyInstance found.
func (k *KuduClient) pinnedID(ctx context.Context, site messages.Site, instance string) (*kudu.Client, kudu.Identity, error) {
	sc, err := k.site(ctx, site)
	if err != nil {
		return nil, kudu.Identity{}, err
	}
	sc.mu.Lock()
	cl, ok := sc.pinned[instance]
	if !ok {
		cl, err = sc.base.Instance(instance)
		if err != nil {
			sc.mu.Unlock()
			return nil, kudu.Identity{}, &KuduError{Kind: ErrorKindPermanent, Err: err}
		}
		sc.pinned[instance] = cl
	}
	id, verified := sc.verified[instance]
	sc.mu.Unlock()
	if !verified {
		if id, err = cl.VerifyInstance(ctx); err != nil {
			return nil, kudu.Identity{}, wrapKudu(fmt.Errorf("verifying instance %s: %w", shortID(instance), err), false)
		}
		sc.mu.Lock()
		sc.verified[instance] = id
		sc.mu.Unlock()
	}
	return cl, id, nil
}

// Processes implements Kudu. The Kudu (SCM) process found by
// VerifyInstance is marked IsSCM already in the short list.
func (k *KuduClient) Processes(ctx context.Context, site messages.Site, instance string) ([]Process, error) {
	cl, id, err := k.pinnedID(ctx, site, instance)
	if err != nil {
		return nil, err
	}
	ps, err := cl.ListProcesses(ctx)
	if err != nil {
		return nil, wrapKudu(err, false)
	}
	out := make([]Process, len(ps))
	for i, p := range ps {
		out[i] = Process{PID: p.ID, Name: p.Name, MachineName: p.MachineName, IsSCM: id.SCMPID != 0 && p.ID == id.SCMPID}
	}
	return out, nil
}

// Process implements Kudu.
func (k *KuduClient) Process(ctx context.Context, site messages.Site, instance string, pid int) (Process, error) {
	cl, err := k.pinned(ctx, site, instance)
	if err != nil {
		return Process{}, err
	}
	p, err := cl.Process(ctx, pid)
	if err != nil {
		return Process{}, wrapKudu(err, false)
	}
	return Process{
		PID: p.ID, Name: p.Name, MachineName: p.MachineName, Detailed: true,
		IsSCM: p.IsSCMSite, IsWebJob: p.IsWebJob, PrivateMemory: p.PrivateMemory,
		StartTime: p.StartTime, ParentPID: p.ParentID, ChildPIDs: p.ChildIDs,
	}, nil
}

// Dump implements Kudu.
func (k *KuduClient) Dump(ctx context.Context, req DumpRequest) (io.ReadCloser, int64, error) {
	cl, err := k.pinned(ctx, req.Site, req.Instance)
	if err != nil {
		return nil, 0, err
	}
	typ, err := kudu.ParseDumpType(req.DumpType)
	if err != nil {
		return nil, 0, &KuduError{Kind: ErrorKindPermanent, Err: err}
	}
	var d kudu.Dumper = cl
	direct := req.Strategy != messages.StrategyStaged
	if !direct {
		if k.opts.Staged == nil {
			return nil, 0, &KuduError{Kind: ErrorKindPermanent, Err: errors.New("the staged dump strategy is not configured in this worker")}
		}
		if d, err = k.opts.Staged(cl); err != nil {
			return nil, 0, &KuduError{Kind: ErrorKindPermanent, Err: err}
		}
	}
	start := time.Now()
	dump, err := d.Dump(ctx, req.PID, kudu.DumpOptions{Type: typ,
		Name: fmt.Sprintf("%s-%s-%d", req.Site.Segment(), shortID(req.Instance), req.PID)})
	if err != nil {
		werr := wrapKudu(err, direct)
		var ae *kudu.APIError
		if direct && errors.As(err, &ae) && (ae.StatusCode == 502 || ae.StatusCode == 504) &&
			time.Since(start) >= k.opts.FirstByteLimit*9/10 {
			werr.(*KuduError).Kind = ErrorKindFirstByteLimit
		}
		return nil, 0, werr
	}
	return kuduBody{dump.Body}, dump.Size, nil
}

// Kill implements Kudu.
func (k *KuduClient) Kill(ctx context.Context, site messages.Site, instance string, pid int) error {
	cl, err := k.pinned(ctx, site, instance)
	if err != nil {
		return err
	}
	return wrapKudu(cl.Kill(ctx, pid), false)
}

// kuduBody classifies the errors of a dump body.
type kuduBody struct{ io.ReadCloser }

func (b kuduBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && err != io.EOF {
		err = wrapKudu(err, false)
	}
	return n, err
}

// wrapKudu classifies a pkg/kudu error as a *KuduError. For a direct dump,
// a response-header timeout is the front end's first-byte limit.
func wrapKudu(err error, directDump bool) error {
	if err == nil {
		return nil
	}
	ke := &KuduError{Err: err}
	var ae *kudu.APIError
	if errors.As(err, &ae) {
		ke.StatusCode = ae.StatusCode
	}
	if d, ok := kudu.RetryAfter(err); ok {
		ke.RetryAfter = d
	}
	switch {
	case errors.Is(err, kudu.ErrWrongInstance):
		ke.Kind = ErrorKindWrongInstance
	case directDump && errors.Is(err, kudu.ErrFirstByteTimeout):
		ke.Kind = ErrorKindFirstByteLimit
	case errors.Is(err, kudu.ErrNotFound):
		ke.Kind = ErrorKindNotFound
	case errors.Is(err, kudu.ErrUnauthorized):
		ke.Kind = ErrorKindAuth
	case kudu.IsTransient(err):
		ke.Kind = ErrorKindTransient
	default:
		ke.Kind = ErrorKindPermanent
	}
	return ke
}
