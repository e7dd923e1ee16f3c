package sim

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

type armError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func writeARMError(w http.ResponseWriter, status int, code, msg string) {
	var e armError
	e.Error.Code, e.Error.Message = code, msg
	writeJSON(w, status, e)
}

// serveARM answers the Microsoft.Web routes the simulator knows, under
// each app's resource id:
//
//	GET  {site}                                       the site (hostNameSslStates)
//	GET  {site}/instances                             instances, paged with nextLink
//	GET  {site}/instances/{id}                        one instance
//	*    {site}/instances/{id}/processes[/…]          Kudu's process API on that instance, ARM envelope
//	*    {site}/processes[/…]                         the same on whichever instance
//	POST {site}/config/publishingcredentials/list     publishing credentials (scmUri)
//	GET  {site}/basicPublishingCredentialsPolicies/scm  {"properties":{"allow":…}}
//	GET  {site}/providers/Microsoft.Insights/metrics  Azure Monitor metrics (Script.Requests)
func (s *Server) serveARM(w http.ResponseWriter, r *http.Request) {
	if _, ok := queryValue(r, "api-version"); !ok {
		writeARMError(w, http.StatusBadRequest, "MissingApiVersionParameter",
			"The api-version query parameter (?api-version=) is required for all requests.")
		return
	}
	p := strings.TrimSuffix(r.URL.Path, "/")
	var a *app
	s.mu.Lock()
	for _, cand := range s.apps { // the longest match wins: slots before their site
		rid := strings.ToLower(cand.resourceID)
		if lp := strings.ToLower(p); (lp == rid || strings.HasPrefix(lp, rid+"/")) && (a == nil || len(rid) > len(a.resourceID)) {
			a = cand
		}
	}
	s.mu.Unlock()
	if a == nil {
		writeARMError(w, http.StatusNotFound, "ResourceNotFound", "The Resource '"+p+"' was not found.")
		return
	}
	rest := strings.Trim(p[len(a.resourceID):], "/")
	parts := strings.Split(rest, "/")
	switch {
	case rest == "" && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, s.armSite(r, a))
	case rest == "instances" && r.Method == http.MethodGet:
		s.armInstances(w, r, a)
	case len(parts) == 2 && parts[0] == "instances" && r.Method == http.MethodGet:
		s.mu.Lock()
		in := a.instanceByID(parts[1])
		s.mu.Unlock()
		if in == nil {
			writeARMError(w, http.StatusNotFound, "NotFound", "Instance '"+parts[1]+"' was not found.")
			return
		}
		writeJSON(w, http.StatusOK, s.armInstance(r, a, in))
	case len(parts) >= 3 && parts[0] == "instances" && parts[2] == "processes":
		s.mu.Lock()
		in := a.instanceByID(parts[1])
		if in != nil {
			s.respawnLocked(in)
		}
		s.mu.Unlock()
		if in == nil {
			writeARMError(w, http.StatusNotFound, "NotFound", "Instance '"+parts[1]+"' was not found.")
			return
		}
		s.armProcesses(w, r, a, in, a.resourceID+"/instances/"+in.id+"/processes", strings.Join(parts[3:], "/"))
	case parts[0] == "processes":
		s.mu.Lock()
		in := a.route(r)
		s.respawnLocked(in)
		s.mu.Unlock()
		s.armProcesses(w, r, a, in, a.resourceID+"/processes", strings.Join(parts[1:], "/"))
	case strings.EqualFold(rest, "providers/Microsoft.Insights/metrics") && r.Method == http.MethodGet:
		s.armMetrics(w, r, a)
	case rest == "config/publishingcredentials/list" && r.Method == http.MethodPost:
		s.armCredentials(w, r, a)
	case strings.EqualFold(rest, "basicPublishingCredentialsPolicies/scm") && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, armEntry{ID: a.resourceID + "/basicPublishingCredentialsPolicies/scm", Name: "scm",
			Type: "Microsoft.Web/sites/basicPublishingCredentialsPolicies", Location: "West Europe",
			Properties: map[string]bool{"allow": !s.cfg.Auth.BasicDisabled}})
	default:
		writeARMError(w, http.StatusNotFound, "NotFound", "No route for "+r.Method+" "+p+".")
	}
}

func (a *app) instanceByID(id string) *instance {
	for _, in := range a.instances {
		if strings.EqualFold(in.id, id) {
			return in
		}
	}
	return nil
}

