package service

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"
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
				errs = append(errs, fmt.Errorf("%s=%q: %s", name, v, valueError(f.Value, err)))
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
// and returns the positional arguments. -h/--help prints the flags to the
// flag set's output and gives flag.ErrHelp (exit 0); a bad flag is a
// one-line error wrapping ErrUsage, without the whole flag list.
func ParseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	out := fs.Output()
	fs.SetOutput(io.Discard)
	defer fs.SetOutput(out)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fs.SetOutput(out)
				fmt.Fprintf(out, "usage of %s:\n", fs.Name())
				fs.PrintDefaults()
				return nil, err
			}
			return nil, &usageError{cmd: fs.Name(), err: fmt.Errorf("%w: %v", ErrUsage, err)}
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// valueError says what kind of value a flag wants, for a value that did not
// parse (flag's own errors say only "parse error").
func valueError(v flag.Value, err error) string {
	g, ok := v.(flag.Getter)
	if !ok {
		return err.Error()
	}
	switch g.Get().(type) {
	case bool:
		return "want true or false"
	case int, int64, uint, uint64:
		return "want a whole number"
	case float64:
		return "want a number"
	case time.Duration:
		return "want a duration such as 30s, 5m or 1h30m"
	}
	return err.Error()
}
