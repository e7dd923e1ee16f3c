package kudu

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestIsTransientTable(t *testing.T) {
	api := func(code int, msg string) error {
		return fmt.Errorf("wrapped: %w", &APIError{Op: "op", StatusCode: code, Message: msg})
	}
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{nil, false},
		{api(400, ""), false},
		{api(401, ""), false},
		{api(403, ""), false},
		{api(404, ""), false},
		{api(408, ""), true},
		{api(412, ""), false},
		{api(429, ""), true},
		{api(500, "disk full"), true},
		{api(500, "Site sku (Free) does not support full minidump."), false},
		{api(502, ""), true},
		{api(503, ""), true},
		{api(504, ""), true},
		{fmt.Errorf("x: %w", syscall.ECONNRESET), true},
		{fmt.Errorf("x: %w", syscall.ECONNREFUSED), true},
		{&net.OpError{Op: "dial", Err: errors.New("no route")}, true},
		{io.ErrUnexpectedEOF, true},
		{fmt.Errorf("x: %w", ErrTruncated), true},
		{fmt.Errorf("x: %w", ErrFirstByteTimeout), true},
		{fmt.Errorf("x: %w", ErrIdleTimeout), true},
		{fmt.Errorf("x: %w", ErrRequestTimeout), true},
		{&DecodeError{Op: "x", Err: io.ErrUnexpectedEOF}, false},
		{&HostMismatchError{}, false},
		{&WrongInstanceError{}, false},
		{fmt.Errorf("x: %w", ErrRefused), false},
		{context.Canceled, false},
		{fmt.Errorf("x: %w", context.DeadlineExceeded), false},
		{errors.New("something else"), false},
	} {
		if got := IsTransient(tc.err); got != tc.want {
			t.Errorf("IsTransient(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for v, want := range map[string]time.Duration{
		"":                              0,
		"7":                             7 * time.Second,
		"0":                             0,
		"-3":                            0,
		"abc":                           0,
		"999999999":                     24 * time.Hour,
		"Thu, 01 Jan 2026 00:00:30 GMT": 30 * time.Second,
		"Wed, 31 Dec 2025 00:00:30 GMT": 0,
	} {
		if got := parseRetryAfter(v, now); got != want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", v, got, want)
		}
	}
	if _, ok := RetryAfter(errors.New("x")); ok {
		t.Fatal("RetryAfter on a plain error")
	}
}

func TestParseErrorBody(t *testing.T) {
	for _, tc := range []struct{ ct, body, code, msg string }{
		{"application/json", doc404, "", "Process with an Id of 999 is not running."},
		{"application/json", `{"error":{"code":"NotFound","message":"no such site"}}`, "NotFound", "no such site"},
		{"application/json", doc500NoW3wp, "", "An error has occurred. Sequence contains no elements"},
		{"text/html", docHTML401, "", "401 - Unauthorized: Access is denied due to invalid credentials."},
		{"text/html", "<html><body><h1>This web app is stopped.</h1>\n<p>x</p></body></html>", "", "This web app is stopped. x"},
		{"text/plain", "Not supported on Linux", "", "Not supported on Linux"},
		{"", "", "", ""},
		{"application/json", "{broken", "", "{broken"},
	} {
		code, msg := parseErrorBody(tc.ct, []byte(tc.body))
		if code != tc.code || msg != tc.msg {
			t.Errorf("parseErrorBody(%q) = %q, %q; want %q, %q", tc.body, code, msg, tc.code, tc.msg)
		}
	}
	_, long := parseErrorBody("text/plain", []byte(strings.Repeat("é", 1000)))
	if len(long) > maxMessage+len("…") || !strings.HasSuffix(long, "…") {
		t.Fatalf("not clipped: %d bytes", len(long))
	}
}

func TestErrorMessages(t *testing.T) {
	e := &APIError{Op: "get process 5", Method: "GET", URL: "https://x/api/processes/5", StatusCode: 404, Message: "gone"}
	if got := e.Error(); got != "kudu: get process 5: GET https://x/api/processes/5: 404 Not Found: gone" {
		t.Fatal(got)
	}
	w := &WrongInstanceError{Want: "a", Got: "b", MachineName: "M", Evidence: "WEBSITE_INSTANCE_ID"}
	if !strings.Contains(w.Error(), "instance a was answered by b (machine M)") {
		t.Fatal(w.Error())
	}
}
