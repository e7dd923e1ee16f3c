package harness

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// Module is the module path of the repository the harness builds.
const Module = "github.com/dumpflow/dumpflow"

// ErrNoModule means no directory above the working directory holds the
// dumpflow go.mod.
var ErrNoModule = errors.New("harness: dumpflow module root not found")

// Binaries are the paths of the three built service binaries.
type Binaries struct {
	Ingest, Worker, Analyzer string
}

// ModuleRoot returns the directory of dumpflow's go.mod, searching from the
// working directory upwards.
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("harness: %w", err)
	}
	for {
		data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && strings.HasPrefix(strings.TrimSpace(string(data)), "module "+Module) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("%w (run from inside the repository)", ErrNoModule)
		}
		dir = parent
	}
}

// Build compiles cmd/ingest, cmd/worker and cmd/analyzer of the module at
// root into outDir with the go command on PATH (or $GOROOT/bin/go). race
// builds them with the race detector. The compiler's output is in the error
// when the build fails.
func Build(ctx context.Context, root, outDir string, race bool) (Binaries, error) {
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return Binaries{}, fmt.Errorf("harness: %w", err)
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	args := []string{"build", "-o", outDir + string(filepath.Separator)}
	if race {
		args = append(args, "-race")
	}
	args = append(args, "./cmd/ingest", "./cmd/worker", "./cmd/analyzer")
	cmd := exec.CommandContext(ctx, goBin, args...)
	cmd.Dir = root
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return Binaries{}, fmt.Errorf("harness: go %s: %w\n%s", strings.Join(args, " "), err, out.String())
	}
	exe := ""
	if runtime.GOOS == "windows" {
		exe = ".exe"
	}
	return Binaries{
		Ingest:   filepath.Join(outDir, "ingest"+exe),
		Worker:   filepath.Join(outDir, "worker"+exe),
		Analyzer: filepath.Join(outDir, "analyzer"+exe),
	}, nil
}
