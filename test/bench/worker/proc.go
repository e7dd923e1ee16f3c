package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// buildWorker builds ./cmd/worker into dir and returns the binary's path.
func buildWorker(ctx context.Context, dir string) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	root := filepath.Dir(strings.TrimSpace(string(out)))
	bin := filepath.Join(dir, "worker")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/worker")
	cmd.Dir = root
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("building cmd/worker: %w", err)
	}
	return bin, nil
}

// childResult is one child process run.
type childResult struct {
	wall     time.Duration
	maxRSS   int64         // bytes
	cpu      time.Duration // user + system
	lastLine string
	exitCode int
}

// runChild runs a command and measures its wall time and peak RSS.
func runChild(ctx context.Context, name string, args ...string) (childResult, error) {
	return runChildEnv(ctx, nil, name, args...)
}

// runChildEnv is runChild with more environment variables (NAME=value).
func runChildEnv(ctx context.Context, env []string, name string, args ...string) (childResult, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.Env = append(append(os.Environ(), "GOMAXPROCS=2"), env...)
	start := time.Now()
	err := cmd.Run()
	r := childResult{wall: time.Since(start)}
	if cmd.ProcessState != nil {
		r.exitCode = cmd.ProcessState.ExitCode()
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			r.maxRSS = ru.Maxrss * 1024 // KiB on Linux
			r.cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		}
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	r.lastLine = lines[len(lines)-1]
	if err != nil && r.exitCode != 1 {
		return r, fmt.Errorf("%s: %w: %s", filepath.Base(name), err, stderr.String())
	}
	return r, nil
}

// captureSummary is the part of `worker capture`'s summary the bench reads.
type captureSummary struct {
	Dumps []struct {
		App        string `json:"app"`
		Instance   string `json:"instance"`
		PID        int    `json:"pid"`
		Key        string `json:"key"`
		Bytes      int64  `json:"bytes"`
		SHA256     string `json:"sha256"`
		DurationMS int64  `json:"duration_ms"`
		Attempts   int    `json:"attempts"`
	} `json:"dumps"`
	Failures []struct {
		App    string `json:"app"`
		Reason string `json:"reason"`
	} `json:"failures"`
}

func parseSummary(line string) (captureSummary, error) {
	var s captureSummary
	if err := json.Unmarshal([]byte(line), &s); err != nil {
		return s, fmt.Errorf("worker summary %q: %w", line, err)
	}
	return s, nil
}

func mibps(n int64, d time.Duration) float64 { return float64(n) / (1 << 20) / d.Seconds() }
