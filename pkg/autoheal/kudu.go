package autoheal

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"

	"github.com/dumpflow/dumpflow/pkg/kudu"
)

// KuduReader reads worker processes through Kudu: instances from ARM, the
// site's w3wp on each instance through the -1 alias (docs/kudu.md). The
// sample is attributed to the machine name in Kudu's answer, so a request
// the front end routed to another instance is still attributed correctly.
type KuduReader struct {
	ARM *kudu.ARM
	// NewClient builds the Kudu client of one site from its SCM URL (with
	// the deployment's auth and timeouts).
	NewClient func(scmURL string) (*kudu.Client, error)
	// Cores is the processor count assumed when a process's environment
	// does not say (NUMBER_OF_PROCESSORS); 0 means 1.
	Cores int

	mu      sync.Mutex
	clients map[string]*kudu.Client
}

var _ ProcessReader = (*KuduReader)(nil)

// Instances lists the site's instances through ARM.
func (k *KuduReader) Instances(ctx context.Context, site string) ([]string, error) {
	inst, err := k.ARM.ListInstances(ctx, site)
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(inst))
	for _, i := range inst {
		ids = append(ids, i.ID)
	}
	return ids, nil
}

// WorkerProcess reads the site's w3wp on one instance.
func (k *KuduReader) WorkerProcess(ctx context.Context, site, instance string) (ProcessSample, error) {
	cl, err := k.client(ctx, site)
	if err != nil {
		return ProcessSample{}, err
	}
	ic, err := cl.Instance(instance)
	if err != nil {
		return ProcessSample{}, err
	}
	p, err := ic.Process(ctx, kudu.PIDApp)
	if err != nil {
		return ProcessSample{}, fmt.Errorf("autoheal: worker process of %s on %s: %w", site, instance, err)
	}
	return ProcessSample{PID: p.ID, Process: p.Name, Start: p.StartTime,
		PrivateBytes: p.PrivateMemory, MachineName: p.MachineName}, nil
}

func (k *KuduReader) client(ctx context.Context, site string) (*kudu.Client, error) {
	k.mu.Lock()
	cl := k.clients[site]
	k.mu.Unlock()
	if cl != nil {
		return cl, nil
	}
	scm, err := k.ARM.SCMURL(ctx, site)
	if err != nil {
		return nil, err
	}
	cl, err = k.NewClient(scm)
	if err != nil {
		return nil, err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.clients == nil {
		k.clients = map[string]*kudu.Client{}
	}
	k.clients[site] = cl
	return cl, nil
}

var _ CPUReader = (*KuduReader)(nil)

// CPUProcesses lists the processes of one instance (pinned) and reads the
// detail of each one want accepts: total_cpu_time, start time, the SCM and
// WebJob flags, and the instance's processor count from the process's
// NUMBER_OF_PROCESSORS (Cores, default 1, when absent). The environment
// block is read for that one variable and dropped: it holds secrets.
func (k *KuduReader) CPUProcesses(ctx context.Context, site, instance string, want func(string) bool) ([]CPUSample, error) {
	cl, err := k.client(ctx, site)
	if err != nil {
		return nil, err
	}
	ic, err := cl.Instance(instance)
	if err != nil {
		return nil, err
	}
	list, err := ic.ListProcesses(ctx)
	if err != nil {
		return nil, fmt.Errorf("autoheal: processes of %s on %s: %w", site, instance, err)
	}
	var out []CPUSample
	for _, s := range list {
		if !want(s.Name) {
			continue
		}
		p, err := ic.Process(ctx, s.ID)
		if errors.Is(err, kudu.ErrNotFound) {
			continue // exited since the list
		}
		if err != nil {
			return nil, fmt.Errorf("autoheal: process %d of %s on %s: %w", s.ID, site, instance, err)
		}
		if p.TotalCPUTime < 0 {
			continue // Kudu could not read it (access denied)
		}
		cores, _ := strconv.Atoi(p.Environment["NUMBER_OF_PROCESSORS"])
		if cores <= 0 {
			cores = k.Cores
		}
		out = append(out, CPUSample{PID: p.ID, Process: p.Name, Start: p.StartTime, TotalCPU: p.TotalCPUTime,
			Cores: cores, SCM: p.IsSCMSite, WebJob: p.IsWebJob, MachineName: p.MachineName})
	}
	return out, nil
}
