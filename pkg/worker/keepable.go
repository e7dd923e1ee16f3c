package worker

import (
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/cenkalti/backoff/v4"

	"github.com/dumpflow/dumpflow/pkg/blob"
)

// checkKeepable checks, before Kudu is asked for a dump, that the dump
// could be stored under key with meta: the rule of docs/worker.md, "no
// process is frozen for a dump that cannot be kept". The metadata set at
// commit (checksum, size, attempts, time) is checked at its largest. An
// error is permanent: no retry can change the key or the job's metadata.
func checkKeepable(key string, meta map[string]string) error {
	full := maps.Clone(meta)
	full[MetaSHA256] = strings.Repeat("0", 64)
	full[MetaBytes] = "9223372036854775807"
	full[MetaAttempts] = "2147483647"
	full[MetaCapturedAt] = time.RFC3339
	if _, err := blob.ValidateWriter(key, &blob.WriterOptions{ContentType: DumpContentType, Metadata: full}); err != nil {
		return backoff.Permanent(fmt.Errorf("not dumped, since the dump could not be stored: %w", err))
	}
	return nil
}
