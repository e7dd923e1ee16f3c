package ingest

import (
	"fmt"
	"mime"
	"net/http"
	"strings"
)

// requireJSON refuses with 415 a body that is not declared as JSON
// (application/json or application/*+json), saying what was sent.
func requireJSON(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if msg, ok := jsonContentType(r.Header.Get("Content-Type")); !ok {
			writeError(w, http.StatusUnsupportedMediaType, msg)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// jsonContentType accepts application/json and application/*+json.
func jsonContentType(ct string) (string, bool) {
	if ct == "" {
		return "missing Content-Type: send application/json", false
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return fmt.Sprintf("invalid Content-Type %q", ct), false
	}
	if mt == "application/json" || (strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json")) {
		return "", true
	}
	return fmt.Sprintf("Content-Type %q is not application/json", mt), false
}
