package service

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"sort"
	"strings"
)

// ErrUsage marks a command-line usage error: exit status 2, the message
// after the command's name, and a one-line hint to --help. Wrap it as
// fmt.Errorf("%w: what is wrong", ErrUsage).
var ErrUsage = errors.New("usage")

// ExitStatus is an error that ends the process with Code. Msg, when set, is
// printed as "name: Msg"; when empty the command has already said what went
// wrong (e.g. in its summary).
type ExitStatus struct {
	Code int
	Msg  string
}

func (e *ExitStatus) Error() string {
	if e.Msg == "" {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Msg
}

// Command is one subcommand of a binary.
type Command struct {
	Summary string
	Run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

// CLI is a binary made of subcommands ("worker serve", "worker capture").
// Every binary follows the same rules: --help (or -h, or help) prints usage
// on stdout and exits 0, at the top and on every subcommand; --version
// prints the build; a usage error prints one line naming the mistake and a
// hint to --help, and exits 2; any other error prints one line and exits 1.
type CLI struct {
	Name     string
	Commands map[string]Command
	// Version is the release, set at build time (-X main.version=…).
	Version string
	// Footer is printed after the subcommand list.
	Footer string
	// Quiet errors end the process with status 1 and no message (the
	// command has already said what went wrong, e.g. in a JSON summary).
	Quiet []error
}

// usageError is a usage error of one (sub)command, for the --help hint.
type usageError struct {
	cmd string
	err error
}

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// Run runs the subcommand named by args[0].
func (c *CLI) Run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		c.usage(stderr)
		return &usageError{cmd: c.Name, err: fmt.Errorf("%w: a subcommand is required", ErrUsage)}
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		c.usage(stdout)
		return nil
	case "-version", "--version", "version":
		fmt.Fprintln(stdout, c.versionLine())
		return nil
	}
	cmd, ok := c.Commands[args[0]]
	if !ok {
		return &usageError{cmd: c.Name, err: fmt.Errorf("%w: unknown subcommand %q (one of %s)", ErrUsage, args[0], strings.Join(c.names(), ", "))}
	}
	err := cmd.Run(ctx, args[1:], stdout, stderr)
	var ue *usageError
	if errors.Is(err, ErrUsage) && !errors.As(err, &ue) {
		err = &usageError{cmd: c.Name + " " + args[0], err: err}
	}
	return err
}

func (c *CLI) names() []string {
	names := make([]string, 0, len(c.Commands))
	for n := range c.Commands {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func (c *CLI) usage(w io.Writer) {
	fmt.Fprintf(w, "usage: %s <subcommand> [flags] [args]\n", c.Name)
	width := 8
	for n := range c.Commands {
		width = max(width, len(n))
	}
	for _, n := range c.names() {
		fmt.Fprintf(w, "  %-*s %s\n", width, n, c.Commands[n].Summary)
	}
	fmt.Fprintf(w, "Run '%s <subcommand> --help' for its flags; '%s --version' prints the build.\n", c.Name, c.Name)
	if c.Footer != "" {
		fmt.Fprintln(w, c.Footer)
	}
}

// versionLine is "name version (revision, go version)", the revision from
// the build's VCS stamp when there is one.
func (c *CLI) versionLine() string {
	v := c.Version
	if v == "" {
		v = "dev"
	}
	extra := []string{}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				extra = append(extra, "revision "+s.Value[:12])
			}
		}
		extra = append(extra, bi.GoVersion)
	}
	return fmt.Sprintf("%s %s (%s)", c.Name, v, strings.Join(extra, ", "))
}

// Main runs the CLI with os.Args under a signal context and exits with the
// status Run's error calls for.
func (c *CLI) Main() { runMain(c.Run, c.ExitCode) }

// Main runs a program's run with os.Args[1:] under SignalContext, prints
// its error once as "name: error" and exits with the status the error
// calls for, by CLI.ExitCode's rules (0 for flag.ErrHelp, 2 for ErrUsage,
// an ExitStatus's code, else 1). Programs of one command (the simulator,
// the demo, the benchmarks) use it as binaries with subcommands use CLI.
func Main(name string, run func(ctx context.Context, args []string, stdout, stderr io.Writer) error) {
	runMain(run, (&CLI{Name: name}).ExitCode)
}

func runMain(run func(ctx context.Context, args []string, stdout, stderr io.Writer) error, exitCode func(error, io.Writer) int) {
	ctx, stop := SignalContext(context.Background())
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(exitCode(err, os.Stderr))
}

// ExitCode prints err for a person, once prefixed, and returns the exit
// status: 0 for success and --help, 2 for usage errors, an ExitStatus's
// own code, 1 otherwise.
func (c *CLI) ExitCode(err error, stderr io.Writer) int {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return 0
	}
	for _, q := range c.Quiet {
		if errors.Is(err, q) {
			return 1
		}
	}
	var es *ExitStatus
	if errors.As(err, &es) {
		if es.Msg != "" {
			fmt.Fprintln(stderr, c.prefixed(c.Name, err.Error()))
		}
		return es.Code
	}
	var ue *usageError
	if errors.As(err, &ue) {
		msg := strings.TrimPrefix(err.Error(), ErrUsage.Error()+": ")
		fmt.Fprintln(stderr, c.prefixed(ue.cmd, msg))
		fmt.Fprintf(stderr, "Run '%s --help' for usage.\n", ue.cmd)
		return 2
	}
	fmt.Fprintln(stderr, c.prefixed(c.Name, err.Error()))
	if errors.Is(err, ErrUsage) {
		return 2
	}
	return 1
}

// prefixed puts name before msg unless msg already starts with the
// binary's name (package errors say "worker: …" themselves).
func (c *CLI) prefixed(name, msg string) string {
	if strings.HasPrefix(msg, c.Name+": ") || strings.HasPrefix(msg, c.Name+" ") {
		return msg
	}
	return name + ": " + msg
}