// armProcesses forwards to the instance's Kudu process API as ARM does:
// x-ms-geo-location set, hrefs on the SCM host, ids on the ARM path. ARM
// adds the RBAC-contributor header for principals with write access; the
// simulator's tokens are treated as such.
func (s *Server) armProcesses(w http.ResponseWriter, r *http.Request, a *app, in *instance, colID, sub string) {
	k := &kreq{s: s, w: w, r: r, a: a, in: in, col: s.URL + "/" + a.name + "/api/processes",
		arm: true, armID: colID, location: "West Europe", contributor: true, path: strings.TrimSuffix("/api/processes/"+sub, "/")}
	s.serveProcesses(k, sub)
}

// armType is the site's ARM resource type.
func (a *app) armType() string {
	if a.slot != "" {
		return "Microsoft.Web/sites/slots"
	}
	return "Microsoft.Web/sites"
}

func (s *Server) scmHost(a *app) string { return strings.TrimPrefix(s.URL, "http://") + "/" + a.name }

func (s *Server) armSite(r *http.Request, a *app) armEntry {
	host := a.name + ".azurewebsites.net"
	name := a.site
	if a.slot != "" {
		name = a.site + "/" + a.slot
	}
	return armEntry{ID: a.resourceID, Name: name, Type: a.armType(), Location: "West Europe",
		Properties: map[string]any{
			"name": a.name, "state": "Running", "kind": "app", "resourceGroup": "rg-dumpflow-sim",
			"hostNames": []string{host}, "enabledHostNames": []string{host, a.name + ".scm.azurewebsites.net"},
			"defaultHostName": host, "clientAffinityEnabled": true, "sku": s.cfg.SKU,
			// The simulator serves every app on one listener, so the SCM
			// "host" carries the app's path: "HOST:PORT/{app}".
			"hostNameSslStates": []map[string]any{
				{"name": host, "sslState": "Disabled", "hostType": "Standard"},
				{"name": s.scmHost(a), "sslState": "Disabled", "hostType": "Repository"},
			},
		}}
}

func (s *Server) armInstance(r *http.Request, a *app, in *instance) armEntry {
	scm := s.URL + "/" + a.name
	return armEntry{ID: a.resourceID + "/instances/" + in.id, Name: in.id, Type: a.armType() + "/instances",
		Location: "West Europe", Properties: map[string]any{
			"state": "READY", "statusUrl": scm + "/api/status", "detectorUrl": scm + "/detectors",
			"consoleUrl": scm + "/DebugConsole", "healthCheckUrl": scm + "/api/health",
		}}
}

// armInstances lists instances ARMPageSize at a time; nextLink carries a
// $skiptoken with the offset.
func (s *Server) armInstances(w http.ResponseWriter, r *http.Request, a *app) {
	skip := 0
	if v, ok := queryValue(r, "$skiptoken"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			writeARMError(w, http.StatusBadRequest, "InvalidSkipToken", "The $skiptoken '"+v+"' is invalid.")
			return
		}
		skip = n
	}
	s.mu.Lock()
	ins := append([]*instance(nil), a.instances...)
	s.mu.Unlock()
	out := struct {
		Value    []armEntry `json:"value"`
		NextLink string     `json:"nextLink,omitempty"`
	}{Value: []armEntry{}}
	end := min(skip+s.cfg.ARMPageSize, len(ins))
	for i := skip; i < end; i++ {
		out.Value = append(out.Value, s.armInstance(r, a, ins[i]))
	}
	if end < len(ins) {
		q := url.Values{"api-version": {r.URL.Query().Get("api-version")}, "$skiptoken": {strconv.Itoa(end)}}
		out.NextLink = "http://" + r.Host + a.resourceID + "/instances?" + q.Encode()
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) armCredentials(w http.ResponseWriter, r *http.Request, a *app) {
	user := "$" + a.pool()
	scm := "http://" + url.UserPassword(user, s.cfg.Auth.Password).String() + "@" + s.scmHost(a)
	writeJSON(w, http.StatusOK, armEntry{ID: a.resourceID + "/config/publishingcredentials", Name: a.name,
		Type: "Microsoft.Web/sites/config", Location: "West Europe",
		Properties: map[string]string{"name": "", "publishingUserName": user, "publishingPassword": s.cfg.Auth.Password, "scmUri": scm}})
}
