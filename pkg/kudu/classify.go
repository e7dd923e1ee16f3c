package kudu

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"html"
	"io"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// maxErrorBody bounds how much of an error body is read for its message.
const maxErrorBody = 64 << 10

// maxMessage bounds the length of APIError.Message.
const maxMessage = 512

// freeSKUMessage is the documented 500 for a full dump on a Free plan
// (docs/kudu.md); retrying it cannot succeed.
const freeSKUMessage = "does not support full minidump"

// IsTransient reports whether retrying the operation that returned err may
// succeed: 408, 429, 500, 502, 503 and 504 answers (except the Free-plan
// full-dump 500), connection resets and refusals, network timeouts, the
// response-header and idle-read timeouts, and a body cut off before its
// Content-Length. Everything else is permanent: 400, 401, 403, 404, bad
// JSON, host mismatch, wrong instance, refused requests. Errors caused by
// the caller's own context (cancelled or past its deadline) are not
// transient; the caller knows why it gave up.
func IsTransient(err error) bool {
	if err == nil {
		return false
	}
	var ae *APIError
	if errors.As(err, &ae) {
		switch ae.StatusCode {
		case http.StatusRequestTimeout, http.StatusTooManyRequests,
			http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
			return true
		case http.StatusInternalServerError:
			return !strings.Contains(ae.Message, freeSKUMessage)
		}
		return false
	}
	var de *DecodeError
	if errors.As(err, &de) {
		return false
	}
	switch {
	case errors.Is(err, ErrFirstByteTimeout), errors.Is(err, ErrRequestTimeout), errors.Is(err, ErrIdleTimeout), errors.Is(err, ErrTruncated):
		return true
	case errors.Is(err, ErrHostMismatch), errors.Is(err, ErrWrongInstance), errors.Is(err, ErrRefused),
		errors.Is(err, ErrChanged), errors.Is(err, ErrStaged):
		return false
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return false
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.ECONNREFUSED),
		errors.Is(err, syscall.ECONNABORTED), errors.Is(err, syscall.EPIPE),
		errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	var oe *net.OpError
	return errors.As(err, &oe)
}

// RetryAfter returns the server's Retry-After delay carried by err (429 or
// 503 answers), and whether there was one.
func RetryAfter(err error) (time.Duration, bool) {
	var ae *APIError
	if errors.As(err, &ae) && ae.RetryAfter > 0 {
		return ae.RetryAfter, true
	}
	return 0, false
}

// parseRetryAfter reads a Retry-After header: delay-seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n <= 0 {
			return 0
		}
		if n > 24*3600 {
			n = 24 * 3600
		}
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

// newAPIError builds an *APIError from a non-success response and closes
// its body.
func newAPIError(op string, resp *http.Response) *APIError {
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	code, msg := parseErrorBody(resp.Header.Get("Content-Type"), body)
	e := &APIError{
		Op:         op,
		StatusCode: resp.StatusCode,
		Code:       code,
		Message:    msg,
		RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()),
	}
	if resp.Request != nil {
		e.Method = resp.Request.Method
		e.URL = redactURL(resp.Request.URL.String())
	}
	return e
}

var (
	titleRE = regexp.MustCompile(`(?is)<title[^>]*>(.*?)</title>`)
	tagRE   = regexp.MustCompile(`(?s)<[^>]*>`)
	spaceRE = regexp.MustCompile(`\s+`)
)

// parseErrorBody extracts an ARM code and a human message from the error
// bodies Kudu and the front end send: Web API {"Message", "ExceptionMessage"},
// ARM {"error":{"code","message"}}, HTML pages (title, else text) and plain
// text. It never fails; unknown shapes give a trimmed prefix of the body.
func parseErrorBody(contentType string, body []byte) (code, msg string) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return "", ""
	}
	if body[0] == '{' {
		var w struct {
			Message          string `json:"Message"`
			ExceptionMessage string `json:"ExceptionMessage"`
			Error            *struct {
				Code    string `json:"code"`
				Message string `json:"message"`
			} `json:"error"`
		}
		if json.Unmarshal(body, &w) == nil {
			switch {
			case w.Error != nil:
				return w.Error.Code, clip(w.Error.Message)
			case w.ExceptionMessage != "" && w.Message != "":
				return "", clip(w.Message + " " + w.ExceptionMessage)
			case w.ExceptionMessage != "":
				return "", clip(w.ExceptionMessage)
			case w.Message != "":
				return "", clip(w.Message)
			}
		}
	}
	if body[0] == '"' {
		// Kudu's catch-all (Error404Controller) answers a JSON string:
		// "No route registered for '/api/…'".
		var s string
		if json.Unmarshal(body, &s) == nil {
			return "", clip(s)
		}
	}
	if strings.Contains(contentType, "html") || bytes.HasPrefix(body, []byte("<")) {
		if m := titleRE.FindSubmatch(body); m != nil {
			if t := clip(html.UnescapeString(string(m[1]))); t != "" {
				return "", t
			}
		}
		return "", clip(html.UnescapeString(tagRE.ReplaceAllString(string(body), " ")))
	}
	return "", clip(string(body))
}

// clip collapses white space and bounds s to maxMessage bytes on a rune
// boundary.
func clip(s string) string {
	s = strings.TrimSpace(spaceRE.ReplaceAllString(s, " "))
	if len(s) <= maxMessage {
		return s
	}
	cut := maxMessage
	for cut > 0 && !utf8RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }
