package harness

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// ErrExited means a process ended before it was ready.
var ErrExited = errors.New("harness: process exited")

// Proc is one child process whose stderr (the services' JSON logs) goes to
// a log file. It notes the first "http listening" address it logs.
type Proc struct {
	Name string
	// Log is the path of the process's log file.
	Log string

	cmd    *exec.Cmd
	done   chan struct{} // closed when the process has exited and its log is flushed
	err    error         // cmd.Wait's result, valid after done
	listen chan string   // receives the first listening address (buffered)
}

// StartProc starts bin with args, appending its stdout and stderr to
// logPath. env entries are added to the current environment.
func StartProc(name, bin string, args, env []string, logPath string) (*Proc, error) {
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("harness: %s log: %w", name, err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout = logFile
	setProcAttr(cmd)
	pipe, err := cmd.StderrPipe()
	if err != nil {
		logFile.Close()
		return nil, fmt.Errorf("harness: %s: %w", name, err)
	}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("harness: starting %s: %w", name, err)
	}
	p := &Proc{Name: name, Log: logPath, cmd: cmd, done: make(chan struct{}), listen: make(chan string, 1)}
	go func() { // owned by p: done is closed when it ends
		defer close(p.done)
		p.copyLog(pipe, logFile)
		p.err = cmd.Wait()
		logFile.Close()
	}()
	return p, nil
}

// copyLog copies stderr to the log file line by line, watching for the
// service's "http listening" line.
func (p *Proc) copyLog(r io.Reader, w io.Writer) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	found := false
	for sc.Scan() {
		line := sc.Bytes()
		_, _ = w.Write(append(line, '\n'))
		if found {
			continue
		}
		var rec struct {
			Msg  string `json:"msg"`
			Addr string `json:"addr"`
		}
		if json.Unmarshal(line, &rec) == nil && rec.Msg == "http listening" && rec.Addr != "" {
			found = true
			p.listen <- rec.Addr
		}
	}
	_, _ = io.Copy(w, r)
}

// PID is the process id.
func (p *Proc) PID() int { return p.cmd.Process.Pid }

// WaitListening returns the address the process logged as "http
// listening", waiting up to timeout. ErrExited when it ended first.
func (p *Proc) WaitListening(timeout time.Duration) (string, error) {
	select {
	case a := <-p.listen:
		return a, nil
	case <-p.done:
		return "", fmt.Errorf("%w: %s ended before listening (%v); see %s", ErrExited, p.Name, p.err, p.Log)
	case <-time.After(timeout):
		return "", fmt.Errorf("harness: %s did not listen within %s; see %s", p.Name, timeout, p.Log)
	}
}

// Exited reports whether the process has ended.
func (p *Proc) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Stop sends SIGTERM and waits up to grace for a clean exit, then kills
// the process. It returns nil only when the process exited with status 0
// after the SIGTERM.
func (p *Proc) Stop(grace time.Duration) error {
	if p.Exited() {
		return p.exitErr()
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil && !p.Exited() {
		_ = p.cmd.Process.Kill()
	}
	select {
	case <-p.done:
		return p.exitErr()
	case <-time.After(grace):
		_ = p.cmd.Process.Kill()
		<-p.done
		return fmt.Errorf("harness: %s did not stop within %s of SIGTERM; killed (see %s)", p.Name, grace, p.Log)
	}
}

// Kill sends SIGKILL and waits for the process to end.
func (p *Proc) Kill() {
	_ = p.cmd.Process.Kill()
	<-p.done
}

func (p *Proc) exitErr() error {
	if p.err != nil {
		return fmt.Errorf("harness: %s: %w (see %s)", p.Name, p.err, p.Log)
	}
	return nil
}
