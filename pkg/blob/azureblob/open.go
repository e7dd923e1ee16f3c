package azureblob

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/bloberror"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"

	"github.com/dumpflow/dumpflow/pkg/azcred"
	port "github.com/dumpflow/dumpflow/pkg/blob"
)

// EnvConnectionString names the environment variable OpenURL reads a
// storage connection string from.
const EnvConnectionString = "DUMPFLOW_STORAGE_CONNECTION_STRING"

// Defaults for Options.
const (
	// DefaultBlockSize is small enough that the shared buffers go round
	// many uploads at once, and large enough that a Put Block's overhead
	// stays small and Azure's high-throughput block blob path (blocks over
	// 256 KiB) applies; 50,000 of them hold 195 GiB.
	DefaultBlockSize   = 4 << 20
	DefaultConcurrency = 4
	// DefaultUploadMemory is the block buffers all writers of a Bucket
	// share: 32 blocks of the default size (128 MiB), two for each of 16
	// uploads at once.
	DefaultUploadMemory = 32 * DefaultBlockSize
	// MaxBlocks is Azure's limit of committed blocks per block blob.
	MaxBlocks = 50_000
	// minBlockSize keeps MaxBlocks × BlockSize above any dump we expect.
	minBlockSize = 1 << 20
	// maxBlockSize is Azure's limit for one staged block.
	maxBlockSize = 4000 << 20
)

// Options tune a Bucket. The zero value means the defaults.
type Options struct {
	// BlockSize is the size of staged blocks: DefaultBlockSize when zero,
	// between 1 MiB and 4000 MiB otherwise.
	BlockSize int
	// Concurrency is how many blocks one writer stages at once:
	// DefaultConcurrency when zero.
	Concurrency int
	// UploadMemory bounds, in bytes, the block buffers that all writers of
	// the Bucket share (rounded down to whole blocks, at least one):
	// DefaultUploadMemory when zero. A writer waits for a buffer when all
	// are in use, so this, not the number of uploads in flight, bounds
	// upload memory; about two blocks per concurrent upload keep each one
	// staging while it fills the next.
	UploadMemory int64
	// CreateContainer creates the container when it does not exist.
	CreateContainer bool
	// Retry tunes the SDK's retry policy; zero fields take this package's
	// defaults (4 retries, 1 s to 30 s backoff, 2 min per try,
	// 408/429/500/502/503/504).
	Retry policy.RetryOptions

	pool *blockPool // set by setDefaults: one per Bucket
}

func (o *Options) setDefaults() error {
	o.BlockSize = cmp.Or(o.BlockSize, DefaultBlockSize)
	o.Concurrency = cmp.Or(o.Concurrency, DefaultConcurrency)
	o.UploadMemory = cmp.Or(o.UploadMemory, DefaultUploadMemory)
	switch {
	case o.BlockSize < minBlockSize || o.BlockSize > maxBlockSize:
		return fmt.Errorf("azureblob: BlockSize %d out of [%d, %d]", o.BlockSize, minBlockSize, maxBlockSize)
	case o.Concurrency < 1 || o.Concurrency > 64:
		return fmt.Errorf("azureblob: Concurrency %d out of [1, 64]", o.Concurrency)
	case o.UploadMemory < int64(o.BlockSize):
		return fmt.Errorf("azureblob: UploadMemory %d is less than one block of %d bytes", o.UploadMemory, o.BlockSize)
	}
	o.pool = newBlockPool(o.BlockSize, int(o.UploadMemory/int64(o.BlockSize)))
	r := &o.Retry
	if r.MaxRetries == 0 {
		r.MaxRetries = 4
	}
	if r.RetryDelay == 0 {
		r.RetryDelay = time.Second
	}
	if r.MaxRetryDelay == 0 {
		r.MaxRetryDelay = 30 * time.Second
	}
	if r.TryTimeout == 0 {
		r.TryTimeout = 2 * time.Minute
	}
	if r.StatusCodes == nil {
		r.StatusCodes = []int{
			http.StatusRequestTimeout, http.StatusTooManyRequests, http.StatusInternalServerError,
			http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout,
		}
	}
	return nil
}

func (o *Options) clientOptions() *container.ClientOptions {
	return &container.ClientOptions{ClientOptions: azcore.ClientOptions{Retry: o.Retry}}
}

// OpenURL opens the container a URL names:
//
//	https://ACCOUNT.blob.core.windows.net/CONTAINER[?client_id=ID|?managed_identity=system][&create_container=false]
//
// The container is created if missing unless create_container=false. When
// the environment variable DUMPFLOW_STORAGE_CONNECTION_STRING is set, its
// connection string supplies the endpoint and credential, and only the
// URL's container name (its last path segment) is used; the path-style
// http://127.0.0.1:10000/devstoreaccount1/CONTAINER of Azurite is accepted
// then.
func OpenURL(ctx context.Context, u *url.URL) (*Bucket, error) {
	return OpenURLOptions(ctx, u, nil)
}

