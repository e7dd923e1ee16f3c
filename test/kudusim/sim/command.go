package sim

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/dumpflow/dumpflow/test/kudusim/dumpgen"
)

// commandResult is Kudu's CommandResult: PascalCase keys, Output null when
// the command was aborted.
type commandResult struct {
	Output   *string `json:"Output"`
	Error    string  `json:"Error"`
	ExitCode int     `json:"ExitCode"`
}

// splitCommand splits a command line by cmd.exe-like rules: whitespace
// separates, double quotes group.
func splitCommand(line string) []string {
	var args []string
	var cur strings.Builder
	inQ, has := false, false
	for _, r := range line {
		switch {
		case r == '"':
			inQ, has = !inQ, true
		case (r == ' ' || r == '\t') && !inQ:
			if has {
				args = append(args, cur.String())
				cur.Reset()
				has = false
			}
		default:
			cur.WriteRune(r)
			has = true
		}
	}
	if has {
		args = append(args, cur.String())
	}
	return args
}

// expandHome resolves %HOME% and makes a path relative to D:\home. ok is
// false for a path outside %HOME%.
func expandHome(p, dir string) (string, bool) {
	p = strings.ReplaceAll(p, "%HOME%", `D:\home`)
	p = strings.ReplaceAll(strings.ReplaceAll(p, "%home%", `D:\home`), "/", `\`)
	if len(p) >= 2 && p[1] == ':' {
		rest, ok := strings.CutPrefix(strings.ToLower(p), `d:\home`)
		if !ok || (rest != "" && rest[0] != '\\') {
			return "", false
		}
		return cleanPath(p[len(`d:\home`):])
	}
	return cleanPath(dir + `\` + p)
}

// serveCommand is POST /api/command (and …/command/): the line runs under
// the simulated cmd.exe (shell.go) in dir, joined to %HOME% after its
// variables are expanded. The command keeps running when the client goes
// away or the front end cuts the call (Kudu does not watch for
// disconnects).
func (s *Server) serveCommand(w http.ResponseWriter, r *http.Request, a *app, in *instance) {
	var body struct {
		Command string `json:"command"`
		Dir     string `json:"dir"`
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil || json.Unmarshal(raw, &body) != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	env := commandEnv(a, in)
	s.mu.Unlock()
	dir, ok := expandHome(env.expand(body.Dir), "")
	if !ok {
		dir = ""
	}
	done := make(chan commandResult, 1)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		sh := &shell{s: s, a: a, in: in, env: env, cwd: dir, line: body.Command}
		done <- sh.run(body.Command)
	}()
	var limit <-chan time.Time
	if s.cfg.FirstByteLimit > 0 {
		t := time.NewTimer(s.cfg.FirstByteLimit)
		defer t.Stop()
		limit = t.C
	}
	select {
	case res := <-done:
		writeJSON(w, http.StatusOK, res)
	case <-limit:
		s.fault(r, a, s.cfg.FirstByteStatus, "front-end first-byte limit")
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(s.cfg.FirstByteStatus)
	case <-r.Context().Done():
	}
}

func strp(s string) *string { return &s }

const procdumpBanner = "\r\nProcDump v11.0 - Sysinternals process dump utility\r\nCopyright (C) 2009-2022 Mark Russinovich and Andrew Richards\r\nSysinternals - www.sysinternals.com\r\n\r\n"

// procdump simulates ProcDump writing a dump of pid to a file under
// %HOME%: the file exists and is locked (VFS 404) for the dump write time,
// then is complete. With Config.DumpToolSilent a write longer than the
// idle timeout is killed by Kudu's idle rule, leaving a truncated file.
func (s *Server) procdump(a *app, in *instance, line string, args []string, dir string) commandResult {
	dumpType, overwrite, clone := 0, false, false
	var pos []string
	for i := 0; i < len(args); i++ {
		switch arg := args[i]; strings.ToLower(arg) {
		case "-ma":
			dumpType = 2
		case "-mm", "-mp", "-accepteula":
		case "-o":
			overwrite = true
		case "-r":
			// -r [1..5]: dump a clone; the optional number is the
			// concurrency limit.
			clone = true
			if i+1 < len(args) && len(args[i+1]) == 1 && args[i+1][0] >= '1' && args[i+1][0] <= '5' {
				i++
			}
		default:
			pos = append(pos, arg)
		}
	}
	fail := func(msg string) commandResult {
		return commandResult{Output: strp(procdumpBanner + msg + "\r\n"), ExitCode: 1}
	}
	if len(pos) != 2 {
		return fail("Invalid argument: expected a process id and a dump file.")
	}
	pid, err := strconv.Atoi(pos[0])
	if err != nil {
		return fail("No process matching the specified name can be found.")
	}
	rel, ok := expandHome(pos[1], dir)
	if !ok || rel == "" {
		return fail("Error creating dump file '" + pos[1] + "': outside %HOME% (not simulated).")
	}
	now := time.Now().UTC()
	s.mu.Lock()
	p := in.procs[pid]
	if p == nil {
		s.mu.Unlock()
		return fail("No process matching the specified PID can be found.")
	}
	spec := s.dumpSpec(a, in, p, dumpType)
	if !a.fs.isDir(parent(rel)) {
		s.mu.Unlock()
		return fail("Error creating dump file '" + fullPath(rel) + "': The system cannot find the path specified. (0x80070003)")
	}
	if old := a.fs.files[key(rel)]; old != nil && (!overwrite || old.locked) {
		s.mu.Unlock()
		return fail("Dump file " + fullPath(rel) + " exists. Specify -o to overwrite.")
	}
	d, err := dumpgen.New(spec)
	if err != nil {
		s.mu.Unlock()
		return fail("Error writing dump: " + err.Error())
	}
	f := &vfile{name: rel, dump: d, size: d.Size(), locked: true, started: now, writeTime: s.cfg.DumpWriteTime, ctime: now, mtime: now}
	a.fs.files[key(rel)] = f
	tool := in.newProcess(strings.TrimSuffix(strings.ToLower(baseName(splitCommand(line)[0])), ".exe"), in.kuduPID(), dumpgen.RuntimeNative, now, 3, 8)
	tool.user = a.user()
	if k := in.kudu(); k != nil {
		tool.user = k.user // a command runs as Kudu does
	}
	tool.cmdLine = line
	s.mu.Unlock()

	out := procdumpBanner + fmt.Sprintf("[%s] Dump 1 initiated: %s\r\n", now.Format("15:04:05"), fullPath(rel))
	wait, aborted := s.cfg.DumpWriteTime, false
	if s.cfg.DumpToolSilent && s.cfg.DumpWriteTime > s.cfg.CommandIdleTimeout {
		wait, aborted = s.cfg.CommandIdleTimeout, true
	}
	// The target is suspended while the tool reads it: for the whole write,
	// or with -r only while it is cloned (the tool then writes the clone).
	// The pause is measured, not assumed: it is the time the simulated
	// target actually spent suspended.
	begin := time.Now()
	var pause time.Duration
	if clone {
		if !s.waitOrStop(s.cfg.ClonePause) {
			aborted = true
		}
		pause = time.Since(begin)
	}
	if !s.waitOrStop(wait) {
		aborted = true
	}
	if !clone {
		pause = time.Since(begin)
	}
	ev := Event{Kind: EventStagedDump, App: a.name, Instance: in.id, PID: p.pid, Process: p.name, DumpType: dumpType, Size: d.Size(), Path: rel,
		Clone: clone, Pause: pause}
	if clone {
		ev.CloneBytes = p.private
	}
	var cut int64
	if aborted {
		s.mu.Lock()
		cut, _ = f.progress(time.Now())
		s.mu.Unlock()
	} else {
		ev.Complete, ev.Bytes = true, d.Size()
	}
	s.mu.Lock()
	f.locked, f.mtime = false, time.Now().UTC()
	if aborted {
		f.size, ev.Bytes = cut, cut
		ev.Detail = "killed by the idle rule; the file is truncated"
	}
	delete(in.procs, tool.pid)
	s.mu.Unlock()
	if aborted {
		s.log.add(ev)
		first := line
		if len(first) > 15 {
			first = first[:15]
		}
		return commandResult{ExitCode: -1, Error: fmt.Sprintf("Command 'starter.cmd %s ...' was aborted due to no output nor CPU activity for %d seconds. You can increase the SCM_COMMAND_IDLE_TIMEOUT app setting (or WEBJOBS_IDLE_TIMEOUT if this is a WebJob) if needed.",
			first, int(s.cfg.CommandIdleTimeout/time.Second))}
	}
	s.log.addHashed(ev, s.dumpSHA(dumpKey{a.name, in.id, p.pid, dumpType, d.Size()}, d))
	done := time.Now().UTC()
	out += fmt.Sprintf("[%s] Dump 1 writing: Estimated dump file size is %d MB.\r\n", done.Format("15:04:05"), d.Size()>>20)
	out += fmt.Sprintf("[%s] Dump 1 complete: %d MB written in %.1f seconds\r\n", done.Format("15:04:05"), d.Size()>>20, done.Sub(now).Seconds())
	out += fmt.Sprintf("[%s] Dump count reached.\r\n\r\n", done.Format("15:04:05"))
	return commandResult{Output: strp(out)}
}

// waitOrStop waits d, or less when the server closes (false then).
func (s *Server) waitOrStop(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-s.ctx.Done():
		return false
	}
}

// kuduPID is the pid of Kudu's w3wp (the parent of commands), or 0.
func (in *instance) kuduPID() int {
	if k := in.kudu(); k != nil {
		return k.pid
	}
	return 0
}
