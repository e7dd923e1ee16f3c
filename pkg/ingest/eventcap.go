package ingest

import (
	"fmt"

	"github.com/dumpflow/dumpflow/pkg/alert"
)

// DefaultMaxEventsPerRequest is Config.MaxEventsPerRequest's default.
const DefaultMaxEventsPerRequest = 100

// TooManyEventsError refuses a payload carrying more alert events than
// Config.MaxEventsPerRequest (issue 22: one 819 KB Alertmanager payload
// made 3,000 incidents and 3,000 jobs in 3.3 s). Nothing of the payload is
// used: it is refused whole, never truncated silently. The handler answers
// 413.
type TooManyEventsError struct {
	Events, Max int
}

func (e *TooManyEventsError) Error() string {
	return fmt.Sprintf("the payload carries %d alerts, more than the %d accepted per request (ingest --max-events); nothing was done: send fewer per request (Alertmanager: max_alerts in the webhook receiver)", e.Events, e.Max)
}

// checkEvents refuses a with a *TooManyEventsError past max.
func checkEvents(a *alert.Alert, max int) error {
	if n := len(a.Alerts); n > max {
		return &TooManyEventsError{Events: n, Max: max}
	}
	return nil
}