// OpenURLOptions is OpenURL with options for what a URL does not say (block
// size, upload memory, retries); the URL's create_container decides
// CreateContainer. nil opts means the defaults.
func OpenURLOptions(ctx context.Context, u *url.URL, base *Options) (*Bucket, error) {
	if u == nil {
		return nil, errors.New("azureblob: nil URL")
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return nil, fmt.Errorf("azureblob: URL scheme %q, want https", u.Scheme)
	}
	// https://ACCOUNT.blob.core.windows.net/CONTAINER, or with a connection
	// string also the path style of Azurite: http://HOST:PORT/ACCOUNT/CONTAINER.
	cs := os.Getenv(EnvConnectionString)
	segs := strings.Split(strings.Trim(u.Path, "/"), "/")
	name := segs[len(segs)-1]
	if name == "" || len(segs) > 2 || len(segs) == 2 && cs == "" {
		return nil, fmt.Errorf("azureblob: URL %q: path must be /CONTAINER (or /ACCOUNT/CONTAINER with %s)", u.Redacted(), EnvConnectionString)
	}
	q := u.Query()
	var opts Options
	if base != nil {
		opts = *base
	}
	opts.CreateContainer = true
	for k, v := range q {
		switch k {
		case "client_id", "managed_identity":
		case "create_container":
			switch v[0] {
			case "true":
			case "false":
				opts.CreateContainer = false
			default:
				return nil, fmt.Errorf("azureblob: URL parameter create_container=%q, want true or false", v[0])
			}
		default:
			return nil, fmt.Errorf("azureblob: unknown URL parameter %q", k)
		}
	}
	if cs != "" {
		return OpenConnectionStringOptions(ctx, cs, name, &opts)
	}
	if u.Scheme != "https" {
		return nil, fmt.Errorf("azureblob: URL %q: token credentials need https", u.Redacted())
	}
	if u.Host == "" {
		return nil, fmt.Errorf("azureblob: URL %q: no account host", u.Redacted())
	}
	cred, err := credential(q)
	if err != nil {
		return nil, err
	}
	if err := opts.setDefaults(); err != nil {
		return nil, err
	}
	containerURL := (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: "/" + name}).String()
	c, err := container.NewClient(containerURL, cred, opts.clientOptions())
	if err != nil {
		return nil, fmt.Errorf("azureblob: %w", err)
	}
	return newBucket(ctx, c, name, opts)
}

// credential picks the azidentity credential the URL's query asks for.
func credential(q url.Values) (azcore.TokenCredential, error) {
	var (
		cred azcore.TokenCredential
		err  error
	)
	switch id, mi := q.Get("client_id"), q.Get("managed_identity"); {
	case id != "" && mi != "":
		return nil, errors.New("azureblob: URL has both client_id and managed_identity")
	case id != "":
		cred, err = azidentity.NewManagedIdentityCredential(&azidentity.ManagedIdentityCredentialOptions{ID: azidentity.ClientID(id)})
	case mi == "system":
		cred, err = azidentity.NewManagedIdentityCredential(nil)
	case mi != "":
		return nil, fmt.Errorf("azureblob: URL parameter managed_identity=%q, want system (or use client_id)", mi)
	default:
		cred, err = azidentity.NewDefaultAzureCredential(nil)
	}
	if err != nil {
		return nil, fmt.Errorf("azureblob: credential: %w", err)
	}
	return azcred.Wrap(cred), nil // token failures in one line
}

// OpenConnectionString opens container with a storage connection string,
// creating the container if it is missing.
func OpenConnectionString(ctx context.Context, connStr, containerName string) (*Bucket, error) {
	return OpenConnectionStringOptions(ctx, connStr, containerName, &Options{CreateContainer: true})
}

// OpenConnectionStringOptions is OpenConnectionString with options; nil
// opts means the defaults (which do not create the container).
func OpenConnectionStringOptions(ctx context.Context, connStr, containerName string, opts *Options) (*Bucket, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if err := o.setDefaults(); err != nil {
		return nil, err
	}
	c, err := container.NewClientFromConnectionString(connStr, containerName, o.clientOptions())
	if err != nil {
		return nil, fmt.Errorf("azureblob: connection string: %w", err) // the SDK's message names no secret
	}
	return newBucket(ctx, c, containerName, o)
}

// newBucket checks that the container exists, creating it when allowed.
func newBucket(ctx context.Context, c *container.Client, name string, o Options) (*Bucket, error) {
	_, err := c.GetProperties(ctx, nil)
	switch {
	case err == nil:
	case bloberror.HasCode(err, bloberror.ContainerNotFound) && o.CreateContainer:
		if _, err := c.Create(ctx, nil); err != nil && !bloberror.HasCode(err, bloberror.ContainerAlreadyExists) {
			return nil, fmt.Errorf("azureblob: creating container %q: %w", name, err)
		}
	case bloberror.HasCode(err, bloberror.ContainerNotFound):
		return nil, fmt.Errorf("azureblob: container %q does not exist: %w", name, err)
	default:
		return nil, fmt.Errorf("azureblob: container %q: %w", name, err)
	}
	d := &driver{c: c, name: name, opts: o}
	return &Bucket{Store: port.NewStore(d), d: d}, nil
}
