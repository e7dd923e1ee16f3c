package arm

import (
	"context"
	"fmt"
)

// DefaultMaxPages bounds nextLink paging when List is given no limit.
const DefaultMaxPages = 1000

// Page is one page of an ARM list answer.
type Page[T any] struct {
	Value    []T    `json:"value"`
	NextLink string `json:"nextLink"`
}

// List GETs first and each nextLink after it (at most maxPages pages; 0
// means DefaultMaxPages), calling each for every value. A nextLink on
// another scheme or host is not followed: List returns an error wrapping
// ErrForeignHost.
func List[T any](ctx context.Context, c *Client, first string, maxPages int, each func(T) error) error {
	if maxPages <= 0 {
		maxPages = DefaultMaxPages
	}
	next := first
	for page := 0; next != ""; page++ {
		if page >= maxPages {
			return fmt.Errorf("arm: more than %d pages", maxPages)
		}
		var p Page[T]
		if err := c.Get(ctx, next, &p); err != nil {
			return err
		}
		for _, v := range p.Value {
			if err := each(v); err != nil {
				return err
			}
		}
		next = ""
		if p.NextLink != "" {
			var err error
			if next, err = c.resolveNext(p.NextLink); err != nil {
				return err
			}
		}
	}
	return nil
}
