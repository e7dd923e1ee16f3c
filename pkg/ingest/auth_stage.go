package ingest

import "net/http"

// authenticate refuses with 401, and the authenticator's reason, a request
// a does not accept; an accepted caller's identity is recorded for the
// handler (callerOf) and the access log.
func authenticate(a Authenticator) stage {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			who, err := a.Authenticate(r)
			if err != nil {
				writeError(w, http.StatusUnauthorized, err.Error())
				return
			}
			r, x := exchangeOf(r)
			x.caller = who
			next.ServeHTTP(w, r)
		})
	}
}
