package service

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// EnvName is the environment variable that can set a flag: DUMPFLOW_ and
// the flag's name in upper case with '-' as '_' (--scm-url-template is
// DUMPFLOW_SCM_URL_TEMPLATE).
func EnvName(flagName string) string {
	return "DUMPFLOW_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// FillFromEnv sets every flag of fs not given on the command line from its
// EnvName variable in env, when that is non-empty. Call it after fs.Parse.
// A ListFlag takes a comma-separated list. Bad values are one error naming
// every variable at fault.
func FillFromEnv(fs *flag.FlagSet, env func(string) string) error {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		name := EnvName(f.Name)
		v := env(name)
		if set[f.Name] || v == "" {
			return
		}
		vals := []string{v}
		if _, multi := f.Value.(*ListFlag); multi {
			vals = strings.Split(v, ",")
		}
		for _, x := range vals {
			if err := f.Value.Set(strings.TrimSpace(x)); err != nil {
				errs = append(errs, fmt.Errorf("%s=%q: %v", name, v, err))
			}
		}
	})
	return errors.Join(errs...)
}

// ListFlag is a repeatable string flag (--app a --app b), or a
// comma-separated list from the environment.
type ListFlag []string

func (l *ListFlag) String() string { return strings.Join(*l, ",") }

// Set appends one value.
func (l *ListFlag) Set(v string) error {
	if v == "" {
		return errors.New("empty value")
	}
	*l = append(*l, v)
	return nil
}

// NewFlagSet returns a flag set named name (e.g. "worker serve") that
// reports errors to stderr instead of exiting.
func NewFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// ParseArgs parses args with flags and positional arguments in any order
// and returns the positional arguments. -h gives flag.ErrHelp; a bad flag
// is an error wrapping ErrUsage.
func ParseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, fmt.Errorf("%w: %v", ErrUsage, err)
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}
