package azureblob

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/bloberror"

	"github.com/dumpflow/dumpflow/pkg/blob"
)

// ErrChanged means the blob a ReaderAt was reading was replaced or deleted
// since the reader was opened.
var ErrChanged = errors.New("azureblob: blob changed while being read")

// statusOf is the HTTP status of a storage error, or 0.
func statusOf(err error) int {
	var re *azcore.ResponseError
	if errors.As(err, &re) {
		return re.StatusCode
	}
	return 0
}

// isNotFound reports whether err is a storage 404.
func isNotFound(err error) bool {
	return statusOf(err) == http.StatusNotFound ||
		bloberror.HasCode(err, bloberror.BlobNotFound, bloberror.ContainerNotFound)
}

// isExists reports whether a conditional create failed because the blob
// exists.
func isExists(err error) bool {
	return bloberror.HasCode(err, bloberror.BlobAlreadyExists, bloberror.ConditionNotMet) ||
		statusOf(err) == http.StatusPreconditionFailed
}

// mapErr wraps err from operation op on key, translating the port's
// conditions into its sentinels.
func mapErr(op, key string, err error) error {
	if isNotFound(err) {
		return fmt.Errorf("%w: %q: %w", blob.ErrNotFound, key, err)
	}
	return fmt.Errorf("azureblob: %s %q: %w", op, key, err)
}
