package worker

import (
	"errors"
	"fmt"
	"strings"
)

// AdviceStaged is appended to the reason of a direct dump that the front
// end's first-byte limit cut off.
const AdviceStaged = "use the staged strategy (action.strategy \"staged\") for large or full dumps"

// reason turns err into a sentence a person can act on.
func reason(err error) string {
	if err == nil {
		return ""
	}
	if plainHTTP(err) {
		return "the SCM host answered plain HTTP to an HTTPS request: it is not Azure's front end (a local simulator?); " +
			"point the worker at it with --scm-url-template http://HOST:PORT/{app} (the simulator prints its scm_url_template): " + err.Error()
	}
	var ke *KuduError
	if !errors.As(err, &ke) {
		switch {
		case errors.Is(err, ErrCorruptDump):
			return "the dump is corrupt: " + err.Error()
		case errors.Is(err, ErrShortDump):
			return "the dump is incomplete: " + err.Error()
		}
		return err.Error()
	}
	status := ""
	if ke.StatusCode != 0 {
		status = fmt.Sprintf(" (HTTP %d)", ke.StatusCode)
	}
	switch ke.Kind {
	case ErrorKindAuth:
		return fmt.Sprintf("Kudu refused the request%s: check the worker's credentials and its RBAC role on the app (Website Contributor): %v", status, err)
	case ErrorKindNotFound:
		return fmt.Sprintf("the process is no longer running%s: %v", status, err)
	case ErrorKindWrongInstance:
		return fmt.Sprintf("the instance no longer exists (the front end routed the request to another instance; scaled in or replaced): %v", err)
	case ErrorKindFirstByteLimit:
		return fmt.Sprintf("the direct dump was cut off by the front end's first-byte limit before Kudu finished writing it%s; %s: %v", status, AdviceStaged, err)
	}
	return err.Error()
}

// shortID is an instance id shortened for sentences (Kudu's own dump file
// names use the first 6 characters).
func shortID(id string) string {
	if len(id) > 12 {
		return id[:12] + "…"
	}
	return id
}

func equalFold(a, b string) bool { return strings.EqualFold(a, b) }

// plainHTTP reports whether err is net/http's refusal of a plain-HTTP
// answer on a TLS connection. net/http replaces the tls.RecordHeaderError
// with a text-only error, so its text is all there is to recognize; it
// only chooses the advice, never the retry decision.
func plainHTTP(err error) bool {
	return strings.Contains(err.Error(), "server gave HTTP response to HTTPS client")
}
