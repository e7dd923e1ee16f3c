package azureblob

import (
	"context"
	"fmt"
	"io"
	"maps"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"

	port "github.com/dumpflow/dumpflow/pkg/blob"
)

// Bucket is a blob.Bucket over one Azure Blob Storage container. It is safe
// for concurrent use.
type Bucket struct {
	*port.Store
	d *driver
}

// driver is the blob.Driver under Bucket.
type driver struct {
	c    *container.Client
	name string
	opts Options
}

var (
	_ port.Bucket = (*Bucket)(nil)
	_ port.Driver = (*driver)(nil)
)

// Container is the container's name.
func (b *Bucket) Container() string { return b.d.name }

// Close implements blob.Driver; the SDK client holds nothing to release.
func (d *driver) Close() error { return nil }

// attributes builds the port's Attributes from a blob's properties.
func attributes(key string, size *int64, contentType *string, md map[string]*string, mod *time.Time, etag *azcore.ETag) port.Attributes {
	a := port.Attributes{Key: key, Metadata: metadataFrom(md)}
	if size != nil {
		a.Size = *size
	}
	if contentType != nil {
		a.ContentType = *contentType
	}
	if mod != nil {
		a.ModTime = *mod
	}
	if etag != nil {
		a.ETag = string(*etag)
	}
	return a
}

// metadataFrom converts SDK metadata. Keys are lowercased: HTTP header
// canonicalisation may capitalise them, and the port only allows lowercase.
func metadataFrom(md map[string]*string) map[string]string {
	out := make(map[string]string, len(md))
	for k, v := range md {
		if v != nil {
			out[strings.ToLower(k)] = *v
		}
	}
	return out
}

// metadataTo converts port metadata for the SDK.
func metadataTo(md map[string]string) map[string]*string {
	if len(md) == 0 {
		return nil
	}
	out := make(map[string]*string, len(md))
	for k, v := range maps.All(md) {
		out[k] = &v
	}
	return out
}

// Attributes implements blob.Driver.
func (d *driver) Attributes(ctx context.Context, key string) (port.Attributes, error) {
	p, err := d.c.NewBlobClient(key).GetProperties(ctx, nil)
	if err != nil {
		return port.Attributes{}, mapErr("get properties of", key, err)
	}
	return attributes(key, p.ContentLength, p.ContentType, p.Metadata, p.LastModified, p.ETag), nil
}

// NewReader implements blob.Driver. Interrupted downloads resume, pinned to
// the version first read.
func (d *driver) NewReader(ctx context.Context, key string) (io.ReadCloser, port.Attributes, error) {
	resp, err := d.c.NewBlobClient(key).DownloadStream(ctx, nil)
	if err != nil {
		return nil, port.Attributes{}, mapErr("download", key, err)
	}
	a := attributes(key, resp.ContentLength, resp.ContentType, resp.Metadata, resp.LastModified, resp.ETag)
	return resp.NewRetryReader(ctx, &blob.RetryReaderOptions{MaxRetries: 3}), a, nil
}

// List implements blob.Driver.
func (d *driver) List(ctx context.Context, prefix string) ([]port.Attributes, error) {
	opts := &container.ListBlobsFlatOptions{Include: container.ListBlobsInclude{Metadata: true}}
	if prefix != "" {
		opts.Prefix = &prefix
	}
	var out []port.Attributes
	pager := d.c.NewListBlobsFlatPager(opts)
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("azureblob: listing %q: %w", prefix, err)
		}
		for _, it := range page.Segment.BlobItems {
			if it.Name == nil || strings.HasPrefix(*it.Name, port.ReservedPrefix) {
				continue
			}
			a := port.Attributes{Key: *it.Name}
			if p := it.Properties; p != nil {
				a = attributes(*it.Name, p.ContentLength, p.ContentType, it.Metadata, p.LastModified, p.ETag)
			}
			out = append(out, a)
		}
	}
	return out, nil
}

// Delete implements blob.Driver.
func (d *driver) Delete(ctx context.Context, key string) error {
	if _, err := d.c.NewBlobClient(key).Delete(ctx, nil); err != nil {
		return mapErr("delete", key, err)
	}
	return nil
}
