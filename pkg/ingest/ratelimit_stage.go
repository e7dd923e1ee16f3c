package ingest

import (
	"net"
	"net/http"
	"strconv"
	"time"
)

// rateLimit refuses with 429 and a Retry-After (whole seconds, rounded
// up) a client over its rate in l; a nil l limits nothing. It comes before
// authentication, so a flood of bad credentials is limited too.
func rateLimit(l *rateLimiter) stage {
	return func(next http.Handler) http.Handler {
		if l == nil {
			return next
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if ok, wait := l.allow(clientKey(r)); !ok {
				w.Header().Set("Retry-After", strconv.Itoa(int(wait/time.Second)+1))
				writeError(w, http.StatusTooManyRequests, "rate limit exceeded for this client; retry later")
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// clientKey is the client's address without port. X-Forwarded-For is not
// trusted (it is the caller's to forge); run behind a proxy that sets the
// connection's address or rate-limit at the proxy.
func clientKey(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
