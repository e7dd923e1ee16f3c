package retry_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/dumpflow/dumpflow/pkg/retry"
)

func ExampleDo() {
	errBusy := errors.New("503 busy")
	attempts, err := retry.Do(context.Background(), retry.Options{
		BackOff:     retry.Exponential(time.Millisecond, 4*time.Millisecond, time.Minute, 0),
		MaxAttempts: 3,
		Notify: func(attempt int, err error, wait time.Duration) {
			fmt.Printf("attempt %d failed (%v); retrying in %s\n", attempt, err, wait)
		},
	}, func(attempt int) error {
		if attempt == 3 {
			return retry.Permanent(errors.New("404 not found"))
		}
		return errBusy
	})
	fmt.Println(attempts, err)
	// Output:
	// attempt 1 failed (503 busy); retrying in 1ms
	// attempt 2 failed (503 busy); retrying in 2ms
	// 3 404 not found
}
