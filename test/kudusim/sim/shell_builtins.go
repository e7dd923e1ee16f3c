package sim

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The cmd.exe built-ins of the simulated shell (shell.go).

// set: no argument lists every variable; "set P" those whose name starts
// with P (errorlevel 1 and a message when none does); "set N=V" assigns.
func (sh *shell) set(arg string) {
	arg = strings.Trim(arg, `"`)
	if name, value, ok := strings.Cut(arg, "="); ok {
		sh.env.set(name, value)
		sh.code = 0
		return
	}
	var names []string
	for _, nv := range sh.env {
		if strings.HasPrefix(strings.ToUpper(nv[0]), strings.ToUpper(arg)) {
			names = append(names, nv[0])
		}
	}
	if len(names) == 0 {
		sh.fail(1, "Environment variable %s not defined\r\n", arg)
		return
	}
	sort.Slice(names, func(i, j int) bool { return strings.ToUpper(names[i]) < strings.ToUpper(names[j]) })
	for _, n := range names {
		v, _ := sh.env.get(n)
		fmt.Fprintf(&sh.out, "%s=%s\r\n", n, v)
	}
	sh.code = 0
}

// resolve turns a command argument into a %HOME%-relative path.
func (sh *shell) resolve(arg string) (string, bool) {
	return expandHome(strings.Trim(arg, `"`), sh.cwd)
}

func (sh *shell) cd(arg string) {
	if arg == "" {
		sh.out.WriteString(sh.fullCwd() + "\r\n")
		sh.code = 0
		return
	}
	p, ok := sh.resolve(strings.TrimPrefix(strings.TrimPrefix(arg, "/d "), "/D "))
	sh.s.mu.Lock()
	isDir := ok && sh.a.fs.isDir(p)
	sh.s.mu.Unlock()
	if !isDir {
		sh.fail(1, "The system cannot find the path specified.\r\n")
		return
	}
	sh.cwd, sh.code = p, 0
}

func (sh *shell) fullCwd() string {
	if sh.cwd == "" {
		return homeRoot
	}
	return fullPath(sh.cwd)
}

// dir lists a folder of %HOME% in cmd.exe's layout.
func (sh *shell) dir(arg string) {
	var p string
	ok := true
	if f := strings.Fields(arg); len(f) > 0 {
		p, ok = sh.resolve(f[len(f)-1])
	} else {
		p = sh.cwd
	}
	sh.s.mu.Lock()
	defer sh.s.mu.Unlock()
	if !ok || !sh.a.fs.isDir(p) {
		sh.fail(1, "File Not Found\r\n")
		return
	}
	full := homeRoot
	if p != "" {
		full = fullPath(p)
	}
	stamp := func(t time.Time) string { return t.UTC().Format("01/02/2006  03:04 PM") }
	fmt.Fprintf(&sh.out, " Volume in drive D is Windows\r\n Volume Serial Number is 1E3A-2B4C\r\n\r\n Directory of %s\r\n\r\n", full)
	var files, dirs int
	var bytes int64
	now := time.Now()
	for _, e := range sh.a.fs.children(&sh.a.staging, p) {
		switch {
		case e.dir:
			dirs++
			fmt.Fprintf(&sh.out, "%s    <DIR>          %s\r\n", stamp(sh.s.cfg.Epoch), e.name)
		case e.staged != nil:
			files++
			fmt.Fprintf(&sh.out, "%s    %14d %s\r\n", stamp(e.staged.mtime), e.staged.dump.Size(), e.name)
			bytes += e.staged.dump.Size()
		default:
			files++
			sz, _ := e.f.progress(now)
			fmt.Fprintf(&sh.out, "%s    %14d %s\r\n", stamp(e.f.mtime), sz, e.name)
			bytes += sz
		}
	}
	fmt.Fprintf(&sh.out, "%16d File(s) %14d bytes\r\n%16d Dir(s)  10,737,418,240 bytes free\r\n", files, bytes, dirs)
	sh.code = 0
}

// cmdIf: if [/i] [not] exist PATH CMD, if [/i] [not] A==B CMD and
// if [not] errorlevel N CMD.
func (sh *shell) cmdIf(arg string) (commandResult, bool) {
	fold, not := false, false
	next := func() string { // a token ends at whitespace outside quotes
		arg = strings.TrimLeft(arg, " \t")
		inQ := false
		for i := 0; i < len(arg); i++ {
			switch {
			case arg[i] == '"':
				inQ = !inQ
			case (arg[i] == ' ' || arg[i] == '\t') && !inQ:
				w := arg[:i]
				arg = arg[i:]
				return w
			}
		}
		w := arg
		arg = ""
		return w
	}
	w := next()
	if strings.EqualFold(w, "/i") {
		fold, w = true, next()
	}
	if strings.EqualFold(w, "not") {
		not, w = true, next()
	}
	var cond bool
	switch {
	case strings.EqualFold(w, "exist"):
		p, ok := sh.resolve(next())
		sh.s.mu.Lock()
		cond = ok && (sh.a.fs.isDir(p) || sh.a.fs.files[key(p)] != nil ||
			key(p) == key(stagingPath) && sh.a.staging.state != stageAbsent)
		sh.s.mu.Unlock()
	case strings.EqualFold(w, "errorlevel"):
		n, err := strconv.Atoi(next())
		if err != nil {
			sh.fail(255, "The syntax of the command is incorrect.\r\n")
			return commandResult{}, false
		}
		cond = sh.code >= n
	default:
		l, r, ok := strings.Cut(w, "==")
		if !ok { // "if a == b" or "if a ==b"
			op := next()
			if !strings.HasPrefix(op, "==") {
				sh.fail(255, "The syntax of the command is incorrect.\r\n")
				return commandResult{}, false
			}
			r = strings.TrimPrefix(op, "==")
		}
		if r == "" {
			r = next()
		}
		cond = l == r || fold && strings.EqualFold(l, r)
	}
	if cond != not {
		return sh.exec(strings.TrimSpace(arg))
	}
	return commandResult{}, false
}

func (sh *shell) mkdir(arg string) {
	p, ok := sh.resolve(arg)
	sh.s.mu.Lock()
	defer sh.s.mu.Unlock()
	switch {
	case !ok || p == "":
		sh.fail(1, "The system cannot find the path specified.\r\n")
	case sh.a.fs.isDir(p) || sh.a.fs.files[key(p)] != nil:
		sh.fail(1, "A subdirectory or file %s already exists.\r\n", strings.Trim(arg, `"`))
	default:
		sh.a.fs.mkdirAll(p)
		sh.code = 0
	}
}

// del deletes a file; like cmd.exe it leaves errorlevel 0 when the file is
// missing or held open and says so on stderr.
func (sh *shell) del(arg string) {
	var target string
	for _, f := range splitCommand(arg) {
		if !strings.HasPrefix(f, "/") {
			target = f
		}
	}
	p, ok := sh.resolve(target)
	sh.s.mu.Lock()
	defer sh.s.mu.Unlock()
	sh.code = 0
	f := sh.a.fs.files[key(p)]
	switch {
	case !ok || target == "" || (f == nil && !(key(p) == key(stagingPath) && sh.a.staging.state != stageAbsent)):
		fmt.Fprintf(&sh.errs, "Could Not Find %s\r\n", fullPath(p))
	case f == nil || f.locked:
		fmt.Fprintf(&sh.errs, "%s\r\nThe process cannot access the file because it is being used by another process.\r\n", fullPath(p))
	default:
		delete(sh.a.fs.files, key(p))
	}
}
