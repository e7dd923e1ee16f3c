package autoheal

import (
	"context"
	"errors"
	"fmt"

	"github.com/dumpflow/dumpflow/pkg/kudu"
)

var _ WebLogReader = (*KuduReader)(nil)

// MachineName reads the instance's machine name from its process list
// (pinned; every entry carries machineName).
func (k *KuduReader) MachineName(ctx context.Context, site, instance string) (string, error) {
	ic, err := k.pinned(ctx, site, instance)
	if err != nil {
		return "", err
	}
	list, err := ic.ListProcesses(ctx)
	if err != nil {
		return "", fmt.Errorf("autoheal: processes of %s on %s: %w", site, instance, err)
	}
	for _, p := range list {
		if p.MachineName != "" {
			return p.MachineName, nil
		}
	}
	return instance, nil // no name given: the id stands for it, as in the memory watch
}

// ListLogs lists LogFiles/http/RawLogs through VFS, pinned to instance.
func (k *KuduReader) ListLogs(ctx context.Context, site, instance string) ([]LogFileInfo, error) {
	ic, err := k.pinned(ctx, site, instance)
	if err != nil {
		return nil, err
	}
	list, err := ic.ListVFS(ctx, WebLogDir)
	if errors.Is(err, kudu.ErrNotFound) {
		return nil, fmt.Errorf("%w: %s", ErrNoWebLogs, site)
	}
	if err != nil {
		return nil, err
	}
	out := make([]LogFileInfo, 0, len(list))
	for _, e := range list {
		if !e.IsDir() {
			out = append(out, LogFileInfo{Name: e.Name, Size: e.Size, MTime: e.MTime, ETag: e.ETag()})
		}
	}
	return out, nil
}

// ReadLog reads a byte range of a log file through VFS (Range with
// If-Range: the listing's ETag).
func (k *KuduReader) ReadLog(ctx context.Context, site, instance string, file LogFileInfo, off, n int64) ([]byte, int64, error) {
	ic, err := k.pinned(ctx, site, instance)
	if err != nil {
		return nil, 0, err
	}
	data, size, err := ic.ReadVFSRange(ctx, WebLogDir, file.Name, off, n, file.ETag)
	if re := (*kudu.RangeError)(nil); errors.As(err, &re) {
		return nil, re.Size, nil
	}
	return data, size, err
}

func (k *KuduReader) pinned(ctx context.Context, site, instance string) (*kudu.Client, error) {
	cl, err := k.client(ctx, site)
	if err != nil {
		return nil, err
	}
	return cl.Instance(instance)
}
