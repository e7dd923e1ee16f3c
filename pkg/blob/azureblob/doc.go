// Package azureblob is the Azure Blob Storage blob.Bucket backend, selected
// by a URL such as https://ACCOUNT.blob.core.windows.net/dumpfiles.
//
// # Uploads
//
// A Writer stages blocks itself (Put Block) and commits them in one Put
// Block List; nothing is visible under the key before that commit, and with
// create-if-absent (the default) the commit carries If-None-Match: *, so of
// any number of racing writers exactly one wins and the others get
// blob.ErrExists with the winner's blob intact. Metadata, the content type
// and blob index tags are set by the same commit.
//
// Blocks are BlockSize (4 MiB) bytes and at most Concurrency (4) of one
// writer are staged at once. Block buffers come from a pool that all
// writers of one Bucket share, bounded by UploadMemory (default 32 blocks,
// 128 MiB): a writer that finds every buffer in use waits until another
// writer's block is staged, so a process's upload memory is UploadMemory
// whatever the number of blobs being written, and each writer holds at
// most Concurrency+1 buffers — one being filled, the others in flight.
// Buffers are allocated as first needed and kept for reuse. Azure allows
// 50,000 blocks per blob, so one blob may hold up to 50,000 × BlockSize
// (195 GiB at 4 MiB), far above the largest process dump (a full dump is
// about the size of the process's committed memory); NewWriter refuses a
// larger announced Size, which larger blocks would fit. All three are
// settable with Options. Small blobs (reports, manifests) do not take a
// block: the first buffer is WriterOptions.Size bytes when that is known
// and at most 64 KiB, else 64 KiB doubling as data arrives until it moves
// into a block.
//
// Abort and context cancellation stop staging and commit nothing; blocks
// already staged stay uncommitted, invisible, until Azure discards them
// (after a week, or at the next commit to the same name).
//
// Blob index tags are derived from the metadata keys incident, app,
// instance, pid and dump_type when present; characters that tags do not
// allow are replaced by '_'. They let operators find blobs with Find Blobs
// by Tags across containers.
//
// # Reads
//
// NewReaderAt fetches the blob's properties once; each ReadAt is one ranged
// GET conditioned on the ETag seen at open, so a reader never mixes two
// versions of a blob: if the blob is replaced, ReadAt fails with
// ErrChanged.
//
// # Leases
//
// AcquireLease leases a lock blob .dumpflow/leases/<sha256 of key>, created
// empty on first use; blob.ValidateKey reserves the .dumpflow/ prefix and
// List hides it. Lease durations are whole seconds between 15 and 60, as
// Azure requires. A released or lost lease makes Renew fail with
// blob.ErrLeaseLost; Release of a lost lease is not an error.
//
// # Errors and retries
//
// 404 maps to blob.ErrNotFound; 409 BlobAlreadyExists and 412
// ConditionNotMet on a create map to blob.ErrExists; 409
// LeaseAlreadyPresent maps to blob.ErrLeaseHeld. Transient failures (408,
// 429, 500, 502, 503, 504 and network errors) are retried by the SDK's retry
// policy with exponential backoff (RetryOptions), which also bounds each try.
//
// # Credentials
//
// OpenURL authenticates with azidentity: a managed identity when the URL has
// ?client_id=<id> (user-assigned) or ?managed_identity=system, else
// DefaultAzureCredential (environment, workload identity, managed identity,
// Azure CLI). When DUMPFLOW_STORAGE_CONNECTION_STRING is set, it is used
// instead, for local development (e.g. Azurite).
package azureblob
