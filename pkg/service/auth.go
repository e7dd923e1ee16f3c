package service

import (
	"flag"
	"fmt"
	"net/url"
	"strconv"
)

// AuthFlag is the --auth flag every binary shares: which credentials go to
// ARM and Kudu. "azure" uses azidentity's default credential, "none" sends
// none (simulators), and "auto" — the default — is "none" for an http://
// endpoint and "azure" otherwise.
type AuthFlag struct {
	mode string
}

// Register adds --auth to fs, and ingest's older --arm-auth=true|false as
// a deprecated spelling of it (kept because scripts use it).
func (a *AuthFlag) Register(fs *flag.FlagSet) {
	a.mode = "auto"
	fs.Func("auth", "credentials for ARM and Kudu: azure (azidentity default credential), none, or auto (none for http:// endpoints, else azure) (default auto)", a.set)
	fs.BoolFunc("arm-auth", "deprecated: use --auth azure|none", func(v string) error {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("want true or false (better: --auth azure|none)")
		}
		a.mode = map[bool]string{true: "azure", false: "none"}[b]
		return nil
	})
}

func (a *AuthFlag) set(v string) error {
	switch v {
	case "azure", "none", "auto":
		a.mode = v
		return nil
	}
	return fmt.Errorf("want azure, none or auto")
}

// Azure reports whether Azure credentials are to be sent to endpoint.
func (a *AuthFlag) Azure(endpoint string) bool {
	switch a.mode {
	case "azure":
		return true
	case "none":
		return false
	}
	u, err := url.Parse(endpoint)
	return err != nil || u.Scheme != "http"
}
