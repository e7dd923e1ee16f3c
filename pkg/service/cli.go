package service

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
)

// ErrUsage marks a command-line usage error: exit status 2.
var ErrUsage = errors.New("usage")

// Command is one subcommand of a binary.
type Command struct {
	Summary string
	Run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

// CLI is a binary made of subcommands ("worker serve", "worker capture").
type CLI struct {
	Name     string
	Commands map[string]Command
	// Footer is printed after the subcommand list.
	Footer string
	// Quiet errors end the process with status 1 and no message (the
	// command has already said what went wrong, e.g. in a JSON summary).
	Quiet []error
}

// Run runs the subcommand named by args[0].
func (c *CLI) Run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		c.usage(stderr)
		if len(args) == 0 {
			return fmt.Errorf("%w: a subcommand is required", ErrUsage)
		}
		return nil
	}
	cmd, ok := c.Commands[args[0]]
	if !ok {
		c.usage(stderr)
		return fmt.Errorf("%w: unknown subcommand %q", ErrUsage, args[0])
	}
	return cmd.Run(ctx, args[1:], stdout, stderr)
}

func (c *CLI) usage(w io.Writer) {
	fmt.Fprintf(w, "usage: %s <subcommand> [flags] [args]\n", c.Name)
	names := make([]string, 0, len(c.Commands))
	width := 8
	for n := range c.Commands {
		names = append(names, n)
		width = max(width, len(n))
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-*s %s\n", width, n, c.Commands[n].Summary)
	}
	if c.Footer != "" {
		fmt.Fprintln(w, c.Footer)
	}
}

// Main runs the CLI with os.Args under a signal context and exits: 0 on
// success, 2 for usage errors and -h, 1 otherwise, with the error printed
// as "name: error" unless it is quiet or -h.
func (c *CLI) Main() {
	ctx, stop := SignalContext(context.Background())
	err := c.Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(c.exitCode(err, os.Stderr))
}

func (c *CLI) exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return 0
	}
	if errors.Is(err, flag.ErrHelp) {
		return 2
	}
	for _, q := range c.Quiet {
		if errors.Is(err, q) {
			return 1
		}
	}
	fmt.Fprintf(stderr, "%s: %v\n", c.Name, err)
	if errors.Is(err, ErrUsage) {
		return 2
	}
	return 1
}
