package servicebus

import (
	"context"
	"errors"
	"fmt"

	"github.com/Azure/azure-sdk-for-go/sdk/messaging/azservicebus"

	"github.com/dumpflow/dumpflow/pkg/queue"
)

// translate wraps an SDK error with the operation, mapping the SDK's
// stable codes to the port's sentinels: CodeLockLost → queue.ErrLockLost,
// CodeClosed → queue.ErrClosed. The SDK error stays reachable with
// errors.As. Context errors pass through so that errors.Is sees them.
func translate(op, id string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("servicebus: %s %q: %w", op, id, err)
	}
	var sbErr *azservicebus.Error
	if errors.As(err, &sbErr) {
		switch sbErr.Code {
		case azservicebus.CodeLockLost:
			return fmt.Errorf("servicebus: %s %q: %w: %w", op, id, queue.ErrLockLost, err)
		case azservicebus.CodeClosed:
			return fmt.Errorf("servicebus: %s %q: %w: %w", op, id, queue.ErrClosed, err)
		}
	}
	return fmt.Errorf("servicebus: %s %q: %w", op, id, err)
}
