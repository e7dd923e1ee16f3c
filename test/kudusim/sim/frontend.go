package sim

import (
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// roll draws one fault decision.
func (s *Server) roll(rate float64) bool {
	if rate <= 0 {
		return false
	}
	s.fmu.Lock()
	defer s.fmu.Unlock()
	return s.frng.Float64() < rate
}

func (s *Server) pick(n int) int {
	s.fmu.Lock()
	defer s.fmu.Unlock()
	return s.frng.IntN(n)
}

// frontEnd plays the App Service front end for a Kudu (a != nil) or ARM
// request: authentication, then injected faults. It reports whether the
// request may go on; otherwise it has answered.
func (s *Server) frontEnd(w http.ResponseWriter, r *http.Request, a *app) bool {
	if !s.authorize(w, r, a) {
		return false
	}
	if a != nil && s.stopped(a) {
		s.fault(r, a, http.StatusForbidden, "stopped")
		writeHTML(w, http.StatusForbidden, "Error 403 - This web app is stopped.")
		return false
	}
	f := &s.cfg.Faults
	if s.roll(f.ScaleInRate) {
		s.scaleRandom(false)
	}
	if s.roll(f.ScaleOutRate) {
		s.scaleRandom(true)
	}
	if s.roll(f.LatencyRate) {
		s.fault(r, a, 0, "latency")
		select {
		case <-time.After(f.Latency):
		case <-r.Context().Done():
			return false
		}
	}
	if s.roll(f.ThrottleRate) {
		s.fault(r, a, http.StatusTooManyRequests, "throttle")
		secs := int((f.RetryAfter + time.Second - 1) / time.Second)
		w.Header().Set("Retry-After", fmt.Sprint(secs))
		writeHTML(w, http.StatusTooManyRequests, "429 Too Many Requests")
		return false
	}
	if s.roll(f.ErrorRate) {
		status := []int{http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable}[s.pick(3)]
		s.fault(r, a, status, "5xx")
		writeHTML(w, status, fmt.Sprintf("%d %s", status, http.StatusText(status)))
		return false
	}
	return true
}

func (s *Server) fault(r *http.Request, a *app, status int, what string) {
	e := Event{Kind: EventFault, Status: status, Detail: what + " " + r.Method + " " + r.URL.Path}
	if a != nil {
		e.App = a.name
	}
	s.log.add(e)
	s.logf("fault %s", e.Detail)
}

// stopped reports whether a is one of Config.StoppedApps.
func (s *Server) stopped(a *app) bool {
	for _, n := range s.cfg.StoppedApps {
		if strings.EqualFold(n, a.name) {
			return true
		}
	}
	return false
}

// authorize checks credentials when Config.Auth requires them. Failures
// get 401 with an HTML page, as the front end answers.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request, a *app) bool {
	au := &s.cfg.Auth
	if !au.required() || (a == nil && len(au.Tokens) == 0) {
		return true // ARM takes bearer tokens only; without any, ARM is open
	}
	scheme, cred, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	switch {
	case strings.EqualFold(scheme, "Bearer") && len(au.Tokens) > 0:
		for _, t := range au.Tokens {
			if subtle.ConstantTimeCompare([]byte(strings.TrimSpace(cred)), []byte(t)) == 1 {
				if s.roll(s.cfg.Faults.TokenRejectRate) {
					s.fault(r, a, http.StatusUnauthorized, "token-rejected")
					w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token", error_description="The access token has expired"`)
					writeHTML(w, http.StatusUnauthorized, "401 - Unauthorized: Access is denied due to invalid credentials.")
					return false
				}
				return true
			}
		}
	case strings.EqualFold(scheme, "Basic") && au.Password != "" && a != nil && !au.BasicDisabled:
		raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(cred))
		user, pass, ok := strings.Cut(string(raw), ":")
		if err == nil && ok && user == "$"+a.pool() && subtle.ConstantTimeCompare([]byte(pass), []byte(au.Password)) == 1 {
			return true
		}
	}
	if au.Password != "" && a != nil {
		w.Header().Add("WWW-Authenticate", `Basic realm="`+a.name+`.scm.azurewebsites.net"`)
	}
	if len(au.Tokens) > 0 {
		w.Header().Add("WWW-Authenticate", `Bearer`)
	}
	writeHTML(w, http.StatusUnauthorized, "401 - Unauthorized: Access is denied due to invalid credentials.")
	return false
}

// scaleRandom removes an instance from a random app with more than one,
// or adds one to a random app.
func (s *Server) scaleRandom(out bool) {
	s.mu.Lock()
	a := s.apps[s.pick(len(s.apps))]
	name := a.name
	var victim string
	if !out && len(a.instances) > 1 {
		victim = a.instances[s.pick(len(a.instances))].id
	}
	s.mu.Unlock()
	if out {
		_, _ = s.AddInstance(name)
	} else if victim != "" {
		_ = s.RemoveInstance(name, victim)
	}
}

// route picks the instance that serves a Kudu request: the ARRAffinity
// (or ARRAffinitySameSite) cookie's instance when it exists, otherwise the
// next one round-robin, silently (docs/kudu.md, "Pinning"). The caller holds s.mu.
func (a *app) route(r *http.Request) *instance {
	for _, name := range []string{"ARRAffinity", "ARRAffinitySameSite"} {
		if c, err := r.Cookie(name); err == nil {
			for _, in := range a.instances {
				if strings.EqualFold(in.id, c.Value) {
					return in
				}
			}
		}
	}
	a.rr++
	return a.instances[a.rr%len(a.instances)]
}

// setAffinity names the serving instance in cookies scoped to the app's
// path (the simulator shares one host between apps).
func setAffinity(w http.ResponseWriter, a *app, in *instance) {
	path := "/" + a.name
	w.Header().Add("Set-Cookie", "ARRAffinity="+in.id+";Path="+path+";HttpOnly")
	w.Header().Add("Set-Cookie", "ARRAffinitySameSite="+in.id+";Path="+path+";HttpOnly;SameSite=None")
}
